import { CheckpointOutOfRangeError, InvalidArgumentError, InvalidStateError, LeaseLostError, ShutdownError, ThrottledError } from '@shardline/core';

/** The exception names the Java KCL's checkpointer throws, as the MultiLang protocol sends them. @public */
export type KclExceptionName = 'ShutdownException' | 'InvalidStateException' | 'ThrottlingException' | 'IllegalArgumentException' | 'KinesisClientLibDependencyException';

/**
 * The KCL exception a checkpoint error stands for, one to one:
 *
 * | Shardline error | KCL exception |
 * | --- | --- |
 * | `LeaseLostError`, `ShutdownError` | `ShutdownException` (the lease is gone: stop processing) |
 * | `InvalidStateError` | `InvalidStateException` |
 * | `ThrottledError` | `ThrottlingException` |
 * | `CheckpointOutOfRangeError`, `InvalidArgumentError` | `IllegalArgumentException` |
 * | anything else | `KinesisClientLibDependencyException` (retryable) |
 * @public
 */
export function kclExceptionName(error: unknown): KclExceptionName {
  if (error instanceof LeaseLostError || error instanceof ShutdownError) return 'ShutdownException';
  if (error instanceof InvalidStateError) return 'InvalidStateException';
  if (error instanceof ThrottledError) return 'ThrottlingException';
  if (error instanceof CheckpointOutOfRangeError || error instanceof InvalidArgumentError) return 'IllegalArgumentException';
  return 'KinesisClientLibDependencyException';
}
