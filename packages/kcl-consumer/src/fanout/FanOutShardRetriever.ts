import { type KinesisClient, SubscribeToShardCommand, type SubscribeToShardEventStream } from '@aws-sdk/client-kinesis';
import { awsErrorName, type Clock, InvalidArgumentError, type Logger, type MetricLabels, type Metrics, TimeoutError } from '@shardline/core';
import type { DeaggregationOptions } from '@shardline/kinesis-poller';
import type { RecordsRetriever, RetrievalTarget, RetrievedBatch } from '../Retrieval';
import type { ConsumerRegistration } from './ConsumerRegistration';
import { EventBatcher } from './EventBatcher';
import type { FanOutInstruments } from './fanOutMetrics';
import type { ResolvedFanOutOptions } from './resolveFanOutOptions';
import { classifySubscriptionError, resubscribeDelayMs, type SubscriptionRestartReason } from './resubscribePlan';
import { SubscriptionPosition } from './SubscriptionPosition';

/** Thrown inside the retriever when it is stopped; never escapes. */
const STOPPED = new Error('FanOutShardRetriever stopped');

/** What {@link FanOutShardRetriever} needs from its retrieval. */
export interface FanOutShardRetrieverDeps {
  readonly target: RetrievalTarget;
  readonly client: KinesisClient;
  readonly registration: ConsumerRegistration;
  readonly options: ResolvedFanOutOptions;
  readonly deaggregate: DeaggregationOptions | false;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly instruments: FanOutInstruments;
  /** Aborted when the retrieval closes. */
  readonly closing: AbortSignal;
  /** Called once the retriever has released everything. */
  readonly onReleased: () => void;
}

/** How one subscription ended. */
type SubscriptionOutcome =
  { readonly kind: 'shard-end' } | { readonly kind: 'stopped' } | { readonly kind: 'ended'; readonly events: number; readonly silent?: boolean; readonly error?: unknown; readonly answered: boolean };

/** A settled race: the value, or the deadline passed first. */
type Raced<T> = { readonly timedOut: false; readonly value: T } | { readonly timedOut: true };

/**
 * The records of one shard over enhanced fan-out (the KCL's `FanOutRecordsPublisher`), as the
 * {@link RecordsRetriever} the shard consumer iterates: one SubscribeToShard at a time, each
 * event a batch (see {@link EventBatcher}), a new subscription from the last continuation when
 * one ends (see {@link resubscribeDelayMs} for when), until the shard-end event or {@link stop}.
 *
 * - Backpressure: at most `maxBufferedEventsPerShard` events wait for the processor; then the
 *   SDK's event stream is not read, and HTTP/2 flow control stops the service from sending.
 * - Health check: while it waits for an event, a subscription silent for `healthCheckTimeoutMs`
 *   is cancelled and replaced.
 * - Errors no resubscription fixes (access denied, KMS configuration, a given consumer deleted)
 *   reject `next()` with a typed, non-retryable error; the shard consumer's retries take over.
 * - {@link stop} aborts the HTTP/2 stream, drops the events not yet delivered (no record reaches
 *   the processor after a lease is lost) and settles within `closeTimeoutMs`.
 * @internal
 */
export class FanOutShardRetriever implements RecordsRetriever {
  private readonly d: FanOutShardRetrieverDeps;
  private readonly shardId: string;
  private readonly log: Logger;
  private readonly labels: MetricLabels;
  private readonly position: SubscriptionPosition;
  private readonly batcher: EventBatcher;
  private readonly stopper = new AbortController();
  private readonly queue: RetrievedBatch[] = [];
  private waiter: { resolve: (r: IteratorResult<RetrievedBatch>) => void; reject: (e: unknown) => void } | undefined;
  private wakeProducer: (() => void) | undefined;
  private pump: Promise<void> | undefined;
  private failure: { error: unknown; reported: boolean } | undefined;
  private finished = false;
  private stopping = false;
  private iterated = false;
  private readonly onClosing = (): void => void this.stop();

  constructor(deps: FanOutShardRetrieverDeps) {
    this.d = deps;
    const { target } = deps;
    this.shardId = target.shardId;
    this.log = deps.logger.child({ component: 'FanOutShardRetriever', stream: target.streamName, shardId: target.shardId });
    this.labels = { stream: target.streamName, shard_id: target.shardId };
    this.position = new SubscriptionPosition(target.startingPosition, `retriever ${target.shardId} startingPosition`);
    this.batcher = new EventBatcher(target.shardId, this.position, deps.deaggregate, target.shardRange, deps.metrics);
  }

  [Symbol.asyncIterator](): AsyncIterator<RetrievedBatch> {
    if (this.iterated) throw new InvalidArgumentError(`the fan-out retriever of ${this.shardId} can be iterated only once`);
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
   * Cancels the subscription (aborting its HTTP/2 stream), drops the events not yet delivered and
   * ends the iteration; resolves once every request and timer is released, or after
   * `closeTimeoutMs` at most.
   */
  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.stopper.abort();
      this.queue.length = 0;
      this.d.instruments.bufferedEvents.set(0, this.labels);
      this.wake();
      this.settleWaiter();
      if (!this.pump) this.release();
    }
    const pump = this.pump;
    if (!pump) return;
    const timer = new AbortController();
    const inTime = await Promise.race([pump.then(() => true), this.d.clock.sleep(this.d.options.closeTimeoutMs, timer.signal).then(() => false)]);
    timer.abort();
    if (!inTime) this.log.warn({ closeTimeoutMs: this.d.options.closeTimeoutMs }, 'the subscription did not end within closeTimeoutMs; left to the SDK to close');
  }

  private next(): Promise<IteratorResult<RetrievedBatch>> {
    if (this.waiter) return Promise.reject(new InvalidArgumentError(`fan-out retriever of ${this.shardId}: next() called while another next() is pending`));
    if (!this.pump && !this.stopping) {
      this.d.closing.addEventListener('abort', this.onClosing, { once: true });
      if (this.d.closing.aborted) void this.stop();
      else this.pump = this.run();
    }
    const ready = this.take();
    if (ready) return ready;
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private take(): Promise<IteratorResult<RetrievedBatch>> | undefined {
    if (this.stopping) return Promise.resolve({ done: true, value: undefined });
    const batch = this.queue.shift();
    if (batch) {
      this.d.instruments.bufferedEvents.set(this.queue.length, this.labels);
      this.wake();
      return Promise.resolve({ done: false, value: batch });
    }
    if (this.failure && !this.failure.reported) {
      this.failure.reported = true;
      return Promise.reject(this.failure.error);
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

  private enqueue(batch: RetrievedBatch): void {
    this.queue.push(batch);
    this.d.instruments.bufferedEvents.set(this.queue.length, this.labels);
    this.settleWaiter();
  }

  private async waitForCapacity(): Promise<void> {
    while (!this.stopping && this.queue.length >= this.d.options.maxBufferedEventsPerShard) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
    if (this.stopping) throw STOPPED;
  }

  /** Races `promise` against `ms` on the clock (and the stop); a late rejection is swallowed. */
  private async within<T>(promise: Promise<T>, ms: number): Promise<Raced<T>> {
    const timer = new AbortController();
    const onStop = (): void => timer.abort();
    this.stopper.signal.addEventListener('abort', onStop, { once: true });
    promise.catch(() => undefined);
    try {
      return await Promise.race([promise.then((value) => ({ timedOut: false as const, value })), this.d.clock.sleep(ms, timer.signal).then(() => ({ timedOut: true as const }))]);
    } finally {
      timer.abort();
      this.stopper.signal.removeEventListener('abort', onStop);
    }
  }

  private async run(): Promise<void> {
    const { target, registration, options, instruments, closing } = this.d;
    try {
      if (this.position.atShardEnd) {
        this.enqueue(this.batcher.endBatch([], undefined, undefined));
        return;
      }
      let arn = await this.untilStopped(registration.consumerArn(target.streamName, closing));
      let failures = 0;
      for (;;) {
        await this.waitForCapacity();
        const outcome = await this.subscribeOnce(arn);
        if (outcome.kind !== 'ended' || this.stopping) return;
        let reason: SubscriptionRestartReason;
        if (outcome.silent) reason = 'silent';
        else if (outcome.error === undefined) reason = 'completed';
        else {
          const failure = classifySubscriptionError(outcome.error, outcome.answered);
          if (failure.final) throw failure.final;
          reason = failure.reason;
        }
        failures = reason === 'completed' && outcome.events > 0 ? 0 : outcome.events > 0 ? 1 : failures + 1;
        instruments.restarts.add(1, { ...this.labels, reason });
        const delayMs = resubscribeDelayMs(reason, failures, options);
        const level = reason === 'completed' ? 'debug' : failures >= 5 ? 'error' : 'warn';
        this.log[level]({ reason, failures, delayMs, err: outcome.error === undefined ? undefined : awsErrorName(outcome.error), from: this.position.continuationSequenceNumber }, 'resubscribing');
        if (reason === 'consumer-missing') arn = await this.untilStopped(registration.refresh(target.streamName, arn, closing));
        if (delayMs > 0 && !(await this.d.clock.sleep(delayMs, this.stopper.signal))) return;
      }
    } catch (error) {
      if (error !== STOPPED && !this.stopping) {
        this.log.error({ err: error }, 'fan-out retrieval failed');
        this.failure = { error, reported: false };
      }
    } finally {
      this.finished = true;
      this.settleWaiter();
      this.release();
    }
  }

  private release(): void {
    this.d.closing.removeEventListener('abort', this.onClosing);
    this.d.onReleased();
  }

  /** `promise`, or STOPPED thrown as soon as the retriever stops. */
  private async untilStopped<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => undefined);
    const signal = this.stopper.signal;
    let onStop: (() => void) | undefined;
    const stopped = new Promise<Error>((resolve) => {
      onStop = () => resolve(STOPPED);
      if (signal.aborted) resolve(STOPPED);
      else signal.addEventListener('abort', onStop, { once: true });
    });
    try {
      const value: T | Error = await Promise.race([promise, stopped]);
      if (value === STOPPED) throw STOPPED;
      return value as T;
    } finally {
      if (onStop) signal.removeEventListener('abort', onStop);
    }
  }

  /** One SubscribeToShard, read until it ends, fails, goes silent, reaches the shard's end or the retriever stops. */
  private async subscribeOnce(consumerArn: string): Promise<SubscriptionOutcome> {
    const { client, options, clock, instruments } = this.d;
    const request = new AbortController();
    const onStop = (): void => request.abort();
    this.stopper.signal.addEventListener('abort', onStop, { once: true });
    let events = 0;
    let answered = false;
    let stream: AsyncIterator<SubscribeToShardEventStream> | undefined;
    try {
      const startingPosition = this.position.next(clock.now());
      this.log.debug({ startingPosition }, 'subscribing');
      const call = client.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: this.shardId, StartingPosition: startingPosition }), { abortSignal: request.signal });
      const out = await this.within(call, options.subscribeTimeoutMs);
      if (this.stopping) return { kind: 'stopped' };
      if (out.timedOut)
        return { kind: 'ended', events, answered, error: new TimeoutError(`SubscribeToShard on ${this.shardId} did not answer within subscribeTimeoutMs (${options.subscribeTimeoutMs} ms)`) };
      answered = true;
      instruments.subscriptions.add(1, this.labels);
      const body = out.value.EventStream;
      if (!body) return { kind: 'ended', events, answered };
      stream = body[Symbol.asyncIterator]();
      for (;;) {
        await this.waitForCapacity();
        const r = await this.within(stream.next(), options.healthCheckTimeoutMs);
        if (this.stopping) return { kind: 'stopped' };
        if (r.timedOut) return { kind: 'ended', events, answered, silent: true };
        if (r.value.done) return { kind: 'ended', events, answered };
        const event = r.value.value;
        if (!event.SubscribeToShardEvent) {
          // An exception member of the union (the SDK usually throws these instead).
          const [name, value] = Object.entries(event as unknown as Record<string, unknown>).find(([, v]) => v !== undefined) ?? ['$unknown', undefined];
          return { kind: 'ended', events, answered, error: value instanceof Error ? value : Object.assign(new Error(`SubscribeToShard event ${name}`), { name }) };
        }
        events++;
        const e = event.SubscribeToShardEvent;
        const raw = e.Records ?? [];
        let bytes = 0;
        for (const record of raw) bytes += record.Data?.byteLength ?? 0;
        instruments.events.add(1, this.labels);
        if (raw.length) instruments.records.add(raw.length, this.labels);
        if (bytes) instruments.bytes.add(bytes, this.labels);
        if (e.MillisBehindLatest !== undefined) instruments.millisBehindLatest.set(e.MillisBehindLatest, this.labels);
        const batch = this.batcher.toBatch(e);
        this.enqueue(batch);
        if (batch.shardEnded) {
          this.log.info({ childShards: batch.childShards?.map((c) => c.shardId) }, 'shard ended');
          return { kind: 'shard-end' };
        }
      }
    } catch (error) {
      if (error === STOPPED || this.stopping) return { kind: 'stopped' };
      return { kind: 'ended', events, answered, error };
    } finally {
      request.abort();
      this.stopper.signal.removeEventListener('abort', onStop);
      // Ends the SDK's event-stream reader; the aborted request has closed the HTTP/2 stream.
      if (stream?.return) void stream.return().catch(() => undefined);
    }
  }
}
