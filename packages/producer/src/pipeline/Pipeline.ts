import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type Clock, type Logger, ShutdownError } from '@shardline/core';
import { AgeTracker } from '../AgeTracker';
import { BufferBudget } from '../BufferBudget';
import type { FailureChannel } from '../FailureChannel';
import type { PendingRecord } from '../PendingRecord';
import type { ProducerMetrics } from '../producerMetrics';
import type { Putter } from '../Putter';
import type { ResolvedProducerOptions } from '../resolveProducerOptions';
import { ShardMapCache } from '../ShardMapCache';
import type { ShardMapSource } from '../ShardMapSource';
import { Admission } from './Admission';
import { BatchedCounters } from './BatchedCounters';
import { Dispatcher } from './Dispatcher';
import { MispredictionResolver } from './MispredictionResolver';
import { PutRecordsCollector } from './PutRecordsCollector';
import { ResultHandler } from './ResultHandler';
import { RetryPolicy } from './RetryPolicy';
import { RetryScheduler } from './RetryScheduler';
import { type PassSteps, Scheduler } from './Scheduler';
import { Settlement } from './Settlement';
import { ShardMapInstaller } from './ShardMapInstaller';
import { ShardRouter } from './ShardRouter';

/** What the pipeline is built from. @internal */
export interface PipelineSeams {
  readonly options: ResolvedProducerOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ProducerMetrics;
  readonly putter: Putter;
  readonly shardMapSource: ShardMapSource;
  readonly failures: FailureChannel;
  /** The client the user gave, checked for SDK retries. */
  readonly userClient: KinesisClient | undefined;
}

/**
 * The stages wired together, in the order a record meets them: {@link Admission} →
 * {@link ShardRouter} (→ ShardQueue) → {@link Scheduler} (→ PutRecordsCollector) →
 * {@link Dispatcher} → {@link ResultHandler} (→ {@link MispredictionResolver},
 * {@link RetryPolicy}, {@link RetryScheduler}) → {@link Settlement}; the
 * {@link ShardMapInstaller} feeds the router. Also what concerns every stage at once: a step that
 * threw, and a close that gave up.
 * @internal
 */
export class Pipeline implements PassSteps {
  readonly ages = new AgeTracker();
  readonly budget: BufferBudget<PendingRecord>;
  readonly counters: BatchedCounters;
  readonly settlement: Settlement;
  readonly cache: ShardMapCache;
  readonly collector: PutRecordsCollector;
  readonly scheduler: Scheduler;
  readonly router: ShardRouter;
  readonly admission: Admission;
  readonly dispatcher: Dispatcher;
  readonly retries: RetryScheduler;
  readonly mispredictions: MispredictionResolver;
  readonly results: ResultHandler;
  readonly installer: ShardMapInstaller;
  private hardClosedFlag = false;
  private closeRequested = false;

  constructor(private readonly seams: PipelineSeams) {
    const { options, clock, logger, metrics } = seams;
    this.budget = new BufferBudget<PendingRecord>(options.maxBufferedRecords, options.maxBufferedBytes, (r) => this.admission.roomFor(r));
    this.counters = new BatchedCounters(metrics);
    this.settlement = new Settlement({ recordTtlMs: options.recordTtlMs, clock, logger, metrics, counters: this.counters, ages: this.ages, failures: seams.failures, budget: this.budget });
    this.cache = new ShardMapCache({
      source: seams.shardMapSource,
      clock,
      logger,
      loadTimeoutMs: options.requestTimeoutMs,
      listener: {
        mapLoaded: (map) => this.guarded('installing a shard map', () => this.installer.mapLoaded(map)),
        loadFailed: (error) => this.guarded('handling a failed shard map load', () => this.installer.loadFailed(error)),
      },
    });
    this.collector = new PutRecordsCollector(options.maxBatchRecords, options.maxBatchBytes);
    this.scheduler = new Scheduler({ options, clock, collector: this.collector, steps: this });
    this.router = new ShardRouter({ options, clock, cache: this.cache, scheduler: this.scheduler, startFirstMapLoad: () => void this.installer.firstMapLoad() });
    this.admission = new Admission({
      options,
      clock,
      budget: this.budget,
      ages: this.ages,
      counters: this.counters,
      settlement: this.settlement,
      next: this.router,
      internalFailure: (error, where, records) => this.internalFailure(error, where, records),
    });
    this.dispatcher = new Dispatcher({
      requestTimeoutMs: options.requestTimeoutMs,
      clock,
      putter: seams.putter,
      streamRef: options.stream.streamArn !== undefined ? { streamArn: options.stream.streamArn } : { streamName: options.stream.streamName },
      collector: this.collector,
      mapVersion: () => this.router.mapVersion,
      failUnsent: (r, error) => this.settlement.fail(r, this.settlement.internalError(error, 'arming a PutRecords timeout')),
      completed: (call, response, error) => this.results.completed(call, response, error),
      sent: (now) => this.installer.refreshIfDue(now),
    });
    const policy = new RetryPolicy({ ttlMs: options.recordTtlMs, backoff: options.retryBackoff, failIfThrottled: options.failIfThrottled });
    this.retries = new RetryScheduler({ ordered: options.ordered, maxBufferedTimeMs: options.maxBufferedTimeMs, router: this.router, scheduler: this.scheduler });
    const hardClosed = (): boolean => this.hardClosedFlag;
    this.mispredictions = new MispredictionResolver({
      ordered: options.ordered,
      cache: this.cache,
      logger,
      metrics,
      settlement: this.settlement,
      router: this.router,
      scheduler: this.scheduler,
      backoffMs: (r) => policy.backoffMs(r.attempts?.length ?? 1),
      mapPending: () => this.installer.mapPending,
      hardClosed,
    });
    this.results = new ResultHandler({
      clock,
      logger,
      metrics,
      counters: this.counters,
      settlement: this.settlement,
      policy,
      retries: this.retries,
      mispredictions: this.mispredictions,
      hardClosed,
      afterCompletion: () => this.installer.tryInstall(),
      schedulePass: () => this.scheduler.schedulePass(true),
      internalFailure: (error, where, records) => this.internalFailure(error, where, records),
    });
    this.installer = new ShardMapInstaller({
      options,
      clock,
      logger,
      metrics,
      cache: this.cache,
      router: this.router,
      mispredictions: this.mispredictions,
      userClient: seams.userClient,
      outstanding: () => this.settlement.outstanding,
      hardClosed,
      schedulePass: () => this.scheduler.schedulePass(true),
    });
  }

  /** True once close gave up: everything unsettled failed with ShutdownError. */
  get hardClosed(): boolean {
    return this.hardClosedFlag;
  }

  // ------------------------------------------------------------ PassSteps (the scheduler's view)

  get callsInFlight(): number {
    return this.dispatcher.callsInFlight;
  }

  releaseDue(now: number): number {
    const expire = (r: PendingRecord): void => this.settlement.expire(r, now);
    const retries = this.retries.releaseDue(now, expire);
    const fresh = this.mispredictions.waitingForFreshMap.releaseExpired(now, expire);
    const first = this.router.waitingForFirstMap.releaseExpired(now, expire);
    // An aggregate waiting for its shard's range is decided with what is known once its first record expires.
    const range = this.mispredictions.waitingForShardRange.releaseExpired(now, (landing) => this.mispredictions.resolve(landing, now, this.router.mapVersion));
    return Math.min(retries, fresh, first, range);
  }

  expire(record: PendingRecord, now: number): void {
    this.settlement.expire(record, now);
  }

  dispatch(now: number): void {
    this.dispatcher.dispatch(now);
  }

  afterFullPass(now: number): void {
    const metrics = this.seams.metrics;
    metrics.bufferedRecords.set(this.budget.records);
    metrics.bufferedBytes.set(this.budget.bytes);
    const oldest = this.ages.oldestMs();
    metrics.oldestRecordAge.set(oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000);
  }

  afterPass(): void {
    this.counters.publish();
  }

  idle(): boolean {
    return this.hardClosedFlag || (this.closeRequested && this.settlement.unsettled === 0);
  }

  // ------------------------------------------------------------ failures and close

  /**
   * An exception escaped a step of the pipeline (a bug, or a seam such as the clock that threw).
   * The records it may have left between two places are failed with InternalError rather than
   * left pending forever: `records` when the step knows them, else everything held that is not in
   * flight (what is in flight settles when its call completes).
   */
  internalFailure(error: unknown, where: string, records?: Iterable<PendingRecord>): void {
    let failed = 0;
    for (const r of records ?? this.takeHeld(true)) {
      if (r.settled) continue;
      try {
        this.settlement.fail(r, this.settlement.internalError(error, where));
        failed++;
      } catch (again) {
        this.seams.logger.error({ err: again }, 'failing a record after an internal error failed too');
      }
    }
    this.seams.logger.error({ err: error, failedRecords: failed }, `producer failed ${where}; its records failed with InternalError`);
  }

  /** Close started: send everything at once from now on; the timer stops once nothing is left. */
  closeStarted(): void {
    this.closeRequested = true;
    this.scheduler.closeStarted();
  }

  /** Close gave up: fails everything still unsettled with ShutdownError and abandons calls in flight. */
  abortAll(): void {
    if (this.hardClosedFlag) return;
    this.hardClosedFlag = true;
    const now = this.seams.clock.monotonicNow();
    const shutdown = (): ShutdownError => new ShutdownError('producer closed before the record was written');
    this.seams.logger.warn({ outstanding: this.settlement.outstanding, waiting: this.budget.waiting }, 'close timed out; failing unsettled records with ShutdownError');
    this.admission.refuseWaiting(shutdown);
    for (const r of this.takeHeld(false)) this.settlement.fail(r, shutdown());
    for (const landing of this.mispredictions.waitingForShardRange.takeAll()) this.mispredictions.resolve(landing, now, this.router.mapVersion);
    this.dispatcher.abandonAll(shutdown());
  }

  /** Releases every timer; counters and gauges get their last values. */
  release(): void {
    this.scheduler.stop();
    this.cache.close();
    this.counters.publish();
    this.afterFullPass(this.seams.clock.monotonicNow());
  }

  /** Runs a step entered from outside the pipeline (a shard-map callback) under {@link internalFailure}. */
  private guarded(where: string, step: () => void): void {
    try {
      step();
    } catch (error) {
      this.internalFailure(error, where);
    }
  }

  /**
   * Removes and returns every user record held outside PutRecords calls in flight: queued,
   * collected, backing off, waiting for a map, and (with `unresolved`) in aggregates waiting for
   * their shard's range.
   */
  private takeHeld(unresolved: boolean): PendingRecord[] {
    const held: PendingRecord[] = [];
    for (const q of this.router.allQueues()) {
      for (const r of q.takeAll()) held.push(r);
      q.leftCollection();
    }
    for (const outbound of this.collector.take()) for (const r of outbound.record.userRecords) held.push(r);
    for (const r of this.retries.takeAll()) held.push(r);
    for (const r of this.mispredictions.waitingForFreshMap.takeAll()) held.push(r);
    for (const r of this.router.waitingForFirstMap.takeAll()) held.push(r);
    if (unresolved) for (const r of this.mispredictions.takeUnresolved()) held.push(r);
    return held;
  }
}
