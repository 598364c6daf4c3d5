import { InvalidArgumentError, InvalidStateError, LeaseLostError, ShardlineError, ThrottledError } from '@shardline/core';

/**
 * The error a checkpoint rejects with when the daemon's reply names a KCL exception (the inverse
 * of kcl-consumer's `kclExceptionName`):
 *
 * | `error` in the reply | rejects with |
 * | --- | --- |
 * | `ShutdownException` | `LeaseLostError`: the daemon's checkpointer no longer holds the lease (the Java KCL throws it when the lease counter moved, or the checkpointer was shut down). Stop processing; do not retry |
 * | `InvalidStateException` | `InvalidStateError`: no checkpointer for the action (e.g. during `initialize`/`leaseLost`) or the lease table is missing |
 * | `ThrottlingException` | `ThrottledError` (retryable) |
 * | `IllegalArgumentException` | `InvalidArgumentError`: a malformed position, or one outside [last checkpoint, last record delivered] |
 * | `KinesisClientLibDependencyException`, or any other name | a retryable `ShardlineError` with code `SHARDLINE_CHECKPOINT_FAILED` whose message names the exception |
 *
 * `ShutdownException` becomes `LeaseLostError` rather than `ShutdownError` because in a MultiLang
 * child it always means the same thing: this shard's lease is gone for the child, and its
 * checkpoints will keep failing. kcl-consumer's `kclExceptionName` maps both errors back to
 * `ShutdownException`, so a processor written for the worker that handles either sees a
 * `ShardlineError` whose `retryable` is false.
 * @public
 */
export function checkpointErrorFromName(name: string, where: string, leaseKey?: string): ShardlineError {
  const message = `checkpoint ${where} failed in the daemon: ${name}`;
  switch (name) {
    case 'ShutdownException':
      return new LeaseLostError(`${message} (the lease is no longer held)`, { leaseKey });
    case 'InvalidStateException':
      return new InvalidStateError(message);
    case 'ThrottlingException':
      return new ThrottledError(message);
    case 'IllegalArgumentException':
      return new InvalidArgumentError(message);
    default:
      return new ShardlineError('SHARDLINE_CHECKPOINT_FAILED', message, { retryable: true });
  }
}
