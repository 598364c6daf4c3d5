import { type ExtendedSequenceNumber, LeaseLostError, type Logger, ShutdownError } from '@shardline/core';
import {
  type InitializationInput,
  kclExceptionName,
  type LeaseLostInput,
  type ProcessRecordsInput,
  type RecordProcessor,
  type ShardCheckpointer,
  type ShardContext,
  type ShardEndedInput,
  type ShutdownRequestedInput,
} from '@shardline/kcl-consumer';
import { encodeInitialize, encodeLifecycle, encodeProcessRecords } from '../protocol/messages';
import { ChildConnection, type CheckpointHandler } from './ChildConnection';

/** What a {@link MultiLangShardProcessor} needs. @public */
export interface MultiLangShardProcessorOptions {
  /** The shard lease it processes. */
  readonly shard: ShardContext;
  /** The child command (split on spaces, no shell). */
  readonly executableName: string;
  /** How long the child may take to exit once its stdin is closed, in ms, before SIGTERM (and as long again before SIGKILL). */
  readonly childExitGraceMs: number;
  /** Longest line read from the child, in bytes. */
  readonly maxLineBytes: number;
  /** The child's environment. Default: the daemon's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The child's working directory. Default: the daemon's. */
  readonly cwd?: string;
  /** Logger; the child's stderr lines go here at info, with the shard id. */
  readonly logger: Logger;
  /** Told of every child started, e.g. so that the daemon can kill leftovers when it stops. */
  readonly onChild?: (child: ChildConnection) => void;
  /**
   * How long a child may go on with a call after the lease was lost, in ms, before it is killed
   * (the worker's `processingTimeoutMs`). Default 300,000.
   */
  readonly callTimeoutMs?: number;
}

/** During `initialize` and `leaseLost` there is no checkpointer, as in the Java daemon. */
const noCheckpointer: CheckpointHandler = () => Promise.resolve('InvalidStateException');

/**
 * A kcl-consumer {@link RecordProcessor} backed by one MultiLang child process (aws-kcl for
 * Node, amazon_kclpy, or any program speaking the protocol): each lifecycle call is sent to the
 * child as its KCL 2.x/3.x message, and the child's checkpoints go to the worker's checkpointer.
 *
 * A child that dies or breaks the protocol fails only the call in hand, and the child is killed.
 * The worker retries the call (with backoff, up to `maxProcessingAttempts`, then it releases the
 * lease); the retry starts a new child and sends it `initialize` with the last checkpoint before
 * the batch. So a crash costs its own shard a retry and other shards nothing. When the worker
 * gives up on a call (`processingTimeoutMs`, forced stop) the child is killed at once; when the
 * lease is lost during a call, the child finishes it (its checkpoints now fail with
 * `ShutdownException`) and then gets `leaseLost`, as under the Java daemon, for at most
 * `callTimeoutMs`.
 * The KCL 1.x `shutdown` message is never sent: current clients cannot parse it.
 * @public
 */
export class MultiLangShardProcessor implements RecordProcessor {
  private readonly log: Logger;
  private child: ChildConnection | undefined;
  private lastCheckpoint: ExtendedSequenceNumber | undefined;
  private readonly dying = new Set<Promise<unknown>>();

  constructor(private readonly o: MultiLangShardProcessorOptions) {
    this.log = o.logger.child({ component: 'MultiLangShardProcessor', shardId: o.shard.shardId, leaseKey: o.shard.leaseKey });
  }

  /** Starts the child and sends `initialize` with the lease's checkpoint (nulls when it has none). */
  async initialize(input: InitializationInput): Promise<void> {
    this.lastCheckpoint = input.checkpoint;
    await this.guard('initialize', input.signal, () => this.ensureChild(undefined, input.signal));
  }

  /** Sends `processRecords`; the child's checkpoints are bounded by the batch. */
  async processRecords(input: ProcessRecordsInput): Promise<void> {
    await this.guard('processRecords', input.signal, async () => {
      const child = await this.ensureChild(input.checkpointer, input.signal);
      await child.send(encodeProcessRecords(input.records, input.millisBehindLatest), 'processRecords', this.checkpointWith(input.checkpointer));
    });
  }

  /**
   * Sends `shardEnded` (the child must checkpoint `SHARD_END`), then closes the child. When the
   * child did not checkpoint, the worker calls this again: a new child gets `initialize` and
   * `shardEnded` once more.
   */
  async shardEnded(input: ShardEndedInput): Promise<void> {
    await this.guard('shardEnded', input.signal, async () => {
      const child = await this.ensureChild(input.checkpointer, input.signal);
      await child.send(encodeLifecycle('shardEnded'), 'shardEnded', this.checkpointWith(input.checkpointer));
      await this.closeChild();
    });
  }

  /** Sends `shutdownRequested` so the child checkpoints; a failure is logged, never thrown (as the Java daemon). */
  async shutdownRequested(input: ShutdownRequestedInput): Promise<void> {
    const child = this.child;
    if (!child?.running) {
      this.log.info('no child process to ask for a final checkpoint (it had failed)');
      return;
    }
    try {
      await this.guard('shutdownRequested', input.signal, () => child.send(encodeLifecycle('shutdownRequested'), 'shutdownRequested', this.checkpointWith(input.checkpointer)));
    } catch (error) {
      this.log.error({ err: error }, 'the child process failed to complete the shutdown notification; the lease is released anyway');
    }
  }

  /** Sends `leaseLost` (checkpoints get `InvalidStateException`), then closes the child. */
  async leaseLost(input?: LeaseLostInput): Promise<void> {
    const child = this.child;
    if (!child?.running) {
      await this.killChild();
      return;
    }
    await this.guard('leaseLost', input?.signal, async () => {
      await child.send(encodeLifecycle('leaseLost'), 'leaseLost', noCheckpointer);
      await this.closeChild();
    });
  }

  /** The running child, or a new one that has been sent `initialize`. */
  private async ensureChild(checkpointer: ShardCheckpointer | undefined, signal: AbortSignal | undefined): Promise<ChildConnection> {
    if (this.child?.running) return this.child;
    const respawn = this.child !== undefined || checkpointer !== undefined;
    await this.killChild();
    // Given up while the old child was dying: a new one would outlive the call unobserved.
    if (signal?.aborted) throw new ShutdownError(`${this.o.shard.leaseKey}: the call was given up before its child process was started`);
    const { shard, executableName, maxLineBytes, env, cwd, logger } = this.o;
    const child = new ChildConnection({ executableName, shardId: shard.shardId, maxLineBytes, env, cwd, logger });
    this.child = child;
    this.o.onChild?.(child);
    const checkpoint = checkpointer?.lastCheckpoint ?? this.lastCheckpoint;
    if (respawn) this.log.info({ pid: child.pid, checkpoint: checkpoint?.toString() }, 'started a new child process for the shard; re-sending initialize');
    await child.send(encodeInitialize(shard.shardId, checkpoint), 'initialize', noCheckpointer);
    return child;
  }

  private checkpointWith(checkpointer: ShardCheckpointer): CheckpointHandler {
    return async (sequenceNumber, subSequenceNumber) => {
      try {
        if (sequenceNumber === null) await checkpointer.checkpoint();
        else if (subSequenceNumber === null) await checkpointer.checkpoint(sequenceNumber);
        else await checkpointer.checkpoint(sequenceNumber, subSequenceNumber);
        this.lastCheckpoint = checkpointer.lastCheckpoint ?? this.lastCheckpoint;
        return null;
      } catch (error) {
        const name = kclExceptionName(error);
        this.log.warn({ err: error, sequenceNumber, subSequenceNumber, reply: name }, 'checkpoint requested by the child process failed');
        return name;
      }
    };
  }

  /**
   * Runs one call: when `signal` aborts the child is killed (the pending wait then fails); on any
   * failure the child is killed, so that the next call starts a new one.
   */
  private async guard(call: string, signal: AbortSignal | undefined, fn: () => Promise<unknown>): Promise<void> {
    let lateKill: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      if (signal?.reason instanceof LeaseLostError) {
        this.log.info({ call, pid: this.child?.pid }, 'the lease was lost during the call; the child finishes it, then gets leaseLost');
        lateKill = setTimeout(() => {
          this.log.warn({ call, pid: this.child?.pid }, 'the child did not finish its call after the lease was lost; killing it');
          void this.killChild();
        }, this.o.callTimeoutMs ?? 300_000);
        return;
      }
      this.log.warn({ call, pid: this.child?.pid }, 'the worker gave up on the call (processingTimeoutMs or forced stop); killing the child process');
      void this.killChild();
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const givenUp = (): boolean => signal?.aborted === true && !(signal.reason instanceof LeaseLostError);
      if (givenUp()) throw new ShutdownError(`${call} on ${this.o.shard.leaseKey} was given up before it started`);
      try {
        await fn();
      } catch (error) {
        await this.killChild();
        if (givenUp()) throw new ShutdownError(`${call} on ${this.o.shard.leaseKey} was given up; its child process was killed`, { cause: error });
        throw error;
      }
    } finally {
      clearTimeout(lateKill);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async killChild(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child) {
      const dying = child.kill();
      this.dying.add(dying);
      void dying.finally(() => this.dying.delete(dying));
    }
    await Promise.all(this.dying);
  }

  private async closeChild(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await child?.close(this.o.childExitGraceMs);
  }
}
