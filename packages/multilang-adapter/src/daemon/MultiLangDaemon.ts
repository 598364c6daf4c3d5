import { hideCredentials, type Logger } from '@shardline/core';
import { handleShutdownSignals, type ShutdownSignalsOptions, type Stoppable, Worker } from '@shardline/kcl-consumer';
import type { ChildConnection } from './ChildConnection';
import type { MultiLangDaemonOptions } from './MultiLangDaemonOptions';
import { MultiLangShardProcessor } from './MultiLangShardProcessor';
import { resolveMultiLangDaemonOptions, type ResolvedMultiLangDaemonOptions } from './resolveMultiLangDaemonOptions';

/**
 * The KCL MultiLang daemon without Java: a shardline {@link Worker} whose processor for each
 * shard lease is a child process speaking the MultiLang protocol (`aws-kcl` for Node,
 * `amazon_kclpy`, …), run unmodified.
 *
 * Where it differs from the Java daemon, on purpose: a child that crashes, hangs or breaks the
 * protocol fails only its own shard (the call is retried with a new child, and after
 * `maxProcessingAttempts` the lease is released) instead of exiting the daemon; a hung child is
 * killed after `processingTimeoutMs` instead of halting the JVM; a child that ignores stdin EOF
 * is killed after `childExitGraceMs`; `stop()` is graceful (`shutdownRequested` to every child,
 * their final checkpoints, leases released) within `shutdownTimeoutMs`; child stderr is logged
 * at info, not error.
 * @public
 */
export class MultiLangDaemon implements Stoppable {
  /**
   * The resolved options, safe to print: static credentials in `worker.clientOptions` are behind a
   * provider function and secret entries of `env` and `worker.clientOptions.env` are not enumerable
   * (as core's `hideCredentials` does). The children still get the environment as given.
   */
  readonly options: ResolvedMultiLangDaemonOptions;
  /** The worker the children run under (its `workerId`, events and shard status). */
  readonly worker: Worker;

  private readonly log: Logger;
  private readonly children = new Set<ChildConnection>();
  private stopPromise: Promise<void> | undefined;

  /** Validates the options (the worker's too) before anything starts. */
  constructor(options: MultiLangDaemonOptions) {
    const o = resolveMultiLangDaemonOptions(options);
    this.options = printable(o);
    this.log = o.logger.child({ component: 'MultiLangDaemon' });
    this.worker = new Worker({
      ...o.worker,
      logger: o.worker.logger ?? o.logger,
      autoCheckpoint: false,
      processor: (shard) =>
        new MultiLangShardProcessor({
          shard,
          executableName: o.executableName,
          childExitGraceMs: o.childExitGraceMs,
          maxLineBytes: o.maxLineBytes,
          env: o.env,
          cwd: o.cwd,
          logger: o.logger,
          onChild: (child) => this.track(child),
          ...(o.worker.processingTimeoutMs !== undefined ? { callTimeoutMs: o.worker.processingTimeoutMs } : {}),
        }),
    });
  }

  /** Children running now. */
  get childCount(): number {
    return this.children.size;
  }

  /** Starts the worker: lease table, shard sync, then one child per lease taken. Rejects (and stops) when AWS cannot be reached. */
  async start(): Promise<void> {
    this.log.info({ executableName: this.options.executableName, workerId: this.worker.workerId }, 'starting the MultiLang daemon');
    await this.worker.start();
  }

  /**
   * Graceful stop, the worker's: every child gets `shutdownRequested` (and checkpoints), then
   * `leaseLost` and stdin EOF; leases are released. Children still alive afterwards (the worker
   * gave up on them) are killed. Idempotent; never rejects.
   */
  stop(): Promise<void> {
    this.stopPromise ??= (async () => {
      await this.worker.stop();
      const leftovers = [...this.children];
      if (leftovers.length > 0) {
        this.log.warn({ shards: leftovers.map((c) => c.shardId) }, 'child processes still running after the worker stopped; killing them');
        await Promise.all(leftovers.map((c) => c.kill()));
      }
      this.log.info('MultiLang daemon stopped');
    })();
    return this.stopPromise;
  }

  /**
   * Makes SIGTERM and SIGINT stop the daemon gracefully (a second signal exits at once), unlike
   * the Java daemon, whose `shutdownGraceMillis` of 0 makes them abrupt. Returns a function that
   * removes the handlers.
   */
  handleSignals(options: ShutdownSignalsOptions = {}): () => void {
    return handleShutdownSignals(this, {
      ...options,
      onSignal: (signal) => {
        this.log.info({ signal }, 'signal received; stopping gracefully');
        options.onSignal?.(signal);
      },
    });
  }

  private track(child: ChildConnection): void {
    this.children.add(child);
    void child.exited.then(() => this.children.delete(child));
  }
}

/** The options with every secret hidden from JSON, pino and `util.inspect` (the daemon keeps the real ones). */
function printable(o: ResolvedMultiLangDaemonOptions): ResolvedMultiLangDaemonOptions {
  const clientOptions = hideCredentials(o.worker.clientOptions);
  return {
    ...o,
    worker: clientOptions === o.worker.clientOptions ? o.worker : { ...o.worker, clientOptions },
    env: o.env === undefined ? undefined : hideCredentials({ env: o.env }).env,
  };
}
