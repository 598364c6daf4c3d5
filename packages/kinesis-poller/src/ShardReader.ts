import { type ChildShard as SdkChildShard, GetRecordsCommand, type GetRecordsCommandOutput, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import {
  awsErrorName,
  Backoff,
  classifyAwsError,
  ExpiredIteratorError,
  ExtendedSequenceNumber,
  InvalidArgumentError,
  type Logger,
  type MetricLabels,
  parseHashKeyRange,
  type ShardlineError,
  ThrottledError,
  TimeoutError,
} from '@shardline/core';
import { type DeaggregatedRecord, Deaggregator, hasKplMagic } from '@shardline/kpl-aggregation';
import { plainUserRecord } from './plainUserRecord';
import { createPollerInstruments, type PollerInstruments } from './PollerMetrics';
import { MIN_TIME_BETWEEN_READS_MS, type ResolvedShardReaderOptions, resolveShardReaderOptions, type ShardReaderOptions } from './resolveShardReaderOptions';
import type { ChildShard, ShardBatch } from './ShardBatch';
import { isPastFloor, iteratorRequest, type ResolvedStartingPosition } from './StartingPosition';

/** Thrown inside the reader when it is stopped; never escapes. */
class ReaderStopped extends Error {}
const STOPPED = new ReaderStopped('ShardReader stopped');

/** Consecutive throttles (or transient failures) logged at warn before the reader logs them at error. */
const THROTTLES_BEFORE_ERROR_LOG = 10;

type Floor = Extract<ResolvedStartingPosition, { floor?: unknown }>['floor'];

function childShardsOf(children: SdkChildShard[] | undefined): ChildShard[] | undefined {
  if (!children || children.length === 0) return undefined;
  return children.map((c) => ({
    shardId: c.ShardId!,
    parentShardIds: [...(c.ParentShards ?? [])],
    range: c.HashKeyRange ? parseHashKeyRange(c.HashKeyRange, `child shard ${c.ShardId} HashKeyRange`) : undefined,
  }));
}

/**
 * Reads one shard with GetRecords, as an async iterator of {@link ShardBatch}es, from a starting
 * position to the shard's end (or until stopped). This is the retrieval engine of the multi-shard
 * `Poller` and of a lease-holding KCL worker.
 *
 * - Backpressure: the next GetRecords starts only after the consumer asked for the next batch
 *   (the previous one is handled), plus up to `maxPrefetchBatches` batches fetched ahead.
 * - Pacing: calls start at least `idleTimeBetweenReadsMs` apart when caught up, 200 ms apart
 *   while behind (full batch or `millisBehindLatest` > 0), and never before the bytes of the last
 *   answer are paid for at `readBytesPerSecond` (Kinesis's 2 MiB/s per shard).
 * - Positions: resumes after an {@link ExtendedSequenceNumber} by asking for AT_SEQUENCE_NUMBER
 *   and dropping user records at or below it, so a position inside an aggregate resumes at the
 *   next sub-record. The shard iterator itself is never exposed (it expires after 5 minutes).
 * - Errors: ExpiredIterator → a new iterator AFTER the last sequence number fetched;
 *   ProvisionedThroughputExceeded → backoff, retried without limit; transient errors → backoff,
 *   up to `maxAttempts` (default 10; `'unlimited'` retries until the call succeeds), each retry
 *   reported to `onRetry`; anything else rejects `next()` with a typed ShardlineError, after the
 *   batches already fetched are delivered.
 *
 * One consumer only: iterate it once.
 * @public
 */
export class ShardReader implements AsyncIterable<ShardBatch> {
  /** The shard this reader reads. */
  readonly shardId: string;
  private readonly o: ResolvedShardReaderOptions;
  private readonly log: Logger;
  private readonly labels: MetricLabels;
  private readonly m: PollerInstruments;
  private readonly deaggregator: Deaggregator | undefined;
  private readonly controller = new AbortController();
  private readonly throttleBackoff: Backoff;
  private readonly retryBackoff: Backoff;

  private iterator: string | undefined;
  private floor: Floor;
  private lastFetched: string | undefined;
  private lastDelivered: ExtendedSequenceNumber | undefined;
  private latestIssuedAt: number | undefined;
  private lastCallStartedAt = -Infinity;
  private nextReadAt = -Infinity;
  private consecutiveThrottles = 0;

  private readonly queue: ShardBatch[] = [];
  private handling = false;
  private waiter: { resolve: (r: IteratorResult<ShardBatch>) => void; reject: (e: unknown) => void } | undefined;
  private wakeProducer: (() => void) | undefined;
  private pump: Promise<void> | undefined;
  private finished = false;
  private failure: { error: unknown; reported: boolean } | undefined;
  private stopping = false;
  private iterated = false;
  private readonly onAbort = (): void => void this.stop();

  constructor(options: ShardReaderOptions) {
    this.o = resolveShardReaderOptions(options);
    this.shardId = this.o.shardId;
    this.log = this.o.logger.child({ component: 'shard-reader', stream: this.o.streamLabel, shardId: this.shardId });
    this.labels = { stream: this.o.streamLabel, shard_id: this.shardId };
    this.m = createPollerInstruments(this.o.metrics);
    const d = this.o.deaggregate;
    const checkRange = d !== false && d.outOfRange !== undefined && this.o.shardRange !== undefined;
    this.deaggregator = d === false ? undefined : new Deaggregator({ ...d, ...(checkRange ? { shardRange: this.o.shardRange } : {}), metrics: this.o.metrics });
    this.throttleBackoff = new Backoff(this.o.throttleBackoff);
    this.retryBackoff = new Backoff(this.o.retryBackoff);
    const start = this.o.startingPosition;
    this.floor = 'floor' in start ? start.floor : undefined;
  }

  /** The position of the last record delivered (not necessarily handled yet); undefined before the first. */
  get position(): ExtendedSequenceNumber | undefined {
    return this.lastDelivered;
  }

  /** True once {@link stop} was called or the signal aborted. */
  get stopped(): boolean {
    return this.stopping;
  }

  [Symbol.asyncIterator](): AsyncIterator<ShardBatch> {
    if (this.iterated) throw new InvalidArgumentError(`ShardReader for ${this.shardId} can be iterated only once`);
    this.iterated = true;
    return {
      next: () => this.next(),
      return: async () => {
        await this.stop();
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * Stops reading: aborts the GetRecords in flight and any wait, drops batches fetched ahead and
   * not yet delivered, and ends the iteration (a pending `next()` resolves done). Resolves when
   * the reader has released every timer and request. The batch being handled is not affected.
   */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.controller.abort();
      this.wake();
      this.settleWaiter();
    }
    await this.pump;
  }

  private next(): Promise<IteratorResult<ShardBatch>> {
    if (this.waiter) return Promise.reject(new InvalidArgumentError(`ShardReader for ${this.shardId}: next() called while another next() is pending`));
    // Asking for the next batch is what marks the previous one handled.
    this.handling = false;
    if (!this.pump && !this.stopping) {
      this.o.signal?.addEventListener('abort', this.onAbort, { once: true });
      if (this.o.signal?.aborted) void this.stop();
      else this.pump = this.run();
    }
    this.wake();
    const ready = this.take();
    if (ready) return ready;
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The result available now, or undefined when the consumer has to wait. */
  private take(): Promise<IteratorResult<ShardBatch>> | undefined {
    if (this.failure && !this.failure.reported && this.queue.length === 0) {
      this.failure.reported = true;
      return Promise.reject(this.failure.error);
    }
    if (this.stopping) return Promise.resolve({ done: true, value: undefined });
    const batch = this.queue.shift();
    if (batch) {
      this.handling = true;
      return Promise.resolve({ done: false, value: batch });
    }
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    return undefined;
  }

  private settleWaiter(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    const ready = this.take();
    if (!ready) return;
    this.waiter = undefined;
    ready.then(waiter.resolve, waiter.reject);
  }

  private wake(): void {
    const wake = this.wakeProducer;
    this.wakeProducer = undefined;
    wake?.();
  }

  private async waitForCapacity(): Promise<void> {
    while (!this.stopping && this.queue.length + (this.handling ? 1 : 0) > this.o.maxPrefetchBatches) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
  }

  private enqueue(batch: ShardBatch): void {
    this.queue.push(batch);
    this.settleWaiter();
  }

  private async run(): Promise<void> {
    try {
      if (this.o.startingPosition.type === 'SHARD_END') {
        this.enqueue(this.endBatch([], undefined, undefined));
        return;
      }
      while (!this.stopping) {
        await this.waitForCapacity();
        if (this.stopping) return;
        const batch = await this.readOnce();
        if (batch) this.enqueue(batch);
        if (batch?.shardEnded) return;
      }
    } catch (error) {
      if (error !== STOPPED) {
        this.log.error({ err: error }, 'shard reader failed');
        this.failure = { error, reported: false };
      }
    } finally {
      this.finished = true;
      this.o.signal?.removeEventListener('abort', this.onAbort);
      this.settleWaiter();
    }
  }

  private endBatch(records: DeaggregatedRecord[], millisBehindLatest: number | undefined, children: ChildShard[] | undefined): ShardBatch {
    this.log.info({ childShards: children?.map((c) => c.shardId) }, 'shard ended');
    return { shardId: this.shardId, records, millisBehindLatest, shardEnded: true, childShards: children, lastPosition: ExtendedSequenceNumber.SHARD_END };
  }

  /** One GetRecords call turned into a batch; undefined when there is nothing to deliver. */
  private async readOnce(): Promise<ShardBatch | undefined> {
    const out = await this.fetch();
    if (out === undefined) return this.endBatch([], undefined, undefined);
    const raw = out.Records ?? [];
    const records: DeaggregatedRecord[] = [];
    let bytes = 0;
    let keyBytes = 0;
    for (const r of raw) {
      bytes += r.Data?.byteLength ?? 0;
      keyBytes += r.PartitionKey?.length ?? 0;
      // Only aggregates go through the deaggregator. A plain record is never range-checked: Kinesis
      // placed it by its explicit hash key, which GetRecords does not return, so its partition
      // key's hash says nothing about whether it belongs here.
      if (this.deaggregator && r.Data !== undefined && hasKplMagic(r.Data)) {
        for (const u of this.deaggregator.iterate(r)) this.accept(u, records);
      } else {
        this.accept(plainUserRecord(r), records);
      }
    }
    const millisBehindLatest = out.MillisBehindLatest;
    const ended = !out.NextShardIterator;
    this.iterator = out.NextShardIterator;
    const last = raw[raw.length - 1];
    if (last) this.lastFetched = last.SequenceNumber;
    const lastRecord = records[records.length - 1];
    if (lastRecord) this.lastDelivered = new ExtendedSequenceNumber(lastRecord.sequenceNumber, lastRecord.subSequenceNumber);

    const caughtUp = raw.length < this.o.limit && !(millisBehindLatest && millisBehindLatest > 0);
    this.nextReadAt = this.lastCallStartedAt + (caughtUp ? this.o.idleTimeBetweenReadsMs : MIN_TIME_BETWEEN_READS_MS);
    // Kinesis refuses reads of this shard until the answer's bytes are paid for at its read rate.
    const paidAt = this.o.clock.monotonicNow() + ((bytes + keyBytes) * 1000) / this.o.readBytesPerSecond;
    if (paidAt > this.nextReadAt) this.nextReadAt = paidAt;

    const labels = this.labels;
    this.m.getRecords.add(1, labels);
    if (records.length) this.m.records.add(records.length, labels);
    if (bytes) this.m.bytes.add(bytes, labels);
    if (millisBehindLatest !== undefined) this.m.millisBehindLatest.set(millisBehindLatest, labels);
    const arrival = last?.ApproximateArrivalTimestamp;
    this.m.iteratorAgeMs.set(arrival ? Math.max(0, this.o.clock.now() - arrival.getTime()) : (millisBehindLatest ?? 0), labels);

    if (ended) return this.endBatch(records, millisBehindLatest, childShardsOf(out.ChildShards));
    if (records.length === 0 && !this.o.deliverEmptyBatches) return undefined;
    return { shardId: this.shardId, records, millisBehindLatest, shardEnded: false, childShards: undefined, lastPosition: this.lastDelivered };
  }

  private accept(record: DeaggregatedRecord, into: DeaggregatedRecord[]): void {
    if (this.floor) {
      if (!isPastFloor(record.sequenceNumber, record.subSequenceNumber, this.floor)) return;
      // Records arrive in ascending order: once one is past the floor, all that follow are.
      this.floor = undefined;
    }
    into.push(record);
  }

  /** Where a (new) iterator must start: after what was fetched, else the starting position. */
  private iteratorPosition(): Exclude<ResolvedStartingPosition, { type: 'SHARD_END' }> {
    if (this.lastFetched !== undefined) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastFetched };
    // A LATEST iterator that expired before any record came: a new LATEST would skip the records
    // that arrived meanwhile, so ask for everything since the first iterator was issued.
    if (this.latestIssuedAt !== undefined) return { type: 'AT_TIMESTAMP', timestamp: new Date(this.latestIssuedAt) };
    return this.o.startingPosition as Exclude<ResolvedStartingPosition, { type: 'SHARD_END' }>;
  }

  /**
   * One SDK call, aborted by {@link stop} or after `requestTimeoutMs` — then it fails with a
   * retryable TimeoutError. A whole-call deadline: core's clients also abort on socket inactivity,
   * but a client the user built may have a handler that only logs a warning when that passes.
   */
  private async send<T>(what: string, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const onStop = (): void => controller.abort();
    this.controller.signal.addEventListener('abort', onStop, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.o.requestTimeoutMs);
    try {
      return await call(controller.signal);
    } catch (error) {
      if (timedOut && !this.stopping) throw new TimeoutError(`${what} on ${this.shardId} took longer than ${this.o.requestTimeoutMs} ms`, { cause: error });
      throw error;
    } finally {
      clearTimeout(timer);
      this.controller.signal.removeEventListener('abort', onStop);
    }
  }

  private reportRetry(error: ShardlineError, call: 'GetShardIterator' | 'GetRecords', attempt: number, delayMs: number): void {
    const onRetry = this.o.onRetry;
    if (!onRetry) return;
    try {
      onRetry(error, { shardId: this.shardId, call, attempt, delayMs });
    } catch (callbackError) {
      this.log.error({ err: callbackError }, 'onRetry threw');
    }
  }

  private async sleep(ms: number): Promise<void> {
    if (ms > 0 && !(await this.o.clock.sleep(ms, this.controller.signal))) throw STOPPED;
    if (this.stopping) throw STOPPED;
  }

  /**
   * GetRecords with a valid iterator, retrying what may be retried. Resolves undefined when
   * GetShardIterator reports no iterator (the shard is closed and fully read).
   */
  private async fetch(): Promise<GetRecordsCommandOutput | undefined> {
    const { client, clock, maxAttempts } = this.o;
    let transient = 0;
    let expired = 0;
    let invalidIterator = 0;
    for (;;) {
      let phase: 'iterator' | 'records' = 'iterator';
      try {
        if (this.iterator === undefined) {
          const position = this.iteratorPosition();
          if (position.type === 'LATEST') this.latestIssuedAt = clock.now();
          const out = await this.send('GetShardIterator', (abortSignal) =>
            client.send(new GetShardIteratorCommand({ StreamName: this.o.streamName, StreamARN: this.o.streamArn, ShardId: this.shardId, ...iteratorRequest(position) }), { abortSignal }),
          );
          if (!out.ShardIterator) return undefined;
          this.iterator = out.ShardIterator;
          this.log.debug({ position }, 'got shard iterator');
        }
        await this.sleep(this.nextReadAt - clock.monotonicNow());
        phase = 'records';
        this.lastCallStartedAt = clock.monotonicNow();
        // Even a failed call counts against the shard's 5 reads per second.
        this.nextReadAt = this.lastCallStartedAt + MIN_TIME_BETWEEN_READS_MS;
        const iterator = this.iterator;
        const out = await this.send('GetRecords', (abortSignal) => client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.o.limit, StreamARN: this.o.streamArn }), { abortSignal }));
        this.throttleBackoff.reset();
        this.retryBackoff.reset();
        this.consecutiveThrottles = 0;
        return out;
      } catch (raw) {
        if (this.stopping || raw === STOPPED) throw STOPPED;
        const error = classifyAwsError(raw);
        if (error instanceof ExpiredIteratorError) {
          this.m.expiredIterators.add(1, this.labels);
          this.iterator = undefined;
          if (++expired >= maxAttempts) throw error;
          this.log.info({ after: this.lastFetched }, 'shard iterator expired; getting a new one');
          continue;
        }
        if (error instanceof ThrottledError) {
          this.m.throttles.add(1, this.labels);
          const delay = this.throttleBackoff.next();
          const level = ++this.consecutiveThrottles >= THROTTLES_BEFORE_ERROR_LOG ? 'error' : 'warn';
          this.log[level]({ err: awsErrorName(raw), consecutive: this.consecutiveThrottles, delayMs: delay, call: phase }, 'throttled; backing off');
          await this.sleep(delay);
          continue;
        }
        if (phase === 'records' && error instanceof InvalidArgumentError && invalidIterator++ === 0) {
          // Kinesis refused the iterator itself (the KCL restarts it too); a second refusal surfaces.
          this.log.warn({ err: error.message }, 'shard iterator refused; getting a new one');
          this.iterator = undefined;
          continue;
        }
        if (error.retryable && ++transient < maxAttempts) {
          this.m.retries.add(1, this.labels);
          const delay = this.retryBackoff.next();
          const level = transient >= THROTTLES_BEFORE_ERROR_LOG ? 'error' : 'warn';
          this.log[level]({ err: awsErrorName(raw), attempt: transient, delayMs: delay, call: phase }, 'transient failure; retrying');
          this.reportRetry(error, phase === 'iterator' ? 'GetShardIterator' : 'GetRecords', transient, delay);
          await this.sleep(delay);
          continue;
        }
        throw error;
      }
    }
  }
}
