import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { classifyAwsError, createKinesisClient, type Logger, retry, ShutdownError } from '@shardline/core';
import { type Lease, LeaseCoordinator } from '@shardline/dynamo-lease';
import { EventEmitter } from 'node:events';
import { FanOutRetrieval } from './fanout/FanOutRetrieval';
import { LeaseCleanup } from './LeaseCleanup';
import { LineageView } from './LineageView';
import { PollingRetrieval, type Retrieval } from './Retrieval';
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './resolveWorkerOptions';
import { ShardConsumer, type ShardConsumerOutcome, type ShardConsumerState } from './ShardConsumer';
import { ShardSyncer } from './ShardSyncer';
import { createStatusHandler, type StatusHandler } from './status/createStatusHandler';
import { StatusServer } from './status/StatusServer';
import { describeStreamIdentifier, shardIdOf, type TrackedStream } from './streams';
import { createWorkerInstruments, type WorkerInstruments } from './workerMetrics';

/** Retries of the start-up calls (DescribeStreamSummary, ListShards) on retryable errors. */
const STARTUP_RETRY = { maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 } as const;

/** Events of a {@link Worker}. @public */
export interface WorkerEvents {
  /** A shard consumer started for a lease this worker acquired. */
  shardStarted: [leaseKey: string];
  /** A shard was read to its end and `SHARD_END` checkpointed; its children may start. */
  shardEnded: [leaseKey: string];
  /** The lease was taken by another worker or expired; the processor got `leaseLost`. */
  leaseLost: [leaseKey: string];
  /** A processor kept failing, or hung: its lease was released so that the shard is retried. */
  processorFailed: [leaseKey: string, outcome: 'failed' | 'hung'];
  /** A lease was deleted by lease cleanup. */
  leaseDeleted: [leaseKey: string];
  /** A background task failed (shard sync, lease coordination); emitted only when listened to. */
  error: [error: unknown];
}

/** Where a {@link Worker} is in its life: `start()` makes it `running`, `stop()` `stopping` then `stopped`. @public */
export type WorkerLifecycle = 'new' | 'running' | 'stopping' | 'stopped';

/** One shard this worker processes, for status and tests. @public */
export interface ShardStatus {
  readonly leaseKey: string;
  readonly shardId: string;
  readonly streamName: string;
  readonly state: ShardConsumerState;
  readonly recordsProcessed: number;
  readonly millisBehindLatest: number | undefined;
  readonly lastBatchAt: number | undefined;
  readonly checkpoint: string | undefined;
}

/**
 * A KCL worker (the Java KCL's `Scheduler`): a lease coordinator decides which shards this worker
 * owns; one {@link ShardConsumer} per held lease reads from the lease's checkpoint and drives the
 * application's processor; checkpoints go through the lease, fenced by its counter. Shard sync
 * creates leases hierarchically at start and every `shardSyncIntervalMs`; lease cleanup deletes
 * finished leases once their children have leases.
 *
 * `await worker.start()`, then `await worker.stop()` (or abort `signal`): stop taking leases, ask
 * every processor to finish (`shutdownRequested`), then give every lease back at once, within
 * `shutdownTimeoutMs` whatever the processors do.
 * @public
 */
export class Worker extends EventEmitter<WorkerEvents> {
  /** The resolved options. */
  readonly options: ResolvedWorkerOptions;
  /** This worker's id in the lease table. */
  readonly workerId: string;
  /** The lease coordinator (lease table, renewals, taking, checkpoints). */
  readonly coordinator: LeaseCoordinator;

  private readonly kinesis: KinesisClient;
  private readonly ownsKinesis: boolean;
  private readonly retrieval: Retrieval;
  private readonly log: Logger;
  private readonly instruments: WorkerInstruments;
  private readonly lineage: LineageView;
  private readonly syncer: ShardSyncer;
  private readonly cleanup: LeaseCleanup;
  private readonly consumers = new Map<string, ShardConsumer>();
  private readonly pending = new Set<Promise<void>>();
  private readonly cooldownUntil = new Map<string, number>();
  private readonly abort = new AbortController();
  private readonly statusHandler: StatusHandler | undefined;
  private readonly statusServer: StatusServer | undefined;
  private streams: TrackedStream[] = [];
  private state: WorkerLifecycle = 'new';
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private syncLoop: Promise<void> | undefined;
  private readonly onAbort = (): void => void this.stop();

  constructor(options: WorkerOptions) {
    super();
    const o = (this.options = resolveWorkerOptions(options));
    this.workerId = o.workerId;
    this.log = o.logger.child({ component: 'Worker', workerId: o.workerId });
    this.instruments = createWorkerInstruments(o.metrics);
    this.ownsKinesis = o.kinesisClient === undefined;
    // The reader retries per shard itself; SDK retries on top would multiply the attempts.
    this.kinesis = o.kinesisClient ?? createKinesisClient({ maxAttempts: 1, ...o.clientOptions });
    // Empty batches too: they keep millisBehindLatest current (the processor sees them only with processEmptyBatches).
    this.retrieval =
      o.retrieval === 'fanout'
        ? new FanOutRetrieval({ ...o.fanout!, applicationName: o.applicationName, clientOptions: o.clientOptions, clock: o.clock, logger: o.logger, metrics: o.metrics })
        : o.retrieval !== 'polling'
          ? o.retrieval
          : new PollingRetrieval({
              client: this.kinesis,
              limit: o.maxRecords,
              idleTimeBetweenReadsMs: o.idleTimeBetweenReadsMs,
              readBytesPerSecond: Number.isFinite(o.readBytesPerSecond) ? o.readBytesPerSecond : 'unlimited',
              deliverEmptyBatches: true,
              clock: o.clock,
              logger: o.logger,
              metrics: o.metrics,
            });
    this.coordinator = new LeaseCoordinator({
      tableName: o.tableName,
      workerId: o.workerId,
      failoverTimeMs: o.failoverTimeMs,
      ...(o.takerIntervalMs !== undefined ? { takerIntervalMs: o.takerIntervalMs } : {}),
      ...(o.maxLeasesForWorker !== undefined ? { maxLeasesForWorker: o.maxLeasesForWorker } : {}),
      ...(o.maxLeasesToStealAtOneTime !== undefined ? { maxLeasesToStealAtOneTime: o.maxLeasesToStealAtOneTime } : {}),
      ...(o.billingMode !== undefined ? { billingMode: o.billingMode } : {}),
      ...(o.gracefulHandoff !== undefined ? { gracefulHandoff: o.gracefulHandoff } : {}),
      ...(o.handoffTimeoutMs !== undefined ? { handoffTimeoutMs: o.handoffTimeoutMs } : {}),
      ...(o.dynamoDbClient ? { client: o.dynamoDbClient } : { clientOptions: o.clientOptions }),
      clock: o.clock,
      logger: o.logger,
      metrics: o.metrics,
    });
    this.lineage = new LineageView((key) => this.coordinator.table.getLease(key));
    this.syncer = new ShardSyncer(this.kinesis, this.coordinator, this.log);
    this.cleanup = new LeaseCleanup(this.coordinator.table, o.leaseCleanupDelayMs, this.log, (key, reason) => {
      this.lineage.forget(key);
      this.instruments.leasesDeleted.add(1, { reason });
      this.notify('leaseDeleted', key);
    });
    this.coordinator.on('leasesScanned', (leases) => this.lineage.update(leases));
    this.coordinator.on('leaseAcquired', (lease) => this.onAcquired(lease));
    this.coordinator.on('leaseLost', (lease, reason) => {
      this.log.info({ leaseKey: lease.leaseKey, reason }, 'lease lost');
      this.consumers.get(lease.leaseKey)?.leaseLost();
      this.notify('leaseLost', lease.leaseKey);
    });
    this.coordinator.on('leaseHandoffRequested', (lease) => {
      // Another worker balances by asking for this lease: finish the batch, checkpoint, hand it over.
      const consumer = this.consumers.get(lease.leaseKey);
      if (consumer) consumer.requestShutdown();
      else void this.handOver(lease.leaseKey, 'not processed here');
    });
    this.coordinator.on('error', (error) => this.reportError(error));
    if (o.statusServer) {
      // Listening from construction, so that the page's event list starts with the first lease taken.
      this.statusHandler = createStatusHandler(this, { registry: o.statusServer.registry });
      this.statusServer = new StatusServer(this.statusHandler, o.statusServer);
    }
  }

  /** Where the worker is in its life. */
  get lifecycle(): WorkerLifecycle {
    return this.state;
  }

  /** The status page's URL (`http://127.0.0.1:<port>/` by default) while the `statusServer` option's server listens, else `undefined`. */
  get statusUrl(): string | undefined {
    return this.statusServer?.url;
  }

  /** Shards this worker is processing now. */
  get shards(): ShardStatus[] {
    return [...this.consumers.values()].map((c) => ({
      leaseKey: c.leaseKey,
      shardId: c.context.shardId,
      streamName: c.context.streamName,
      state: c.state,
      recordsProcessed: c.recordsProcessed,
      millisBehindLatest: c.millisBehindLatest,
      lastBatchAt: c.lastBatchAt,
      checkpoint: c.checkpoint?.toString(),
    }));
  }

  /** The streams this worker consumes, with their lease-key prefixes (after {@link start}). */
  get trackedStreams(): readonly TrackedStream[] {
    return this.streams;
  }

  /**
   * Creates the lease table if needed, syncs shards to leases, takes back this worker id's own
   * leases, and starts renewing, taking and processing. Rejects (and stops) when the table or a
   * stream cannot be reached.
   */
  start(): Promise<void> {
    if (this.state !== 'new') return this.startPromise ?? Promise.reject(new ShutdownError('worker is stopped'));
    this.startPromise ??= (async () => {
      const o = this.options;
      try {
        if (this.statusServer) this.log.info({ statusUrl: await this.statusServer.listen() }, 'status server listening');
        // One throttle or network blip at start must not fail it: retryable errors are retried.
        const retrying = <T>(fn: () => Promise<T>): Promise<T> =>
          retry(fn, {
            ...STARTUP_RETRY,
            mapError: classifyAwsError,
            clock: o.clock,
            signal: this.abort.signal,
            onRetry: (err, attempt, delayMs) => this.log.warn({ err, attempt, delayMs }, 'worker start: retrying'),
          });
        this.streams = await Promise.all(o.streams.map(async (s) => ({ ...s, identifier: o.multiStream ? await retrying(() => describeStreamIdentifier(this.kinesis, s.streamName)) : undefined })));
        await this.coordinator.init();
        const sync = await retrying(async () => {
          const result = await this.syncer.sync(this.streams);
          const failure = result.failures.values().next();
          if (!failure.done) throw failure.value;
          return result;
        });
        this.lineage.update(sync.leases);
        if (this.abort.signal.aborted) throw new ShutdownError('worker was stopped while starting');
        this.state = 'running';
        await this.coordinator.start();
      } catch (error) {
        await this.stop();
        throw error;
      }
      this.syncLoop = this.runSyncLoop();
      o.signal?.addEventListener('abort', this.onAbort, { once: true });
      if (o.signal?.aborted) void this.stop();
      this.log.info({ streams: this.streams.map((s) => s.streamName), tableName: o.tableName }, 'worker started');
    })();
    return this.startPromise;
  }

  /**
   * Graceful stop: stops taking leases, asks every processor to finish (`shutdownRequested`, then
   * `leaseLost`), waits up to `shutdownTimeoutMs`, gives up on processors still busy, then
   * releases every lease in DynamoDB so that peers take them at once. Idempotent; never rejects.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.abort.abort();
    this.options.signal?.removeEventListener('abort', this.onAbort);
    const { clock, shutdownTimeoutMs } = this.options;
    if (wasRunning) await this.coordinator.stopTaking().catch((error: unknown) => this.log.warn({ err: error }, 'stopping the taker failed'));
    // Starts still waiting (for a previous consumer or a cooldown) see the state and give up.
    const consumers = [...this.consumers.values()];
    for (const c of consumers) c.requestShutdown();
    const all = Promise.all(consumers.map((c) => c.done));
    const timer = new AbortController();
    const inTime = await Promise.race([all.then(() => true), clock.sleep(shutdownTimeoutMs, timer.signal).then(() => false)]);
    timer.abort();
    if (!inTime) {
      const busy = consumers.filter((c) => c.state !== 'done');
      this.log.error({ shards: busy.map((c) => c.leaseKey), shutdownTimeoutMs }, 'processors did not finish within shutdownTimeoutMs; releasing their leases anyway');
      for (const c of busy) c.giveUp();
      await all;
    }
    await this.syncLoop;
    await this.coordinator.stop({ release: true }).catch((error: unknown) => this.log.warn({ err: error }, 'lease coordinator stop failed'));
    await this.retrieval.close?.().catch((error: unknown) => this.log.warn({ err: error }, 'retrieval close failed'));
    if (this.ownsKinesis) this.kinesis.destroy();
    this.instruments.currentLeases.set(0);
    this.state = 'stopped';
    // Last, so that the page shows the stop until the leases are released.
    this.statusHandler?.close();
    await this.statusServer?.close();
    this.log.info('worker stopped');
  }

  private streamOf(leaseKey: string): TrackedStream | undefined {
    if (!this.options.multiStream) return leaseKey.includes(':') ? undefined : this.streams[0];
    return this.streams.find((s) => leaseKey.startsWith(`${s.identifier}:`));
  }

  private onAcquired(lease: Lease): void {
    if (this.state !== 'running') return;
    const stream = this.streamOf(lease.leaseKey);
    if (!stream) {
      this.log.warn({ leaseKey: lease.leaseKey }, 'holding a lease of a stream this worker does not consume; it is not processed');
      return;
    }
    const previous = this.consumers.get(lease.leaseKey);
    const wait = (async () => {
      // Serial per shard: a consumer still finishing (a late leaseLost) ends before the next one starts.
      if (previous) await previous.done;
      const until = this.cooldownUntil.get(lease.leaseKey) ?? 0;
      const { clock } = this.options;
      if (until > clock.monotonicNow()) await clock.sleep(until - clock.monotonicNow(), this.abort.signal);
      if (this.state !== 'running' || !this.coordinator.getHeldLease(lease.leaseKey)) return;
      this.startConsumer(this.coordinator.getHeldLease(lease.leaseKey)!, stream);
    })().catch((error: unknown) => this.log.error({ err: error, leaseKey: lease.leaseKey }, 'could not start the shard consumer'));
    this.pending.add(wait);
    void wait.finally(() => this.pending.delete(wait));
  }

  private startConsumer(lease: Lease, stream: TrackedStream): void {
    const consumer = new ShardConsumer({
      lease,
      stream,
      shardId: shardIdOf(lease.leaseKey),
      coordinator: this.coordinator,
      lineage: this.lineage,
      retrieval: this.retrieval,
      syncer: this.syncer,
      options: this.options,
      logger: this.log,
      instruments: this.instruments,
    });
    this.consumers.set(lease.leaseKey, consumer);
    this.instruments.currentLeases.set(this.consumers.size);
    this.notify('shardStarted', lease.leaseKey);
    consumer.done
      .then((outcome) => this.afterConsumer(consumer, outcome))
      .catch((error: unknown) => this.log.error({ err: error, leaseKey: lease.leaseKey }, 'cleaning up after the shard consumer failed'));
  }

  private async afterConsumer(consumer: ShardConsumer, outcome: ShardConsumerOutcome): Promise<void> {
    const key = consumer.leaseKey;
    if (this.consumers.get(key) === consumer) this.consumers.delete(key);
    this.instruments.currentLeases.set(this.consumers.size);
    if (outcome === 'shard-ended') this.notify('shardEnded', key);
    if (outcome === 'failed' || outcome === 'hung') {
      const { clock, processingRetryBackoff } = this.options;
      this.cooldownUntil.set(key, clock.monotonicNow() + processingRetryBackoff.baseDelayMs);
      this.notify('processorFailed', key, outcome);
    }
    // A 'shutdown' while running is a requested handoff: the processor has checkpointed, hand over.
    if (outcome === 'shutdown' && this.state === 'running') return this.handOver(key, 'processor finished');
    if (outcome === 'shard-ended' || outcome === 'finished-earlier' || outcome === 'failed' || outcome === 'hung') {
      if (this.state !== 'running') return; // the stop releases it with the others
      const reason = outcome === 'shard-ended' || outcome === 'finished-earlier' ? 'shard_end' : outcome;
      this.instruments.releases.add(1, { reason });
      const released = await this.coordinator.releaseLease(key).catch((error: unknown) => {
        this.log.error({ err: error, leaseKey: key }, 'could not release the lease; it will expire');
        return false;
      });
      this.log.info({ leaseKey: key, outcome, released }, 'lease given back');
    }
  }

  private async handOver(leaseKey: string, why: string): Promise<void> {
    const handed = await this.coordinator.releaseLease(leaseKey).catch((error: unknown) => {
      this.log.warn({ err: error, leaseKey }, 'could not hand the lease over; the other worker takes it after the handoff timeout');
      return false;
    });
    this.log.info({ leaseKey, handed, why }, 'lease handed over to the worker that asked for it');
  }

  private async runSyncLoop(): Promise<void> {
    const { clock, shardSyncIntervalMs } = this.options;
    const signal = this.abort.signal;
    while (await clock.sleep(shardSyncIntervalMs, signal)) {
      try {
        const result = await this.syncer.sync(this.streams);
        if (signal.aborted) break;
        this.lineage.update(result.leases);
        await this.cleanup.run(result.leases, this.streams, result.shards, clock.monotonicNow());
      } catch (error) {
        this.log.warn({ err: error }, 'shard sync failed; retried at the next interval');
        this.reportError(error);
      }
    }
  }

  private notify<K extends Exclude<keyof WorkerEvents, 'error'>>(event: K, ...args: WorkerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: WorkerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.log.error({ err: error, event }, 'a worker event listener threw');
    }
  }

  private reportError(error: unknown): void {
    if (this.listenerCount('error') === 0) return;
    try {
      this.emit('error', error);
    } catch (listenerError) {
      this.log.error({ err: listenerError }, 'an error listener threw');
    }
  }
}
