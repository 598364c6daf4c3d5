import { setMaxListeners } from 'node:events';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  awsErrorName,
  backoffDelayMs,
  classifyAwsError,
  type Clock,
  createKinesisClient,
  createLogger,
  createNoopMetrics,
  createSystemClock,
  InternalError,
  InvalidArgumentError,
  integerOption,
  type Logger,
  MAX_PARTITION_KEY_LENGTH,
  parseExplicitHashKey,
  rangeContains,
  RecordTooLargeError,
  ServiceUnavailableError,
  type ShardlineError,
  ShutdownError,
  signalOption,
  ThrottledError,
  TimeoutError,
  utf8ByteLength,
  validatePartitionKey,
} from '@shardline/core';
import type { ShardInfo, ShardMap } from '@shardline/kpl-aggregation';
import { AgeTracker } from './AgeTracker';
import { BufferBudget } from './BufferBudget';
import { BufferFullError } from './BufferFullError';
import { Collector } from './Collector';
import { FailureChannel, type FailureIteratorOptions } from './FailureChannel';
import { guardLogger, guardMetrics } from './guardedSeams';
import { KinesisPutter } from './KinesisPutter';
import { PendingRecord, type RecordOwner, type WaitState } from './PendingRecord';
import { ProducerPutResult } from './ProducerPutResult';
import { createProducerMetrics, type ProducerMetrics } from './producerMetrics';
import { ProducerWritable, type ProducerRecord, type ProducerWritableOptions } from './ProducerWritable';
import type { PutFailure, PutResult } from './PutResult';
import type { Putter, PutRecordsEntry, PutRecordsResponse } from './Putter';
import { raceWithSignal, timeoutController } from './raceWithSignal';
import { RecordExpiredError } from './RecordExpiredError';
import { type ProducerOptions, type ResolvedProducerOptions, resolveProducerOptions } from './resolveProducerOptions';
import { ShardMapCache } from './ShardMapCache';
import { kinesisShardMapSource } from './ShardMapSource';
import { type OutboundRecord, ShardQueue } from './ShardQueue';
import { ShardRateLimiter } from './ShardRateLimiter';

/** Record payload: bytes, or a string sent as UTF-8. @public */
export type RecordData = Uint8Array | string;

/** Per-record options of {@link Producer.put} and {@link Producer.send}. @public */
export interface PutOptions {
  /** Decimal hash key in [0, 2^128 − 1] that routes the record instead of the partition key's MD5. */
  readonly explicitHashKey?: string;
  /** Stops waiting for buffer room (the promise rejects with the signal's reason). A record already accepted is not recalled. */
  readonly signal?: AbortSignal;
}

/** Options of {@link Producer.close}. @public */
export interface CloseOptions {
  /**
   * How long to wait for buffered records to be written, ms. When it runs out, in-flight requests
   * are abandoned and every unsettled record fails with ShutdownError. Default: no limit (records
   * still settle within their TTL).
   */
  readonly timeoutMs?: number;
  /** Aborting has the same effect as the timeout running out. */
  readonly signal?: AbortSignal;
}

interface Batch {
  readonly entries: OutboundRecord[];
  readonly queues: ShardQueue[];
  readonly start: number;
  readonly mapVersion: number;
}

interface RetryGroup {
  readonly at: number;
  readonly records: PendingRecord[];
}

/** An aggregate that landed on a shard whose range was unknown: decided after the next map load. */
interface Undecided {
  readonly o: OutboundRecord;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly start: number;
  readonly end: number;
  readonly expiresAt: number;
}

interface FlushWaiter {
  readonly upto: number;
  remaining: number;
  readonly resolve: () => void;
}

const WRONG_SHARD = 'Wrong Shard';
const RECORD_COUNT_MISMATCH = 'Record Count Mismatch';
const PTEE = 'ProvisionedThroughputExceededException';
const SHARD_RECORDS_PER_SECOND = 1000;
const SHARD_BYTES_PER_SECOND = 1024 * 1024;
const RESOLVED = Promise.resolve();

// Read once: a re-exported binding is a getter chain, and this one is read for every record.
const MAX_KEY_LENGTH = MAX_PARTITION_KEY_LENGTH;

const failureDetails = new WeakMap<object, PutFailure>();

/**
 * The attempts and record behind an error a `put` promise rejected with (also given to failure
 * listeners), or undefined for other errors.
 * @public
 */
export function putFailureOf(error: unknown): PutFailure | undefined {
  return error !== null && typeof error === 'object' ? failureDetails.get(error) : undefined;
}

/** Every user record of a PutRecords call. */
function* userRecordsOf(batch: Batch): Iterable<PendingRecord> {
  for (const o of batch.entries) yield* o.record.userRecords;
}

// A shared executor that hands out a promise's resolvers: no closure per put (Node 20 has no Promise.withResolvers).
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;
function captureResolvers(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

function toBytes(data: RecordData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  throw new InvalidArgumentError(`data must be a Uint8Array, a Buffer or a string (got ${data === null ? 'null' : typeof data})`);
}

/**
 * A KPL-grade Kinesis producer in TypeScript, without a native daemon.
 *
 * Records go through the KPL's pipeline — aggregation per predicted shard, a per-shard rate
 * limiter, collection into PutRecords calls, bounded concurrency, per-record result handling —
 * with what the KPL and its Go ports lack: throttled shards are backed off (AIMD), only retryable
 * errors are retried (jittered exponential backoff, until `recordTtlMs`), memory is bounded
 * (`put` waits for room), mispredictions and resharding are handled without loss, and every
 * record that cannot be written reaches the caller, as a rejected promise and as a failure event.
 *
 * ```ts
 * const producer = new Producer({ streamName: 'events' });
 * const { shardId, sequenceNumber } = await producer.put(JSON.stringify(event), event.userId);
 * await producer.close();
 * ```
 * @public
 */
export class Producer {
  /** The options in effect, validated. */
  readonly options: ResolvedProducerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly m: ProducerMetrics;
  private readonly client: KinesisClient | undefined;
  private readonly ownsClient: boolean;
  private readonly putter: Putter;
  private readonly cache: ShardMapCache;
  private readonly streamRef: { readonly streamName?: string; readonly streamArn?: string };

  private map: ShardMap | undefined;
  private mapVersion = 0;
  private pendingMap: ShardMap | undefined;
  private lastMapLoadAt = -Infinity;
  private readonly queues = new Map<string, ShardQueue>();
  private queuesByIndex: (ShardQueue | undefined)[] = [];
  private readonly unpredicted: ShardQueue;
  private readonly activeQueues = new Set<ShardQueue>();
  private readonly dirty = new Set<ShardQueue>();
  private readonly collector: Collector;
  private inFlight = 0;
  private dispatches = 0;
  private retryGroups: RetryGroup[] = [];
  private awaitingMap: PendingRecord[] = [];
  private undecided: Undecided[] = [];
  private unmapped: PendingRecord[] = [];

  private readonly budget: BufferBudget<PendingRecord>;
  private readonly ages = new AgeTracker();
  private readonly failureChannel: FailureChannel;
  private seq = 0;
  private unsettled = 0;
  private outstandingCount = 0;
  private flushWaiters: FlushWaiter[] = [];
  private force = 0;

  private timerAt = Infinity;
  private timer: AbortController | undefined;
  private pumpScheduled = false;
  private pumpFull = false;

  private closing = false;
  private hardClosed = false;
  private closePromise: Promise<void> | undefined;
  private readonly hardClose = new AbortController();
  private firstMapAttempt: { promise: Promise<ShardlineError | undefined>; resolve: (e: ShardlineError | undefined) => void } | undefined;
  private clientChecked = false;

  private receivedSinceFlush = 0;
  private putSinceFlush = 0;
  private kinesisPutSinceFlush = 0;
  private unobservedSinceLog = 0;
  private lastUnobservedLog = -Infinity;

  /** Validates `options` (throwing InvalidArgumentError that names the field) and builds the producer. No I/O happens until the first record or {@link start}. */
  constructor(options: ProducerOptions) {
    const o = (this.options = resolveProducerOptions(options));
    this.clock = o.clock ?? createSystemClock();
    this.streamRef = o.stream.streamArn !== undefined ? { streamArn: o.stream.streamArn } : { streamName: o.stream.streamName };
    // Seams are called while records settle: one that throws must not leave records unsettled.
    this.logger = guardLogger(o.logger ?? createLogger({ name: 'shardline-producer' })).child({ component: 'producer', stream: o.stream.streamName ?? o.stream.streamArn });
    this.m = createProducerMetrics(o.metrics ? guardMetrics(o.metrics, this.logger) : createNoopMetrics());
    const needsClient = !(o.putter && o.shardMapSource);
    // SDK retries off: the producer decides about retries, and counts every attempt once.
    this.client = o.client ?? (needsClient ? createKinesisClient({ requestTimeoutMs: o.requestTimeoutMs, ...o.clientOptions, maxAttempts: 1 }) : undefined);
    this.ownsClient = o.client === undefined && this.client !== undefined;
    this.putter = o.putter ?? new KinesisPutter(this.client!);
    this.cache = new ShardMapCache({
      source: o.shardMapSource ?? kinesisShardMapSource(this.client!, o.stream),
      clock: this.clock,
      logger: this.logger,
      loadTimeoutMs: o.requestTimeoutMs,
      listener: {
        mapLoaded: (map) => this.guarded('installing a shard map', () => this.onMapLoaded(map)),
        loadFailed: (error) => this.guarded('handling a failed shard map load', () => this.onMapLoadFailed(error)),
      },
    });
    this.unpredicted = new ShardQueue(undefined, { ...o.aggregator, maxAggregateRecords: 1 }, undefined);
    this.collector = new Collector(o.maxBatchRecords, o.maxBatchBytes);
    this.budget = new BufferBudget<PendingRecord>(o.maxBufferedRecords, o.maxBufferedBytes, (r) => this.roomFor(r));
    this.failureChannel = new FailureChannel(o.failureBufferSize, this.logger, this.m.failureNotificationsDropped);
    // Every in-flight request listens for a hard close: up to maxConnections listeners is expected.
    setMaxListeners(0, this.hardClose.signal);
  }

  // ---------------------------------------------------------------- public API

  /**
   * Loads the shard map now instead of on the first record, so that a missing stream or missing
   * permissions show up at startup (kinesis-pusher's CheckShards). Optional.
   * @throws the typed error of the failed ListShards (ResourceNotFoundError, AccessDeniedError, …)
   */
  async start(): Promise<void> {
    if (this.closing) throw new ShutdownError('producer is closed');
    if (this.map) return;
    const error = await this.ensureMapLoading();
    if (error && !this.map) throw error;
  }

  /**
   * Writes one record. Resolves once it is written with where it landed ({@link PutResult});
   * rejects with a typed error when it cannot be: at once for invalid input
   * (InvalidPartitionKeyError, InvalidExplicitHashKeyError, RecordTooLargeError,
   * InvalidArgumentError), ShutdownError after close, BufferFullError when full with
   * `onBackpressure: 'reject'` or when `maxWaitingPuts` calls already wait, and later
   * RecordExpiredError, the non-retryable service error, or InternalError.
   *
   * When the buffer is full (`maxBufferedRecords` / `maxBufferedBytes`) the record waits for room
   * before it is accepted, in call order. Do not modify `data` until the promise settles.
   */
  put(data: RecordData, partitionKey: string, options?: PutOptions): Promise<PutResult> {
    let record: PendingRecord;
    try {
      record = this.createRecord(data, partitionKey, options?.explicitHashKey);
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = new Promise<PutResult>(captureResolvers);
    record.resolve = capturedResolve as (r: PutResult) => void;
    const reject = (record.reject = capturedReject!);
    this.admit(record, options?.signal, undefined, reject);
    return promise;
  }

  /**
   * Fire-and-forget: hands the record over and resolves as soon as it is accepted into the buffer
   * (at once unless the buffer is full), like a8m/kinesis-producer's `Put`. It rejects only for
   * invalid input, shutdown, a full buffer with `onBackpressure: 'reject'` or `maxWaitingPuts`
   * calls already waiting, or an aborted `signal`.
   * Whether the record is written later is reported only through {@link on}('failure') and
   * {@link failures}; with neither in use, a failure is logged at error level and counted in
   * `producer_failures_unobserved_total`. `await producer.send(...)` in a loop gives backpressure
   * without a promise per record to handle.
   */
  send(data: RecordData, partitionKey: string, options?: PutOptions): Promise<void> {
    let record: PendingRecord;
    try {
      record = this.createRecord(data, partitionKey, options?.explicitHashKey);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.tryAccept(record)) return RESOLVED;
    return new Promise<void>((resolve, reject) => this.admit(record, options?.signal, resolve, reject));
  }

  /**
   * Resolves when every record put before this call has settled (written or failed); sends what
   * is buffered without waiting for `maxBufferedTimeMs`. Never rejects: failures go to each record.
   */
  flush(): Promise<void> {
    if (this.unsettled === 0) return RESOLVED;
    this.force++;
    return new Promise<void>((resolve) => {
      this.flushWaiters.push({
        upto: this.seq,
        remaining: this.unsettled,
        resolve: () => {
          this.force--;
          resolve();
        },
      });
      this.schedulePump(true);
    });
  }

  /**
   * Stops accepting records, writes everything accepted (and every `put` already waiting for room),
   * then releases every timer and, if the producer created it, the Kinesis client. With
   * `timeoutMs` or `signal`, records still unsettled when it runs out fail with ShutdownError —
   * never silently. Idempotent.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closePromise) return this.closePromise;
    let timeoutMs: number;
    let signal: AbortSignal | undefined;
    try {
      // Validated before anything is cached: a call with bad options must not stop a later close().
      if (options === null || typeof options !== 'object') throw new InvalidArgumentError('producer.close options must be an object');
      timeoutMs = integerOption('producer.close.timeoutMs', options.timeoutMs, -1, { min: 0 });
      signal = signalOption('producer.close.signal', options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    return (this.closePromise = this.doClose(timeoutMs, signal));
  }

  /** Listens for records that will not be written (every record, including those whose `put` promise rejects). */
  on(event: 'failure', listener: (failure: PutFailure) => void): this {
    this.checkEvent(event);
    this.failureChannel.on(listener);
    return this;
  }

  /** Like {@link on}, once. */
  once(event: 'failure', listener: (failure: PutFailure) => void): this {
    this.checkEvent(event);
    this.failureChannel.once(listener);
    return this;
  }

  /** Removes a listener added with {@link on}. */
  off(event: 'failure', listener: (failure: PutFailure) => void): this {
    this.checkEvent(event);
    this.failureChannel.off(listener);
    return this;
  }

  /**
   * An async iterator of failures, from now until the producer closes (the seed's NotifyFailures).
   * Each iterator buffers up to `failureBufferSize` failures for a slow reader; beyond that it drops
   * notifications (never blocking the pipeline), counting them in
   * `producer_failure_notifications_dropped_total` and logging a warning. Break out of the loop, or
   * abort `signal`, to unsubscribe.
   */
  failures(options?: FailureIteratorOptions): AsyncIterableIterator<PutFailure> {
    signalOption('failures.signal', options?.signal);
    return this.failureChannel.subscribe(options);
  }

  /**
   * A Node `Writable` in object mode taking {@link ProducerRecord}s, for
   * `await pipeline(source, producer.writable())`. A write completes when the producer accepts the
   * record (so the producer's buffer limits apply); the stream finishes only when every record
   * written to it has settled, and by default fails with the first record's error.
   */
  writable(options?: ProducerWritableOptions): ProducerWritable {
    return new ProducerWritable((record, owner) => this.enqueue(record, owner), options);
  }

  /** Records accepted and not yet settled: buffered, in flight or waiting to retry (the KPL's outstanding count). */
  get outstanding(): number {
    return this.outstandingCount;
  }

  /** Bytes (data + partition key) of the {@link outstanding} records. */
  get bufferedBytes(): number {
    return this.budget.bytes;
  }

  /** `put`/`send` calls waiting for buffer room. */
  get waitingPuts(): number {
    return this.budget.waiting;
  }

  /** Age of the oldest outstanding record in ms (10 ms resolution), 0 when none. */
  get oldestRecordAgeMs(): number {
    const oldest = this.ages.oldestMs();
    return oldest === undefined ? 0 : Math.max(0, this.clock.monotonicNow() - oldest);
  }

  /** The shard map records are currently predicted with, once loaded. */
  get shardMap(): ShardMap | undefined {
    return this.map;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.closing;
  }

  // ---------------------------------------------------------------- intake

  private checkEvent(event: string): void {
    if (event !== 'failure') throw new InvalidArgumentError(`producer emits only 'failure' events (got ${JSON.stringify(event)})`);
  }

  private createRecord(data: RecordData, partitionKey: string, explicitHashKey: string | undefined): PendingRecord {
    if (this.closing) throw new ShutdownError('producer is closed; no more records are accepted');
    // The common case checked inline; core's validator builds the error message otherwise.
    if (typeof partitionKey !== 'string' || partitionKey.length === 0 || partitionKey.length > MAX_KEY_LENGTH) validatePartitionKey(partitionKey);
    if (explicitHashKey !== undefined) parseExplicitHashKey(explicitHashKey);
    const bytes = toBytes(data);
    const size = bytes.length + utf8ByteLength(partitionKey);
    if (size > this.options.maxRecordBytes) throw new RecordTooLargeError(size, this.options.maxRecordBytes);
    return new PendingRecord(partitionKey, explicitHashKey, bytes, size, ++this.seq);
  }

  /** Reserves room (or waits for it, or refuses) and then accepts the record. */
  private admit(record: PendingRecord, signal: AbortSignal | undefined, accepted: (() => void) | undefined, refused: (error: unknown) => void): void {
    if (this.tryAccept(record)) {
      accepted?.();
      return;
    }
    this.unsettled++;
    const wait: WaitState = (record.wait = { accepted, refused, stop: undefined });
    if (this.options.onBackpressure === 'reject') {
      this.refuse(record, new BufferFullError(`producer buffer is full (${this.budget.records} records, ${this.budget.bytes} bytes; limits ${this.options.maxBufferedRecords} / ${this.options.maxBufferedBytes})`));
      return;
    }
    // Each waiting put holds its data: without a bound, callers that do not await would grow memory without limit.
    if (this.budget.waiting >= this.options.maxWaitingPuts) {
      this.refuse(record, new BufferFullError(`producer buffer is full and maxWaitingPuts (${this.options.maxWaitingPuts}) puts already wait for room; try again once records have settled`));
      return;
    }
    if (signal?.aborted) {
      this.refuse(record, signal.reason);
      return;
    }
    if (signal) {
      const onAbort = (): void => {
        this.budget.cancel(record);
        this.refuse(record, signal.reason);
        this.budget.serve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      wait.stop = () => signal.removeEventListener('abort', onAbort);
    }
    this.budget.enqueue(record);
  }

  /** Accepts the record if there is room and nobody waits ahead (the fast path, no promise needed). */
  private tryAccept(record: PendingRecord): boolean {
    if (!this.budget.tryTake(record.sizeBytes)) return false;
    this.unsettled++;
    this.accept(record);
    return true;
  }

  /** The budget found room for a waiting record. */
  private roomFor(record: PendingRecord): void {
    const wait = record.wait;
    record.wait = undefined;
    wait?.stop?.();
    this.accept(record);
    wait?.accepted?.();
  }

  /** A record is never accepted: nothing of it was buffered. */
  private refuse(record: PendingRecord, error: unknown): void {
    const wait = record.wait;
    record.wait = undefined;
    wait?.stop?.();
    record.resolve = record.reject = undefined;
    this.finished(record);
    record.owner?.settled(error as ShardlineError);
    wait?.refused(error);
  }

  /** The Writable's way in: undefined when accepted at once, else a promise of acceptance. */
  private enqueue(input: ProducerRecord, owner: RecordOwner): Promise<void> | undefined {
    if (input === null || typeof input !== 'object') throw new InvalidArgumentError(`producer.writable() takes objects { data, partitionKey, explicitHashKey? } (got ${input === null ? 'null' : typeof input})`);
    const record = this.createRecord(input.data, input.partitionKey, input.explicitHashKey);
    record.owner = owner;
    if (this.tryAccept(record)) return undefined;
    return new Promise<void>((resolve, reject) => this.admit(record, undefined, resolve, reject));
  }

  private accept(record: PendingRecord): void {
    this.outstandingCount++;
    this.receivedSinceFlush++;
    try {
      // Whole milliseconds: small integers are stored unboxed, a fraction costs a heap number per field per record.
      const now = Math.floor(this.clock.monotonicNow());
      record.arrivalMs = now;
      record.expiresAt = now + this.options.recordTtlMs;
      record.ageBucket = this.ages.add(now);
      this.route(record, now, now + this.options.maxBufferedTimeMs);
    } catch (error) {
      // Counted as accepted: it must settle, or flush() and close() would wait for it forever.
      this.internalFailure(error, 'accepting a record', [record]);
    }
  }

  // ---------------------------------------------------------------- routing

  /** Puts a record into the queue of its predicted shard, to be sent by `sendBy`. */
  private route(record: PendingRecord, now: number, sendBy: number): void {
    const map = this.map;
    let queue: ShardQueue;
    if (map === undefined) {
      if (this.cache.attemptsFinished === 0) {
        // Wait for the first shard map: without it nothing can be aggregated.
        this.unmapped.push(record);
        void this.ensureMapLoading();
        if (record.expiresAt < this.timerAt) this.wakeAt(record.expiresAt);
        return;
      }
      queue = this.unpredicted;
      this.cache.refresh();
    } else {
      const index = map.indexForRecord(record.partitionKey, record.explicitHashKey);
      queue = index < 0 ? this.unpredicted : (this.queuesByIndex[index] ?? this.createQueue(map.shards[index]!, index));
    }
    if (queue.add(record, sendBy)) {
      this.dirty.add(queue);
      this.schedulePump(false);
    }
    this.activate(queue);
    if (queue.aggregateDeadline < this.timerAt) this.wakeAt(queue.aggregateDeadline);
  }

  /** Lists a queue that holds records for the pump's full scans. */
  private activate(queue: ShardQueue): void {
    if (queue.active) return;
    queue.active = true;
    this.activeQueues.add(queue);
  }

  private createQueue(shard: ShardInfo, index: number): ShardQueue {
    const o = this.options;
    const limiter = new ShardRateLimiter(
      {
        recordsPerSecond: (SHARD_RECORDS_PER_SECOND * o.rateLimitPercent) / 100,
        bytesPerSecond: (SHARD_BYTES_PER_SECOND * o.rateLimitPercent) / 100,
        adaptive: o.adaptiveRateLimit,
      },
      this.clock.monotonicNow(),
    );
    const queue = new ShardQueue(shard.shardId, o.aggregator, limiter);
    this.queues.set(shard.shardId, queue);
    this.queuesByIndex[index] = queue;
    return queue;
  }

  // ---------------------------------------------------------------- shard map

  private ensureMapLoading(): Promise<ShardlineError | undefined> {
    if (!this.firstMapAttempt) {
      let resolve!: (e: ShardlineError | undefined) => void;
      const promise = new Promise<ShardlineError | undefined>((r) => (resolve = r));
      this.firstMapAttempt = { promise, resolve };
      this.cache.refresh();
      void this.checkClient();
    }
    return this.firstMapAttempt.promise;
  }

  /** SDK retries would hide attempts from the producer and multiply them; warn about a client that has them on. */
  private async checkClient(): Promise<void> {
    if (this.clientChecked || this.ownsClient || !this.client) return;
    this.clientChecked = true;
    try {
      const provider = (this.client.config as { maxAttempts?: () => Promise<number> }).maxAttempts;
      const attempts = typeof provider === 'function' ? await provider() : undefined;
      if (attempts !== undefined && attempts > 1) {
        this.logger.warn({ maxAttempts: attempts }, 'the Kinesis client retries by itself (maxAttempts > 1): each producer attempt may hide several calls; create it with maxAttempts: 1');
      }
    } catch {
      // Only a diagnostic: a client without this config is fine.
    }
  }

  private onMapLoaded(map: ShardMap): void {
    this.m.shardMapRefreshes.add(1, { outcome: 'success' });
    this.lastMapLoadAt = this.clock.monotonicNow();
    this.logger.debug({ shards: map.size, version: this.cache.version }, 'shard map loaded');
    this.firstMapAttempt?.resolve(undefined);
    if (this.hardClosed) return;
    this.pendingMap = map;
    this.tryInstallMap();
  }

  private onMapLoadFailed(error: ShardlineError): void {
    this.m.shardMapRefreshes.add(1, { outcome: 'failure' });
    this.firstMapAttempt?.resolve(error);
    // Keep trying (the cache backs off) only while records could use a map: an idle producer holds no timer.
    if (this.outstandingCount > 0 && !this.hardClosed) this.cache.refresh();
    if (this.map === undefined && this.unmapped.length > 0) {
      // No prediction possible: send unaggregated (the KPL's fallback) rather than hold records.
      const now = this.clock.monotonicNow();
      const records = this.unmapped;
      this.unmapped = [];
      for (const r of records) this.route(r, now, r.arrivalMs + this.options.maxBufferedTimeMs);
      this.schedulePump(true);
    }
  }

  /**
   * Installs a loaded map. In ordered mode it waits until no shard that disappears (and no
   * unpredicted record) is in flight: their failures must be retried ahead of what follows them.
   */
  private tryInstallMap(): void {
    const map = this.pendingMap;
    if (map === undefined) return;
    if (this.options.ordered) {
      const open = new Set(map.shards.map((s) => s.shardId));
      let busy = false;
      for (const q of this.queues.values()) {
        if (open.has(q.shardId!)) continue;
        q.blockedForMap = true;
        if (q.inFlight > 0) busy = true;
      }
      this.unpredicted.blockedForMap = true;
      if (this.unpredicted.inFlight > 0) busy = true;
      if (busy) return;
    }
    this.pendingMap = undefined;
    this.installMap(map);
  }

  private installMap(map: ShardMap): void {
    const now = this.clock.monotonicNow();
    const ordered = this.options.ordered;
    const undecided = this.undecided;
    this.undecided = [];
    // Ordered: decide before re-routing, so that retries stay ahead of their queue's later records.
    if (ordered) for (const u of undecided) this.decide(u, now, this.mapVersion);

    const index = new Map<string, number>();
    map.shards.forEach((s, i) => index.set(s.shardId, i));
    const byIndex: (ShardQueue | undefined)[] = new Array(map.size);
    const orphans: PendingRecord[] = [];
    for (const [id, q] of this.queues) {
      const i = index.get(id);
      if (i !== undefined) {
        byIndex[i] = q;
        continue;
      }
      for (const r of q.takeAll()) orphans.push(r);
      q.removed = true;
      this.queues.delete(id);
      this.activeQueues.delete(q);
      this.dirty.delete(q);
    }
    for (const r of this.unpredicted.takeAll()) orphans.push(r);
    const previous = this.map;
    this.map = map;
    this.mapVersion = this.cache.version;
    this.queuesByIndex = byIndex;
    for (const q of this.queues.values()) q.blockedForMap = false;
    this.unpredicted.blockedForMap = false;
    if (previous && orphans.length > 0) this.logger.info({ shards: map.size, rerouted: orphans.length }, 'shard map changed; re-routing buffered records');

    for (const r of orphans) this.route(r, now, now);
    if (!ordered) for (const u of undecided) this.decide(u, now, this.mapVersion - 1);
    const waiting = this.awaitingMap;
    this.awaitingMap = [];
    for (const r of waiting) this.route(r, now, now + this.options.maxBufferedTimeMs / 2);
    const unmapped = this.unmapped;
    this.unmapped = [];
    for (const r of unmapped) this.route(r, now, r.arrivalMs + this.options.maxBufferedTimeMs);
    this.schedulePump(true);
  }

  /** A result shows the map used for `batchVersion` is stale: refresh unless a newer one is already here. */
  private staleMap(batchVersion: number): void {
    if (this.cache.version <= batchVersion) this.cache.refresh();
  }

  // ---------------------------------------------------------------- scheduling

  private schedulePump(full: boolean): void {
    if (full) this.pumpFull = true;
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      const fullScan = this.pumpFull;
      this.pumpFull = false;
      this.pump(fullScan);
    });
  }

  /** Arms the producer's single timer for `at` (monotonic ms) unless it already fires earlier. */
  private wakeAt(at: number): void {
    if (at >= this.timerAt || this.hardClosed || (this.closePromise && this.unsettled === 0)) return;
    const controller = new AbortController();
    // Armed before it is recorded: a clock that throws leaves no timer believed to be pending.
    const elapsed = this.clock.sleep(Math.max(0, at - this.clock.monotonicNow()), controller.signal);
    this.timer?.abort();
    this.timer = controller;
    this.timerAt = at;
    elapsed.then(
      (done) => {
        if (!done || this.timer !== controller) return;
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump(true);
      },
      (error: unknown) => {
        if (this.timer !== controller) return;
        this.timer = undefined;
        this.timerAt = Infinity;
        this.internalFailure(error, 'waiting for its timer');
      },
    );
  }

  /**
   * Moves records along: due retries and expiries (on a full scan), due or forced aggregates, then
   * collection into PutRecords calls while connections are free, then re-arms the timer.
   */
  private pump(fullScan: boolean): void {
    try {
      const now = this.clock.monotonicNow();
      const force = this.force > 0 || this.closing;
      let next = Infinity;
      if (fullScan) {
        next = Math.min(this.runDueRetries(now), this.expireStray(now));
        for (const q of this.activeQueues) {
          q.expire(now, (r) => this.expire(r, now));
          if ((force || q.aggregateDeadline <= now) && q.flushOpen()) this.dirty.add(q);
          if (q.empty) {
            q.active = false;
            this.activeQueues.delete(q);
            continue;
          }
          next = Math.min(next, q.aggregateDeadline, q.minExpiry);
        }
        this.updateGauges(now);
      } else if (force) {
        for (const q of this.activeQueues) if (q.flushOpen()) this.dirty.add(q);
      }
      next = Math.min(next, this.collect(fullScan ? this.activeQueues : this.dirty, now));
      this.dirty.clear();
      if (this.collector.size > 0) {
        if (this.options.ordered || force || this.collector.deadline <= now) this.dispatch(now);
        else next = Math.min(next, this.collector.deadline);
      }
      if (next < Infinity) this.wakeAt(next);
      this.flushCounters();
    } catch (error) {
      this.internalFailure(error, 'pipeline');
    }
  }

  /**
   * Takes ready Kinesis records into the PutRecords call being collected — one per queue per
   * round, so that shards share connections fairly — while a connection is free, the shard's rate
   * limiter allows and (ordered mode) the shard has nothing in flight. Returns when it next needs
   * to run because of a limiter or a retry hold.
   */
  private collect(queues: Iterable<ShardQueue>, now: number): number {
    const max = this.options.maxConnections;
    const ordered = this.options.ordered;
    let next = Infinity;
    let progress = true;
    while (progress && this.inFlight < max) {
      progress = false;
      for (const q of queues) {
        if (this.inFlight >= max) break;
        const o = q.peekReady();
        if (o === undefined) continue;
        if (ordered) {
          if (q.inFlight > 0 || q.inBatch || q.blockedForMap) continue;
          if (q.holdUntil > now) {
            next = Math.min(next, q.holdUntil);
            continue;
          }
        }
        if (!this.collector.fits(o)) {
          this.dispatch(now);
          if (this.inFlight >= max) break;
        }
        if (q.limiter !== undefined && !q.limiter.tryTake(o.record.sizeBytes, now)) {
          next = Math.min(next, now + Math.max(1, q.limiter.msUntil(o.record.sizeBytes, now)));
          continue;
        }
        q.shiftReady();
        this.collector.add(o);
        if (ordered) q.inBatch = true;
        progress = true;
        if (this.collector.full) this.dispatch(now);
      }
    }
    return next;
  }

  private runDueRetries(now: number): number {
    const groups = this.retryGroups;
    let i = 0;
    while (i < groups.length && groups[i]!.at <= now) {
      for (const r of groups[i]!.records) {
        if (r.settled) continue;
        if (r.expiresAt <= now) this.expire(r, now);
        else this.route(r, now, now + this.options.maxBufferedTimeMs / 2);
      }
      i++;
    }
    if (i > 0) this.retryGroups = groups.slice(i);
    return this.retryGroups[0]?.at ?? Infinity;
  }

  /** Expires records outside the queues (waiting for a map or a decision); returns the next expiry. */
  private expireStray(now: number): number {
    const next = { at: Infinity };
    this.awaitingMap = this.sweep(this.awaitingMap, now, next, (r) => this.expire(r, now));
    this.unmapped = this.sweep(this.unmapped, now, next, (r) => this.expire(r, now));
    // An aggregate waiting for a decision is decided with what is known once its first record expires.
    this.undecided = this.sweep(this.undecided, now, next, (u) => this.decide(u, now, this.mapVersion));
    return next.at;
  }

  /** Hands items whose `expiresAt` has come to `due`; returns the others and lowers `next.at` to their earliest expiry. */
  private sweep<T extends { readonly expiresAt: number }>(items: T[], now: number, next: { at: number }, due: (item: T) => void): T[] {
    if (items.length === 0) return items;
    const keep: T[] = [];
    for (const item of items) {
      if (item.expiresAt <= now) due(item);
      else {
        keep.push(item);
        next.at = Math.min(next.at, item.expiresAt);
      }
    }
    return keep;
  }

  // ---------------------------------------------------------------- requests

  private dispatch(now: number): void {
    const entries = this.collector.take();
    if (entries.length === 0) return;
    const ms = this.options.requestTimeoutMs;
    let timeout: ReturnType<typeof timeoutController>;
    try {
      timeout = timeoutController(this.clock, ms, () => new TimeoutError(`PutRecords did not answer within requestTimeoutMs (${ms} ms)`), this.hardClose.signal);
    } catch (error) {
      // A call that cannot be bounded in time is not sent: its records would hang with it.
      for (const o of entries) {
        o.queue.inBatch = false;
        for (const r of o.record.userRecords) this.fail(r, this.internalError(error, 'arming a PutRecords timeout'));
      }
      return;
    }
    const id = ++this.dispatches;
    const queues: ShardQueue[] = [];
    const records: PutRecordsEntry[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const o = entries[i]!;
      const q = o.queue;
      if (q.mark !== id) {
        q.mark = id;
        q.inFlight++;
        q.inBatch = false;
        queues.push(q);
      }
      const r = o.record;
      records[i] = r.explicitHashKey === undefined ? { PartitionKey: r.partitionKey, Data: r.data } : { PartitionKey: r.partitionKey, ExplicitHashKey: r.explicitHashKey, Data: r.data };
    }
    this.inFlight++;
    const batch: Batch = { entries, queues, start: now, mapVersion: this.mapVersion };
    let call: Promise<PutRecordsResponse>;
    try {
      call = this.putter.putRecords({ ...this.streamRef, records }, timeout.signal);
    } catch (error) {
      call = Promise.reject(error);
    }
    raceWithSignal(call, timeout.signal).then(
      (response) => {
        timeout.dispose();
        this.complete(batch, response, undefined);
      },
      (error: unknown) => {
        timeout.dispose();
        this.complete(batch, undefined, error);
      },
    );
    if (this.options.shardMapRefreshIntervalMs > 0 && now - this.lastMapLoadAt >= this.options.shardMapRefreshIntervalMs) this.cache.refresh();
  }

  private complete(batch: Batch, response: PutRecordsResponse | undefined, error: unknown): void {
    this.inFlight--;
    for (const q of batch.queues) q.inFlight--;
    try {
      const end = this.clock.monotonicNow();
      const outcome = response ? 'success' : 'error';
      let code: string | undefined;
      if (response && (!Array.isArray(response.records) || response.records.length !== batch.entries.length)) {
        error = new ServiceUnavailableError(`PutRecords returned ${Array.isArray(response.records) ? response.records.length : 'no'} results for ${batch.entries.length} records`);
        code = RECORD_COUNT_MISMATCH;
        response = undefined;
      }
      const retries = new Map<ShardQueue, PendingRecord[]>();
      if (response === undefined) this.requestFailed(batch, error, code, end, retries);
      else {
        const results = response.records;
        for (let i = 0; i < results.length; i++) {
          const r = results[i]!;
          const o = batch.entries[i]!;
          if (r.sequenceNumber && r.shardId) this.landed(o, r.shardId, r.sequenceNumber, batch, end, retries);
          else this.entryFailed(o, r.errorCode || 'Unknown', r.errorMessage ?? '', batch, end, retries);
        }
      }
      this.scheduleRetries(retries, end);
      if (this.pendingMap) this.tryInstallMap();
      // Observed once every record of the call is settled or placed again.
      this.m.putRecordsDuration.observe((end - batch.start) / 1000, { outcome });
    } catch (bug) {
      this.internalFailure(bug, 'handling a PutRecords result', userRecordsOf(batch));
    }
    this.schedulePump(true);
  }

  private requestFailed(batch: Batch, raw: unknown, code: string | undefined, end: number, retries: Map<ShardQueue, PendingRecord[]>): void {
    const error = classifyAwsError(raw);
    const errorCode = code ?? (this.hardClosed ? 'Shutdown' : awsErrorName(raw));
    if (errorCode === PTEE) for (const q of batch.queues) this.throttled(q, batch.start);
    // One error object per failed record: putFailureOf() finds a record's details by its error.
    const final = (): ShardlineError => classifyAwsError(raw);
    for (const o of batch.entries) for (const r of o.record.userRecords) this.attemptFailed(r, o.queue, error, errorCode, error.message, batch, end, retries, final);
    this.logger.debug({ err: error, records: batch.entries.length }, 'PutRecords failed');
  }

  private entryFailed(o: OutboundRecord, code: string, message: string, batch: Batch, end: number, retries: Map<ShardQueue, PendingRecord[]>): void {
    const cause = Object.assign(new Error(message || code), { name: code });
    const error = classifyAwsError(cause);
    if (code === PTEE) this.throttled(o.queue, batch.start);
    for (const r of o.record.userRecords) this.attemptFailed(r, o.queue, error, code, message, batch, end, retries, () => classifyAwsError(cause));
  }

  private attemptFailed(
    r: PendingRecord,
    queue: ShardQueue,
    error: ShardlineError,
    code: string,
    message: string,
    batch: Batch,
    end: number,
    retries: Map<ShardQueue, PendingRecord[]>,
    finalError: () => ShardlineError,
  ): void {
    if (r.settled) return;
    r.addFailedAttempt(batch.start, end, code, message);
    const firstFailure = !r.failedOnce;
    r.failedOnce = true;
    if (this.hardClosed) this.fail(r, new ShutdownError('producer closed before the record was written', { cause: error }));
    else if (!error.retryable || (this.options.failIfThrottled && error instanceof ThrottledError)) this.fail(r, finalError());
    else if (end >= r.expiresAt) this.expire(r, end, error);
    else {
      r.lastError = error;
      this.addRetry(retries, queue, r);
      this.m.userRecordsRetried.add(1, { error_code: code });
    }
    if (firstFailure) this.m.records.add(1, { outcome: 'failed' });
  }

  private addRetry(retries: Map<ShardQueue, PendingRecord[]>, queue: ShardQueue, r: PendingRecord): void {
    const list = retries.get(queue);
    if (list) list.push(r);
    else retries.set(queue, [r]);
  }

  /** Unordered: one backoff group per completion. Ordered: back to the head of each shard's queue, which then holds. */
  private scheduleRetries(retries: Map<ShardQueue, PendingRecord[]>, now: number): void {
    if (retries.size === 0) return;
    const backoff = this.options.retryBackoff;
    if (this.options.ordered) {
      for (const [q, records] of retries) {
        // A loop, not Math.max(...): one aggregate may hold more records than a call takes arguments.
        let attempts = 1;
        for (const r of records) attempts = Math.max(attempts, r.attempts?.length ?? 1);
        const target = q.removed ? undefined : q;
        if (target) {
          target.requeueFront(records, now);
          target.holdUntil = now + backoffDelayMs(attempts - 1, backoff);
          this.activate(target);
        } else for (const r of records) this.route(r, now, now);
      }
      return;
    }
    const records: PendingRecord[] = [];
    let attempts = 1;
    let expires = Infinity;
    for (const list of retries.values()) {
      for (const r of list) {
        records.push(r);
        attempts = Math.max(attempts, r.attempts?.length ?? 1);
        expires = Math.min(expires, r.expiresAt);
      }
    }
    const at = Math.min(now + backoffDelayMs(attempts - 1, backoff), expires);
    const group: RetryGroup = { at, records };
    let i = this.retryGroups.length;
    while (i > 0 && this.retryGroups[i - 1]!.at > at) i--;
    this.retryGroups.splice(i, 0, group);
    if (at < this.timerAt) this.wakeAt(at);
  }

  private throttled(q: ShardQueue, at: number): void {
    if (q.shardId === undefined) return;
    const cut = q.limiter?.onThrottle(at) ?? false;
    this.m.throttles.add(1, { shard_id: q.shardId });
    if (cut) {
      this.m.rateLimitCuts.add(1, { shard_id: q.shardId });
      this.logger.debug({ shardId: q.shardId, rateFraction: q.limiter!.fraction(at) }, 'shard throttled; rate cut');
    }
  }

  /** A Kinesis record was written to `shardId`: settle its user records, or retry those that landed on a shard not owning them. */
  private landed(o: OutboundRecord, shardId: string, sequenceNumber: string, batch: Batch, end: number, retries: Map<ShardQueue, PendingRecord[]>): void {
    const kr = o.record;
    const predicted = o.queue.shardId;
    this.kinesisPutSinceFlush++;
    if (!kr.aggregated || shardId === predicted) {
      // Same shard as predicted, or a raw record (Kinesis routed it by its own hash key): written.
      const users = kr.userRecords;
      for (let j = 0; j < users.length; j++) this.succeed(users[j]!, shardId, sequenceNumber, kr.aggregated ? j : 0, kr.aggregated, batch.start, end);
      this.m.userRecordsPerKinesisRecord.observe(users.length);
      if (predicted !== undefined && shardId !== predicted) this.staleMap(batch.mapVersion);
      return;
    }
    this.m.userRecordsPerKinesisRecord.observe(kr.userRecords.length);
    this.staleMap(batch.mapVersion);
    let expiresAt = Infinity;
    for (const r of kr.userRecords) expiresAt = Math.min(expiresAt, r.expiresAt);
    const u: Undecided = { o, shardId, sequenceNumber, start: batch.start, end, expiresAt };
    if (this.cache.rangeOf(shardId) === undefined) {
      // A shard no load has listed (a new child): decide once a refreshed map tells its range. Ask
      // for that map even if one newer than the batch's is here: it predates the shard too.
      this.cache.refresh();
      this.undecided.push(u);
      if (expiresAt < this.timerAt) this.wakeAt(expiresAt);
      if (this.options.ordered) o.queue.blockedForMap = true;
      return;
    }
    this.decide(u, end, batch.mapVersion, retries);
  }

  /**
   * Settles the user records of an aggregate that landed on a shard other than predicted: those
   * whose hash key the shard owns are written (e.g. a child shard after a split); the others are
   * retried with error `Wrong Shard` (the KPL's rule) once the shard map is fresh.
   */
  private decide(u: Undecided, now: number, mapVersion: number, retries?: Map<ShardQueue, PendingRecord[]>): void {
    const kr = u.o.record;
    const range = this.cache.rangeOf(u.shardId);
    const routedBy = BigInt(kr.explicitHashKey!);
    const wrong: PendingRecord[] = [];
    const users = kr.userRecords;
    for (let j = 0; j < users.length; j++) {
      const r = users[j]!;
      if (r.settled) continue;
      const h = r.hashKey();
      // Without the range, only a hash equal to the routing key is known to be inside.
      if (range ? rangeContains(range, h) : h === routedBy) this.succeed(r, u.shardId, u.sequenceNumber, j, true, u.start, u.end);
      else {
        r.addFailedAttempt(u.start, u.end, WRONG_SHARD, `landed in an aggregate on ${u.shardId}, which does not own its hash key`);
        const firstFailure = !r.failedOnce;
        r.failedOnce = true;
        if (this.hardClosed) this.fail(r, new ShutdownError('producer closed before the record was written'));
        else if (now >= r.expiresAt) this.expire(r, now);
        else wrong.push(r);
        if (firstFailure) this.m.records.add(1, { outcome: 'failed' });
        this.m.mispredictions.add(1);
      }
    }
    if (wrong.length === 0) return;
    this.m.userRecordsRetried.add(wrong.length, { error_code: WRONG_SHARD });
    this.logger.debug({ shardId: u.shardId, predicted: u.o.queue.shardId, records: wrong.length }, 'mispredicted records; retrying after a shard map refresh');
    const q = u.o.queue;
    if (this.options.ordered) {
      if (q.removed) for (const r of wrong) this.route(r, now, now);
      else {
        q.requeueFront(wrong, now);
        if (this.cache.version <= mapVersion || this.pendingMap) q.blockedForMap = true;
        this.activate(q);
      }
      this.staleMap(mapVersion);
      return;
    }
    if (this.cache.version > mapVersion && !this.pendingMap) {
      for (const r of wrong) {
        if (retries) this.addRetry(retries, q, r);
        else this.route(r, now, now);
      }
    } else {
      for (const r of wrong) this.awaitingMap.push(r);
      this.staleMap(mapVersion);
    }
  }

  // ---------------------------------------------------------------- settling

  // Settling comes first in each of these, metrics and logs after: a record's fate never depends on them.

  private succeed(r: PendingRecord, shardId: string, sequenceNumber: string, subSequenceNumber: number, aggregated: boolean, start: number, end: number): void {
    if (r.settled) return;
    this.putSinceFlush++;
    const resolve = r.resolve;
    if (resolve) resolve(new ProducerPutResult(shardId, sequenceNumber, subSequenceNumber, aggregated, r.attempts, r.delayTo(start), end - start));
    this.settle(r, undefined);
    if (r.failedOnce) this.m.records.add(1, { outcome: 'recovered' });
  }

  private expire(r: PendingRecord, now: number, lastError?: ShardlineError): void {
    if (r.settled) return;
    r.addFailedAttempt(now, now, RecordExpiredError.ERROR_CODE, `record TTL of ${this.options.recordTtlMs} ms ran out`);
    this.fail(r, new RecordExpiredError(this.options.recordTtlMs, lastError ?? r.lastError));
    this.m.userRecordsExpired.add(1);
  }

  private fail(r: PendingRecord, error: ShardlineError): void {
    if (r.settled) return;
    const failure: PutFailure = {
      error,
      record: r.explicitHashKey === undefined ? { data: r.data, partitionKey: r.partitionKey } : { data: r.data, partitionKey: r.partitionKey, explicitHashKey: r.explicitHashKey },
      attempts: r.attempts ?? [],
    };
    failureDetails.set(error, failure);
    const reject = r.reject;
    // A Writable in 'report' mode, or one already destroyed by an earlier failure, passes nothing on.
    const reported = this.settle(r, error);
    if (reject) reject(error);
    const observed = this.failureChannel.publish(failure);
    this.m.userRecordsFailed.add(1, { error_code: error instanceof RecordExpiredError ? RecordExpiredError.ERROR_CODE : error.code });
    if (!reported && !reject && !observed) this.unobserved(failure);
  }

  /** A fresh error per record (putFailureOf() finds a record's details by its error). */
  private internalError(cause: unknown, where: string): InternalError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new InternalError(`producer failed ${where} (${reason}); the record's state is unknown: it was not retried and may still have been written`, { cause });
  }

  /**
   * An exception escaped a step of the pipeline (a bug, or a seam such as the clock that threw).
   * The records it may have left between two places are failed with InternalError rather than
   * left pending forever: `records` when the step knows them, else everything held that is not in
   * flight (what is in flight settles when its call completes).
   */
  private internalFailure(error: unknown, where: string, records?: Iterable<PendingRecord>): void {
    let failed = 0;
    for (const r of records ?? this.takeHeld(true)) {
      if (r.settled) continue;
      try {
        this.fail(r, this.internalError(error, where));
        failed++;
      } catch (again) {
        this.logger.error({ err: again }, 'failing a record after an internal error failed too');
      }
    }
    this.logger.error({ err: error, failedRecords: failed }, `producer failed ${where}; its records failed with InternalError`);
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
   * Removes and returns every user record the producer holds outside PutRecords calls in flight:
   * queued, collected, waiting to retry or for a shard map, and (with `undecided`) in aggregates
   * waiting for a decision.
   */
  private takeHeld(undecided: boolean): PendingRecord[] {
    const held: PendingRecord[] = [];
    for (const q of [...this.queues.values(), this.unpredicted]) {
      for (const r of q.takeAll()) held.push(r);
      q.inBatch = false;
    }
    for (const o of this.collector.take()) for (const r of o.record.userRecords) held.push(r);
    for (const g of this.retryGroups) for (const r of g.records) held.push(r);
    for (const r of this.awaitingMap) held.push(r);
    for (const r of this.unmapped) held.push(r);
    this.retryGroups = [];
    this.awaitingMap = [];
    this.unmapped = [];
    if (undecided) {
      for (const u of this.undecided) for (const r of u.o.record.userRecords) held.push(r);
      this.undecided = [];
    }
    return held;
  }

  /** A `send()` record failed and nobody listens: never silent, but never a log line per record either. */
  private unobserved(failure: PutFailure): void {
    this.m.failuresUnobserved.add(1);
    this.unobservedSinceLog++;
    const now = this.clock.monotonicNow();
    if (now - this.lastUnobservedLog >= 5_000) {
      this.logger.error(
        { err: failure.error, partitionKey: failure.record.partitionKey, failedRecords: this.unobservedSinceLog },
        "records sent with send() failed and no 'failure' listener or failures() iterator was there to receive them",
      );
      this.lastUnobservedLog = now;
      this.unobservedSinceLog = 0;
    }
  }

  /** Returns whether the record's owner passed `error` on to the user. */
  private settle(r: PendingRecord, error: ShardlineError | undefined): boolean {
    r.settled = true;
    r.resolve = undefined;
    r.reject = undefined;
    this.outstandingCount--;
    if (r.ageBucket) this.ages.remove(r.ageBucket);
    const reported = r.owner?.settled(error) ?? false;
    this.finished(r);
    this.budget.release(1, r.sizeBytes);
    return reported;
  }

  /** Bookkeeping for flush(): a record called before a flush has settled or was refused. */
  private finished(r: PendingRecord): void {
    this.unsettled--;
    if (this.flushWaiters.length === 0) return;
    let done = false;
    for (const w of this.flushWaiters) {
      if (r.seq <= w.upto && --w.remaining <= 0) done = true;
    }
    if (done || this.unsettled === 0) {
      const waiters = this.flushWaiters;
      this.flushWaiters = [];
      for (const w of waiters) {
        if (w.remaining <= 0 || this.unsettled === 0) w.resolve();
        else this.flushWaiters.push(w);
      }
    }
  }

  private flushCounters(): void {
    if (this.receivedSinceFlush > 0) {
      this.m.userRecordsReceived.add(this.receivedSinceFlush);
      this.receivedSinceFlush = 0;
    }
    if (this.putSinceFlush > 0) {
      this.m.userRecordsPut.add(this.putSinceFlush);
      this.m.records.add(this.putSinceFlush, { outcome: 'success' });
      this.putSinceFlush = 0;
    }
    if (this.kinesisPutSinceFlush > 0) {
      this.m.kinesisRecordsPut.add(this.kinesisPutSinceFlush);
      this.kinesisPutSinceFlush = 0;
    }
  }

  private updateGauges(now: number): void {
    this.m.bufferedRecords.set(this.budget.records);
    this.m.bufferedBytes.set(this.budget.bytes);
    const oldest = this.ages.oldestMs();
    this.m.oldestRecordAge.set(oldest === undefined ? 0 : Math.max(0, now - oldest) / 1000);
  }

  // ---------------------------------------------------------------- close

  private async doClose(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    this.closing = true;
    this.logger.info({ outstanding: this.outstandingCount, waiting: this.budget.waiting }, 'closing producer');
    const drained = this.flush();
    if (timeoutMs >= 0 || signal) {
      const stop = new AbortController();
      const wait = this.clock.sleep(timeoutMs >= 0 ? timeoutMs : 2 ** 31 - 1, signal ? AbortSignal.any([stop.signal, signal]) : stop.signal);
      const done = await Promise.race([drained.then(() => true), wait.then(() => false)]);
      stop.abort();
      if (!done) this.abortAll();
    }
    await drained;
    this.release();
  }

  /** Fails everything still unsettled with ShutdownError and abandons in-flight requests. */
  private abortAll(): void {
    if (this.hardClosed) return;
    this.hardClosed = true;
    const now = this.clock.monotonicNow();
    const shutdown = (): ShutdownError => new ShutdownError('producer closed before the record was written');
    this.logger.warn({ outstanding: this.outstandingCount, waiting: this.budget.waiting }, 'close timed out; failing unsettled records with ShutdownError');
    for (const r of this.budget.drainWaiters()) this.refuse(r, shutdown());
    for (const r of this.takeHeld(false)) this.fail(r, shutdown());
    const undecided = this.undecided;
    this.undecided = [];
    for (const u of undecided) this.decide(u, now, this.mapVersion);
    this.hardClose.abort(shutdown());
  }

  private release(): void {
    this.timer?.abort();
    this.timer = undefined;
    this.timerAt = -Infinity;
    this.cache.close();
    this.failureChannel.close();
    this.flushCounters();
    this.updateGauges(this.clock.monotonicNow());
    if (this.unobservedSinceLog > 0) this.logger.error({ failedRecords: this.unobservedSinceLog }, 'records sent with send() failed with nobody listening');
    if (this.ownsClient) this.client?.destroy();
    this.logger.info({}, 'producer closed');
  }
}
