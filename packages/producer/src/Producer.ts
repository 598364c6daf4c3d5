import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createLogger, createNoopMetrics, type Clock, createSystemClock, InvalidArgumentError, integerOption, type Logger, ShutdownError, signalOption } from '@shardline/core';
import type { ShardMap } from '@shardline/kpl-aggregation';
import { FailureChannel, type FailureIteratorOptions } from './FailureChannel';
import { guardLogger, guardMetrics } from './guardedSeams';
import { KinesisPutter } from './KinesisPutter';
import type { PendingRecord, RecordOwner } from './PendingRecord';
import { Pipeline } from './pipeline/Pipeline';
import { createPendingRecord, type RecordData } from './pipeline/recordIntake';
import { createProducerMetrics } from './producerMetrics';
import { ProducerWritable, type ProducerRecord, type ProducerWritableOptions } from './ProducerWritable';
import type { PutFailure, PutResult } from './PutResult';
import { type ProducerOptions, type ResolvedProducerOptions, resolveProducerOptions } from './resolveProducerOptions';
import { kinesisShardMapSource } from './ShardMapSource';

export type { RecordData } from './pipeline/recordIntake';
export { putFailureOf } from './pipeline/Settlement';

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

const RESOLVED = Promise.resolve();

// A shared executor that hands out a promise's resolvers: no closure per put (Node 20 has no Promise.withResolvers).
let capturedResolve: ((value: never) => void) | undefined;
let capturedReject: ((error: unknown) => void) | undefined;
function captureResolvers(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
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
 * The stages are in `pipeline/` (see the README's "How a record flows"); this class is the
 * public API over them.
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
  private readonly client: KinesisClient | undefined;
  private readonly ownsClient: boolean;
  private readonly failureChannel: FailureChannel;
  private readonly pipeline: Pipeline;
  private seq = 0;
  private closing = false;
  private closePromise: Promise<void> | undefined;

  /** Validates `options` (throwing InvalidArgumentError that names the field) and builds the producer. No I/O happens until the first record or {@link start}. */
  constructor(options: ProducerOptions) {
    const resolved = (this.options = resolveProducerOptions(options));
    this.clock = resolved.clock ?? createSystemClock();
    // Seams are called while records settle: one that throws must not leave records unsettled.
    this.logger = guardLogger(resolved.logger ?? createLogger({ name: 'shardline-producer' })).child({ component: 'producer', stream: resolved.stream.streamName ?? resolved.stream.streamArn });
    const metrics = createProducerMetrics(resolved.metrics ? guardMetrics(resolved.metrics, this.logger) : createNoopMetrics());
    const needsClient = !(resolved.putter && resolved.shardMapSource);
    // SDK retries off: the producer decides about retries, and counts every attempt once.
    this.client = resolved.client ?? (needsClient ? createKinesisClient({ requestTimeoutMs: resolved.requestTimeoutMs, ...resolved.clientOptions, maxAttempts: 1 }) : undefined);
    this.ownsClient = resolved.client === undefined && this.client !== undefined;
    this.failureChannel = new FailureChannel(resolved.failureBufferSize, this.logger, metrics.failureNotificationsDropped);
    this.pipeline = new Pipeline({
      options: resolved,
      clock: this.clock,
      logger: this.logger,
      metrics,
      putter: resolved.putter ?? new KinesisPutter(this.client!),
      shardMapSource: resolved.shardMapSource ?? kinesisShardMapSource(this.client!, resolved.stream),
      failures: this.failureChannel,
      userClient: this.ownsClient ? undefined : this.client,
    });
  }

  // ---------------------------------------------------------------- public API

  /**
   * Loads the shard map now instead of on the first record, so that a missing stream or missing
   * permissions show up at startup (kinesis-pusher's CheckShards). Optional.
   * @throws the typed error of the failed ListShards (ResourceNotFoundError, AccessDeniedError, …)
   */
  async start(): Promise<void> {
    if (this.closing) throw new ShutdownError('producer is closed');
    if (this.pipeline.router.map) return;
    const error = await this.pipeline.installer.firstMapLoad();
    if (error && !this.pipeline.router.map) throw error;
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
    this.pipeline.admission.admit(record, options?.signal, undefined, reject);
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
    const admission = this.pipeline.admission;
    if (admission.tryAccept(record)) return RESOLVED;
    return new Promise<void>((resolve, reject) => admission.admit(record, options?.signal, resolve, reject));
  }

  /**
   * Resolves when every record put before this call has settled (written or failed); sends what
   * is buffered without waiting for `maxBufferedTimeMs`. Never rejects: failures go to each record.
   */
  flush(): Promise<void> {
    const { settlement, scheduler } = this.pipeline;
    if (settlement.unsettled === 0) return RESOLVED;
    scheduler.flushStarted();
    return new Promise<void>((resolve) => {
      settlement.waitForSettled(this.seq, () => {
        scheduler.flushDone();
        resolve();
      });
      scheduler.schedulePass(true);
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
   * An async iterator of failures, from now until the producer closes (kinesis-pusher's NotifyFailures).
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
    return this.pipeline.settlement.outstanding;
  }

  /** Bytes (data + partition key) of the {@link outstanding} records. */
  get bufferedBytes(): number {
    return this.pipeline.budget.bytes;
  }

  /** `put`/`send` calls waiting for buffer room. */
  get waitingPuts(): number {
    return this.pipeline.budget.waiting;
  }

  /** Age of the oldest outstanding record in ms (10 ms resolution), 0 when none. */
  get oldestRecordAgeMs(): number {
    const oldest = this.pipeline.ages.oldestMs();
    return oldest === undefined ? 0 : Math.max(0, this.clock.monotonicNow() - oldest);
  }

  /** The shard map records are currently predicted with, once loaded. */
  get shardMap(): ShardMap | undefined {
    return this.pipeline.router.map;
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
    const record = createPendingRecord(data, partitionKey, explicitHashKey, this.options.maxRecordBytes, this.seq + 1);
    this.seq = record.seq;
    return record;
  }

  /** The Writable's way in: undefined when accepted at once, else a promise of acceptance. */
  private enqueue(input: ProducerRecord, owner: RecordOwner): Promise<void> | undefined {
    if (input === null || typeof input !== 'object')
      throw new InvalidArgumentError(`producer.writable() takes objects { data, partitionKey, explicitHashKey? } (got ${input === null ? 'null' : typeof input})`);
    const record = this.createRecord(input.data, input.partitionKey, input.explicitHashKey);
    record.owner = owner;
    const admission = this.pipeline.admission;
    if (admission.tryAccept(record)) return undefined;
    return new Promise<void>((resolve, reject) => admission.admit(record, undefined, resolve, reject));
  }

  // ---------------------------------------------------------------- close

  private async doClose(timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
    this.closing = true;
    this.pipeline.closeStarted();
    this.logger.info({ outstanding: this.outstanding, waiting: this.waitingPuts }, 'closing producer');
    const drained = this.flush();
    if (timeoutMs >= 0 || signal) {
      const stop = new AbortController();
      const wait = this.clock.sleep(timeoutMs >= 0 ? timeoutMs : 2 ** 31 - 1, signal ? AbortSignal.any([stop.signal, signal]) : stop.signal);
      const done = await Promise.race([drained.then(() => true), wait.then(() => false)]);
      stop.abort();
      if (!done) this.pipeline.abortAll();
    }
    await drained;
    this.pipeline.release();
    this.failureChannel.close();
    this.pipeline.settlement.logUnobservedRest();
    if (this.ownsClient) this.client?.destroy();
    this.logger.info({}, 'producer closed');
  }
}
