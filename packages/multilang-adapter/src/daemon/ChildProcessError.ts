import { brandErrorClass, ShardlineError, type ShardlineErrorOptions } from '@shardline/core';

/** How a MultiLang child process failed its shard. @public */
export type ChildFailure = 'spawn-failed' | 'exited' | 'stdout-closed' | 'write-failed';

/**
 * A shard's MultiLang child process could not be started, exited, closed its stdout or could not
 * be written to. Only that shard's call fails: the worker retries it (the daemon starts a new
 * child and re-sends `initialize`), and after `maxProcessingAttempts` releases the lease.
 * Retryable.
 * @public
 */
export class ChildProcessError extends ShardlineError {
  static {
    brandErrorClass(this, 'multilang.ChildProcessError');
  }

  constructor(
    /** The shard the child processed. */
    readonly shardId: string,
    /** What went wrong. */
    readonly failure: ChildFailure,
    /** The child's process id, when it was started. */
    readonly pid: number | undefined,
    /** Its exit code, when it exited by itself. */
    readonly exitCode: number | null,
    /** The signal that ended it, when one did. */
    readonly signal: NodeJS.Signals | null,
    message: string,
    options?: ShardlineErrorOptions,
  ) {
    super('SHARDLINE_CHILD_PROCESS', message, { ...options, defaultRetryable: true });
  }
}
