import type { Logger } from '@shardline/core';
import type { WorkerOptions } from '@shardline/kcl-consumer';

/**
 * Options of a `MultiLangDaemon`: the child command and the worker it runs under. What the Java
 * daemon's properties file says maps onto these (see `daemonOptionsFromProperties`).
 * @public
 */
export interface MultiLangDaemonOptions {
  /** The child command, split on runs of spaces as the Java daemon does (no shell, no quoting). Required. */
  readonly executableName: string;
  /**
   * The worker: application, stream(s), lease and retrieval settings. `processingTimeoutMs` bounds
   * each message the child is sent (the Java daemon's `timeoutInSeconds`); `shutdownTimeoutMs` is
   * the graceful-stop budget (`shutdownGraceMillis`). The processor is the daemon's own.
   */
  readonly worker: Omit<WorkerOptions, 'processor' | 'handler' | 'autoCheckpoint'>;
  /** How long a child may take to exit after its stdin is closed before it is killed, in ms. Default 5,000. */
  readonly childExitGraceMs?: number;
  /** Longest line read from a child's stdout or stderr, in bytes; longer lines are dropped and logged. Default 1 MiB. */
  readonly maxLineBytes?: number;
  /** The children's environment. Default: the daemon's (`process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The children's working directory. Default: the daemon's. */
  readonly cwd?: string;
  /** Logger for the daemon and the children's stderr lines. Default: the worker's logger, else silent. */
  readonly logger?: Logger;
}
