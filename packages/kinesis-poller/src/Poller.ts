import { AsyncLocalStorage } from 'node:async_hooks';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  Backoff,
  classifyAwsError,
  createKinesisClient,
  type ExtendedSequenceNumber,
  InvalidArgumentError,
  listShards,
  type Logger,
  ResourceNotFoundError,
  retry,
  type ShardInfo,
  ShutdownError,
  TimeoutError,
} from '@shardline/core';
import { BatchChannel } from './BatchChannel';
import { createPollerInstruments, type PollerInstruments } from './PollerMetrics';
import { PositionTracker } from './PositionTracker';
import { type PollerOptions, type ResolvedPollerOptions, resolvePollerOptions } from './resolvePollerOptions';
import type { RetryReport } from './resolveShardReaderOptions';
import type { ChildShard, ShardBatch } from './ShardBatch';
import { parentsFirst, type ShardLineage, ShardGraph, type ShardNode, type ShardState } from './ShardGraph';
import { ShardReader } from './ShardReader';

/**
 * Handles one batch of one shard. Called serially per shard (never twice at once for the same
 * shard), concurrently across shards. Return (or resolve) when the batch is handled; its position
 * is then saved. Throwing stops that shard (see `handlerRetries`, `onShardError`).
 * @public
 */
export type BatchHandler = (batch: ShardBatch) => unknown;

/** Lifecycle of a {@link Poller}. @public */
export type PollerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** Attempts to find the children of a shard that ended without reporting them. */
const CHILD_DISCOVERY_ATTEMPTS = 5;
/**
 * Attempts of one position save when `maxAttempts` is 'unlimited': a save runs at stop too, and
 * stop() must settle in bounded time.
 */
const SAVE_ATTEMPTS_WHEN_UNLIMITED = 10;
/** Consecutive ListShards failures logged at warn before they are logged at error. */
const RETRIES_BEFORE_ERROR_LOG = 10;

interface ShardTask {
  readonly reader: ShardReader;
  /** Settles when the shard's loop has ended. */
  done: Promise<void>;
  /** Stop gave up waiting for it (past `handlerGraceMs`): whatever it does from now on is ignored. */
  abandoned: boolean;
}

function lineageOf(shard: ShardInfo): ShardLineage {
  return {
    shardId: shard.shardId,
    parentShardIds: [shard.parentShardId, shard.adjacentParentShardId].filter((p): p is string => p !== undefined),
    open: shard.open,
    range: shard.range,
  };
}

function childLineage(child: ChildShard): ShardLineage {
  return { shardId: child.shardId, parentShardIds: child.parentShardIds, range: child.range };
}

/**
 * Reads every shard of a stream (or a chosen set) with GetRecords and hands the records to you,
 * one batch per GetRecords call, serially per shard — with a callback (`run(handler)`) or as an
 * async iterator (`for await (const batch of poller)`). No leases: for one process, or one
 * process per shard; use the KCL consumer to spread shards over workers.
 *
 * - Positions (extended sequence numbers, never shard iterators) are saved to a
 *   {@link PositionStore} after every handled batch (configurable) and at stop; a restart resumes
 *   after them, also inside a KPL aggregate.
 * - Resharding: when a shard ends, its children are found (ChildShards, else ListShards) and read
 *   from TRIM_HORIZON once every parent has been read to its end and handled.
 * - `stop()` or the `signal`: the batch being handled is finished, positions are saved, every
 *   timer and request is released; a handler that does not return within `handlerGraceMs` is
 *   left behind (its batch stays unhandled) and `run()` rejects with a TimeoutError naming it.
 * - Kinesis unreachable: retried with capped backoff without limit by default (`maxAttempts`),
 *   each retry counted in `poller_retries_total` and reported to `onRetry`.
 * @public
 */
export class Poller implements AsyncIterable<ShardBatch> {
  private readonly o: ResolvedPollerOptions;
  private readonly log: Logger;
  private readonly m: PollerInstruments;
  private readonly tracker: PositionTracker;
  private readonly tasks = new Map<string, ShardTask>();
  private readonly controller = new AbortController();
  private readonly inHandler = new AsyncLocalStorage<string>();
  /** Shards whose handler is awaiting stop(), and stop() calls to wake when that set grows. */
  private readonly handlersInStop = new Set<string>();
  private readonly handlerStopWaiters: (() => void)[] = [];
  private client: KinesisClient | undefined;
  private graph = new ShardGraph();
  private stored: ReadonlyMap<string, ExtendedSequenceNumber> = new Map();
  private sink: ((batch: ShardBatch) => Promise<boolean>) | undefined;
  private channel: BatchChannel | undefined;
  private lifecycle: PollerState = 'new';
  private starting: Promise<void> | undefined;
  private syncing: Promise<ShardInfo[]> | undefined;
  private syncLoop: Promise<void> | undefined;
  private shutdownPromise: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private markStopped!: () => void;
  /** Resolves when the poller has stopped and saved its positions. */
  private readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));
  private readonly onAbort = (): void => void this.stop();

  constructor(options: PollerOptions) {
    this.o = resolvePollerOptions(options);
    this.log = this.o.logger.child({ component: 'poller', stream: this.o.streamLabel });
    this.m = createPollerInstruments(this.o.metrics);
    this.tracker = new PositionTracker({
      store: this.o.store,
      namespace: this.o.namespace,
      saveEveryBatches: this.o.saveEveryBatches,
      saveIntervalMs: this.o.saveIntervalMs,
      maxAttempts: Number.isFinite(this.o.maxAttempts) ? this.o.maxAttempts : SAVE_ATTEMPTS_WHEN_UNLIMITED,
      clock: this.o.clock,
      logger: this.log,
    });
  }

  /** Where the poller is in its life. */
  get state(): PollerState {
    return this.lifecycle;
  }

  /** The last handled position of every shard (including positions loaded from the store). */
  get positions(): ReadonlyMap<string, ExtendedSequenceNumber> {
    return this.tracker.handled;
  }

  /** The state of every shard the poller tracks. */
  get shardStates(): ReadonlyMap<string, ShardState> {
    return new Map([...this.graph.shards.values()].map((n) => [n.shardId, n.state]));
  }

  /**
   * Reads until stopped, calling `handler` for every batch. Resolves once the poller has stopped
   * and saved its positions (after `stop()`, the signal, or — with `shardSyncIntervalMs: 0` —
   * when every shard has been read to its end). Rejects with the first shard error when no
   * `onShardError` is given, after stopping the others; or with a failure to list shards or to
   * save positions.
   */
  run(handler: BatchHandler): Promise<void> {
    if (typeof handler !== 'function') throw new InvalidArgumentError(`poller.run(handler): handler must be a function (got ${typeof handler})`);
    this.begin(async (batch) => {
      await this.callHandler(handler, batch);
      return true;
    });
    return this.completion();
  }

  /**
   * Reads until stopped, yielding every batch. A batch is handled (and its position saved) when
   * you ask for the next one; leaving the loop with `break` or `throw` stops the poller without
   * counting the batch in hand as handled. Call `stop()` inside the loop to finish after the
   * current batch: the loop then ends once positions are saved.
   */
  [Symbol.asyncIterator](): AsyncIterator<ShardBatch> {
    const channel = new BatchChannel({
      completion: () => this.completion(),
      lateHandled: async (batch) => {
        await this.tracker.batchHandled(batch.shardId, batch.lastPosition);
        await this.tracker.flush();
      },
      stop: () => this.stop(),
    });
    this.begin((batch) => channel.push(batch));
    this.channel = channel;
    return channel;
  }

  /**
   * Stops reading: aborts GetRecords calls and waits in flight, lets every batch being handled
   * finish, saves positions, stops timers and destroys the client the poller created. Resolves
   * when that is done (never rejects: failures surface from `run()` or the iterator). Called
   * from inside a handler, it does not wait for that handler's own batch, whose position is saved
   * when the handler returns, before `run()` resolves.
   *
   * Bounded: each shard is saved as soon as its handler has returned, and a handler still running
   * `handlerGraceMs` after stop() is left behind — its batch is not handled (a restart delivers it
   * again) and `run()` rejects with a TimeoutError that names its shard. A handler that is itself
   * awaiting stop() gets one more `handlerGraceMs` once the stuck ones are left behind.
   */
  async stop(): Promise<void> {
    if (this.lifecycle === 'new') {
      this.lifecycle = 'stopped';
      this.markStopped();
      return;
    }
    const own = this.inHandler.getStore();
    const shutdown = this.shutdown();
    if (own === undefined) {
      await shutdown.catch(() => undefined);
      return;
    }
    // Handlers of other shards may be in stop() too: waiting for them would wait for each other.
    this.handlersInStop.add(own);
    this.wakeHandlersInStop();
    try {
      for (;;) {
        const others = [...this.tasks].filter(([id]) => id !== own && !this.handlersInStop.has(id)).map(([, t]) => t.done);
        if (others.length === 0) break;
        await Promise.race([Promise.all(others), new Promise<void>((resolve) => this.handlerStopWaiters.push(resolve))]);
      }
    } finally {
      this.handlersInStop.delete(own);
    }
    await this.tracker.flush().catch(() => undefined);
  }

  private wakeHandlersInStop(): void {
    for (const wake of this.handlerStopWaiters.splice(0)) wake();
  }

  private completion(): Promise<void> {
    return this.stopped.then(() => {
      if (this.failure) throw this.failure.error;
    });
  }

  private begin(sink: (batch: ShardBatch) => Promise<boolean>): void {
    if (this.lifecycle !== 'new') {
      throw new ShutdownError(this.lifecycle === 'stopped' ? 'Poller is stopped; create a new one' : 'Poller is already running (run() and iteration may be used once)');
    }
    this.sink = sink;
    this.lifecycle = 'starting';
    if (this.o.signal) {
      this.o.signal.addEventListener('abort', this.onAbort, { once: true });
      if (this.o.signal.aborted) {
        void this.shutdown();
        return;
      }
    }
    this.starting = this.start().catch((error: unknown) => {
      // A stop during the start aborts its retries; that is not a failure.
      if (!this.controller.signal.aborted) this.fail(error);
    });
  }

  private async start(): Promise<void> {
    const o = this.o;
    this.client = o.client ?? createKinesisClient({ ...o.aws, maxAttempts: o.aws?.maxAttempts ?? 1 });
    this.stored = await o.store.load(o.namespace);
    this.tracker.seed(this.stored);
    const shards = await this.listShards();
    if (o.shardIds) {
      const known = new Set(shards.map((s) => s.shardId));
      const missing = o.shardIds.filter((id) => !known.has(id));
      if (missing.length) throw new ResourceNotFoundError(`shards ${missing.join(', ')} are not in stream ${o.streamLabel}`);
    }
    if (this.controller.signal.aborted) return;
    this.graph = ShardGraph.plan({
      shards: shards.map(lineageOf),
      stored: this.stored,
      initialPosition: o.startingPosition,
      shardIds: o.shardIds,
      followChildShards: o.followChildShards,
    });
    this.log.info({ shards: this.graph.shards.size, namespace: o.namespace, resumed: this.stored.size }, 'poller started');
    this.lifecycle = 'running';
    this.tracker.startTimer((error) => this.fail(error));
    if (o.shardSyncIntervalMs > 0) this.syncLoop = this.runSyncLoop();
    this.schedule();
  }

  private listShards(): Promise<ShardInfo[]> {
    const o = this.o;
    return retry(() => listShards(this.client!, o.streamArn ? { streamArn: o.streamArn } : { streamName: o.streamName! }), {
      clock: o.clock,
      signal: this.controller.signal,
      // 'unlimited': until it succeeds or the poller stops (the signal ends the wait).
      maxAttempts: Number.isFinite(o.maxAttempts) ? o.maxAttempts : Number.MAX_SAFE_INTEGER,
      ...o.retryBackoff,
      onRetry: (error, attempt, delayMs) => {
        this.log[attempt >= RETRIES_BEFORE_ERROR_LOG ? 'error' : 'warn']({ err: error, attempt, delayMs }, 'ListShards failed; retrying');
        this.reportRetry(error, { shardId: undefined, call: 'ListShards', attempt, delayMs });
      },
    });
  }

  private reportRetry(error: unknown, report: RetryReport): void {
    const onRetry = this.o.onRetry;
    if (!onRetry) return;
    try {
      onRetry(classifyAwsError(error), report);
    } catch (callbackError) {
      this.log.error({ err: callbackError }, 'onRetry threw');
    }
  }

  /** Starts a reader for every shard whose parents are done. */
  private schedule(): void {
    if (this.lifecycle !== 'running') return;
    for (const node of this.graph.ready()) this.startShard(node);
    this.completeIfIdle();
  }

  /** With no shard sync, a poller with nothing left to read stops by itself. */
  private completeIfIdle(): void {
    if (this.lifecycle === 'running' && this.o.shardSyncIntervalMs === 0 && this.tasks.size === 0 && this.graph.ready().length === 0) {
      this.log.info('every shard is read to its end; stopping');
      void this.shutdown();
    }
  }

  private startShard(node: ShardNode): void {
    node.state = 'reading';
    let reader: ShardReader;
    try {
      reader = this.newReader(node);
    } catch (error) {
      node.state = 'failed';
      this.shardFailed(node.shardId, error);
      return;
    }
    const task: ShardTask = { reader, done: Promise.resolve(), abandoned: false };
    this.tasks.set(node.shardId, task);
    task.done = this.readShard(node, task).finally(() => {
      if (this.tasks.get(node.shardId) === task) this.tasks.delete(node.shardId);
      this.schedule();
    });
  }

  private newReader(node: ShardNode): ShardReader {
    const o = this.o;
    return new ShardReader({
      client: this.client!,
      streamName: o.streamName,
      streamArn: o.streamArn,
      shardId: node.shardId,
      startingPosition: node.start,
      shardRange: node.range,
      limit: o.limit,
      idleTimeBetweenReadsMs: o.idleTimeBetweenReadsMs,
      maxPrefetchBatches: o.maxPrefetchBatches,
      deaggregate: o.deaggregate,
      deliverEmptyBatches: o.deliverEmptyBatches,
      readBytesPerSecond: Number.isFinite(o.readBytesPerSecond) ? o.readBytesPerSecond : 'unlimited',
      throttleBackoff: o.throttleBackoff,
      retryBackoff: o.retryBackoff,
      maxAttempts: Number.isFinite(o.maxAttempts) ? o.maxAttempts : 'unlimited',
      onRetry: o.onRetry,
      requestTimeoutMs: o.requestTimeoutMs,
      clock: o.clock,
      logger: o.logger,
      metrics: o.metrics,
    });
  }

  private async readShard(node: ShardNode, task: ShardTask): Promise<void> {
    const shardId = node.shardId;
    try {
      for await (const batch of task.reader) {
        const handled = await this.sink!(batch);
        // Stop left this handler behind: the poller has settled without this batch.
        if (task.abandoned) return;
        if (!handled) break;
        if (!batch.shardEnded) {
          await this.tracker.batchHandled(shardId, batch.lastPosition);
          continue;
        }
        // SHARD_END is durable before any child starts, so a restart goes straight to them.
        await this.tracker.batchHandled(shardId, batch.lastPosition);
        await this.tracker.flush();
        if (task.abandoned) return;
        node.state = 'finished';
        await this.discoverChildren(shardId, batch.childShards);
        return;
      }
      if (node.state === 'reading') node.state = 'stopped';
    } catch (error) {
      if (task.abandoned) {
        this.log.warn({ err: error, shardId }, 'a handler left behind at stop failed after the poller stopped');
        return;
      }
      node.state = 'failed';
      this.shardFailed(shardId, error);
    }
  }

  private async callHandler(handler: BatchHandler, batch: ShardBatch): Promise<void> {
    const backoff = new Backoff(this.o.handlerRetryBackoff);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.inHandler.run(batch.shardId, () => handler(batch));
        return;
      } catch (error) {
        this.m.handlerErrors.add(1, { stream: this.o.streamLabel, shard_id: batch.shardId });
        if (attempt >= this.o.handlerRetries || this.controller.signal.aborted) throw error;
        const delayMs = backoff.next();
        this.log.warn({ err: error, shardId: batch.shardId, attempt: attempt + 1, delayMs }, 'handler threw; retrying the batch');
        if (!(await this.o.clock.sleep(delayMs, this.controller.signal))) throw error;
      }
    }
  }

  private async discoverChildren(shardId: string, reported: readonly ChildShard[] | undefined): Promise<void> {
    if (this.o.shardIds && !this.o.followChildShards) return;
    if (reported) {
      // A merge child's other parent can be a shard not discovered yet (the child of a shard still
      // being read): list the shards first, so that the child waits for that parent too.
      if (reported.some((c) => c.parentShardIds.some((p) => !this.graph.shards.has(p)))) {
        await this.sync().catch((error: unknown) => void this.log.warn({ err: error, shardId }, 'ListShards for the parents of a child shard failed'));
      }
      for (const child of reported) this.addShard(childLineage(child));
      return;
    }
    // kinesalite (and a ListShards that lags behind the shard's end) report no ChildShards.
    const backoff = new Backoff({ baseDelayMs: 500, maxDelayMs: 8_000, jitter: 'equal' });
    for (let attempt = 1; attempt <= CHILD_DISCOVERY_ATTEMPTS; attempt++) {
      try {
        const shards = await this.sync();
        if (shards.some((s) => s.parentShardId === shardId || s.adjacentParentShardId === shardId)) return;
      } catch (error) {
        this.log.warn({ err: error, shardId }, 'ListShards after shard end failed');
      }
      if (attempt < CHILD_DISCOVERY_ATTEMPTS && !(await this.o.clock.sleep(backoff.next(), this.controller.signal))) return;
    }
    this.log.warn({ shardId }, 'shard ended but no child shard was found; the periodic shard sync will keep looking');
  }

  private addShard(shard: ShardLineage): void {
    const node = this.graph.add(shard, this.stored.get(shard.shardId));
    if (node) this.log.info({ shardId: node.shardId, parents: node.parents, state: node.state }, 'new shard');
  }

  /** One ListShards round: adds unknown shards and schedules what is ready. Single flight. */
  private sync(): Promise<ShardInfo[]> {
    this.syncing ??= (async () => {
      try {
        const shards = await this.listShards();
        for (const s of parentsFirst(shards.map(lineageOf))) this.addShard(s);
        this.schedule();
        return shards;
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  private async runSyncLoop(): Promise<void> {
    while (await this.o.clock.sleep(this.o.shardSyncIntervalMs, this.controller.signal)) {
      await this.sync().catch((error: unknown) => void this.log.warn({ err: error }, 'periodic ListShards failed'));
    }
  }

  private shardFailed(shardId: string, error: unknown): void {
    this.log.error({ err: error, shardId }, 'shard stopped on an error');
    if (this.o.onShardError) {
      try {
        this.o.onShardError(error, shardId);
      } catch (callbackError) {
        this.log.error({ err: callbackError, shardId }, 'onShardError threw');
      }
      return;
    }
    this.fail(error);
  }

  private fail(error: unknown): void {
    this.failure ??= { error };
    void this.shutdown();
  }

  private shutdown(): Promise<void> {
    this.shutdownPromise ??= this.shutdownNow().finally(this.markStopped);
    return this.shutdownPromise;
  }

  private async shutdownNow(): Promise<void> {
    this.lifecycle = 'stopping';
    this.controller.abort();
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.channel?.close();
    await this.starting;
    for (const task of this.tasks.values()) void task.reader.stop();
    await this.awaitShards();
    await this.syncLoop;
    await this.syncing?.catch(() => undefined);
    try {
      await this.tracker.close();
    } catch (error) {
      this.failure ??= { error };
      this.log.error({ err: error }, 'saving positions at stop failed');
    }
    if (!this.o.client) this.client?.destroy();
    this.lifecycle = 'stopped';
    this.log.info({ failed: this.failure !== undefined }, 'poller stopped');
  }

  /**
   * Waits for the shard loops to end at stop. Each loop that ends has its positions saved at once,
   * so that a kill after a stuck stop does not replay the shards that were done. After
   * `handlerGraceMs` the loops still running are left behind — except those whose handler awaits
   * stop(): they wait for the stuck ones, and get one more grace period once those are gone.
   */
  private async awaitShards(): Promise<void> {
    const saveWhenDone = (task: ShardTask): void =>
      void task.done.then(() => this.tracker.flush()).catch((error: unknown) => this.log.warn({ err: error }, 'saving positions at stop failed; tried again before the poller stops'));
    for (const task of this.tasks.values()) saveWhenDone(task);
    const leftBehind: string[] = [];
    for (let round = 0; this.tasks.size > 0; round++) {
      const timer = new AbortController();
      const graceOver = this.o.clock.sleep(this.o.handlerGraceMs, timer.signal).then(() => false);
      const allDone = Promise.all([...this.tasks.values()].map((t) => t.done)).then(() => true);
      const done = await Promise.race([allDone, graceOver]);
      timer.abort();
      if (done) continue;
      for (const [shardId, task] of [...this.tasks]) {
        if (round === 0 && this.handlersInStop.has(shardId)) continue;
        task.abandoned = true;
        this.tasks.delete(shardId);
        const node = this.graph.shards.get(shardId);
        if (node) node.state = 'failed';
        leftBehind.push(shardId);
      }
      this.wakeHandlersInStop();
    }
    if (leftBehind.length === 0) return;
    const shards = leftBehind.length === 1 ? `shard ${leftBehind[0]}` : `shards ${leftBehind.join(', ')}`;
    const error = new TimeoutError(
      `poller stopped without the handler of ${shards}, still running ${this.o.handlerGraceMs} ms after stop() (handlerGraceMs); the batch it held is not handled and is delivered again after a restart`,
    );
    this.log.error({ err: error, shardIds: leftBehind }, 'stopped without handlers that did not return');
    this.failure ??= { error };
  }
}
