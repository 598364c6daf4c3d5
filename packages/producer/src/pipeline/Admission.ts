import type { Clock, ShardlineError } from '@shardline/core';
import type { AgeTracker } from '../AgeTracker';
import type { BufferBudget } from '../BufferBudget';
import { BufferFullError } from '../BufferFullError';
import type { PendingRecord, WaitState } from '../PendingRecord';
import type { BackpressureMode } from '../resolveProducerOptions';
import type { BatchedCounters } from './BatchedCounters';
import type { Settlement } from './Settlement';

/** Where an accepted record goes next. @internal */
export interface RecordRoute {
  /** Puts the record where it waits to be sent, to be sent by `sendBy` (monotonic ms). */
  route(record: PendingRecord, now: number, sendBy: number): void;
}

/** @internal */
export interface AdmissionDeps {
  readonly options: {
    readonly maxBufferedRecords: number;
    readonly maxBufferedBytes: number;
    readonly maxWaitingPuts: number;
    readonly onBackpressure: BackpressureMode;
    readonly recordTtlMs: number;
    readonly maxBufferedTimeMs: number;
  };
  readonly clock: Clock;
  readonly budget: BufferBudget<PendingRecord>;
  readonly ages: AgeTracker;
  readonly counters: BatchedCounters;
  readonly settlement: Settlement;
  readonly next: RecordRoute;
  /** Fails `records` with InternalError after a step threw. */
  readonly internalFailure: (error: unknown, where: string, records: Iterable<PendingRecord>) => void;
}

/**
 * The way in: a record is accepted when the buffer budget (`maxBufferedRecords` /
 * `maxBufferedBytes`) has room and nobody waits ahead; otherwise it waits for room in call order
 * (`onBackpressure: 'wait'`, at most `maxWaitingPuts` at a time, until its signal aborts) or is
 * refused with BufferFullError. An accepted record gets its arrival time, expiry and age bucket,
 * and is routed.
 * @internal
 */
export class Admission {
  // The per-record path reads these: fields, not a walk through `deps`.
  private readonly budget: BufferBudget<PendingRecord>;
  private readonly settlement: Settlement;
  private readonly counters: BatchedCounters;
  private readonly clock: Clock;
  private readonly ages: AgeTracker;
  private readonly next: RecordRoute;
  private readonly recordTtlMs: number;
  private readonly maxBufferedTimeMs: number;

  constructor(private readonly deps: AdmissionDeps) {
    this.budget = deps.budget;
    this.settlement = deps.settlement;
    this.counters = deps.counters;
    this.clock = deps.clock;
    this.ages = deps.ages;
    this.next = deps.next;
    this.recordTtlMs = deps.options.recordTtlMs;
    this.maxBufferedTimeMs = deps.options.maxBufferedTimeMs;
  }

  /** Accepts the record if there is room and nobody waits ahead (the fast path, no promise needed). */
  tryAccept(record: PendingRecord): boolean {
    if (!this.budget.tryTake(record.sizeBytes)) return false;
    this.settlement.entered();
    this.accept(record);
    return true;
  }

  /** Accepts the record now, or makes it wait for room, or refuses it; `accepted` / `refused` tell which. */
  admit(record: PendingRecord, signal: AbortSignal | undefined, accepted: (() => void) | undefined, refused: (error: unknown) => void): void {
    if (this.tryAccept(record)) {
      accepted?.();
      return;
    }
    const { budget, options } = this.deps;
    this.deps.settlement.entered();
    const wait: WaitState = (record.wait = { accepted, refused, stop: undefined });
    if (options.onBackpressure === 'reject') {
      this.refuse(record, new BufferFullError(`producer buffer is full (${budget.records} records, ${budget.bytes} bytes; limits ${options.maxBufferedRecords} / ${options.maxBufferedBytes})`));
      return;
    }
    // Each waiting put holds its data: without a bound, callers that do not await would grow memory without limit.
    if (budget.waiting >= options.maxWaitingPuts) {
      this.refuse(record, new BufferFullError(`producer buffer is full and maxWaitingPuts (${options.maxWaitingPuts}) puts already wait for room; try again once records have settled`));
      return;
    }
    if (signal?.aborted) {
      this.refuse(record, signal.reason);
      return;
    }
    if (signal) {
      const onAbort = (): void => {
        budget.cancel(record);
        this.refuse(record, signal.reason);
        budget.serve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      wait.stop = () => signal.removeEventListener('abort', onAbort);
    }
    budget.enqueue(record);
  }

  /** The budget reserved room for a waiting record (its `onRoom` callback). */
  roomFor(record: PendingRecord): void {
    const wait = record.wait;
    record.wait = undefined;
    wait?.stop?.();
    this.accept(record);
    wait?.accepted?.();
  }

  /** Refuses every record still waiting for room (close gave up), each with its own error. */
  refuseWaiting(error: () => ShardlineError): void {
    for (const r of this.deps.budget.drainWaiters()) this.refuse(r, error());
  }

  /** A record is never accepted: nothing of it was buffered. */
  private refuse(record: PendingRecord, error: unknown): void {
    const wait = record.wait;
    record.wait = undefined;
    wait?.stop?.();
    this.deps.settlement.refused(record, error);
    wait?.refused(error);
  }

  private accept(record: PendingRecord): void {
    this.settlement.accepted();
    this.counters.recordReceived();
    try {
      // Whole milliseconds: small integers are stored unboxed, a fraction costs a heap number per field per record.
      const now = Math.floor(this.clock.monotonicNow());
      record.arrivalMs = now;
      record.expiresAt = now + this.recordTtlMs;
      record.ageBucket = this.ages.add(now);
      this.next.route(record, now, now + this.maxBufferedTimeMs);
    } catch (error) {
      // Counted as accepted: it must settle, or flush() and close() would wait for it forever.
      this.deps.internalFailure(error, 'accepting a record', [record]);
    }
  }
}
