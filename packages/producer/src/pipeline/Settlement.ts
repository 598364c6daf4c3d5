import { type Clock, InternalError, type Logger, type ShardlineError } from '@shardline/core';
import type { AgeTracker } from '../AgeTracker';
import type { BufferBudget } from '../BufferBudget';
import type { FailureChannel } from '../FailureChannel';
import type { PendingRecord } from '../PendingRecord';
import { ProducerPutResult } from '../ProducerPutResult';
import type { ProducerMetrics } from '../producerMetrics';
import type { PutFailure } from '../PutResult';
import { RecordExpiredError } from '../RecordExpiredError';
import type { BatchedCounters } from './BatchedCounters';

const failureDetails = new WeakMap<object, PutFailure>();

/**
 * The attempts and record behind an error a `put` promise rejected with (also given to failure
 * listeners), or undefined for other errors.
 * @public
 */
export function putFailureOf(error: unknown): PutFailure | undefined {
  return error !== null && typeof error === 'object' ? failureDetails.get(error) : undefined;
}

/** What settlement needs from the rest of the producer. @internal */
export interface SettlementDeps {
  readonly recordTtlMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ProducerMetrics;
  readonly counters: BatchedCounters;
  readonly ages: AgeTracker;
  readonly failures: FailureChannel;
  readonly budget: BufferBudget<PendingRecord>;
}

interface FlushWaiter {
  readonly upto: number;
  remaining: number;
  readonly resolve: () => void;
}

/** Unobserved failures are logged at most this often (they are all counted). */
const UNOBSERVED_LOG_INTERVAL_MS = 5_000;

/**
 * The end of every record's path: written (the `put` promise resolves), failed or expired (it
 * rejects, failure listeners hear of it, and a failure nobody observes is logged and counted), or
 * refused before it was ever accepted. Keeps the counts `flush()` and `close()` wait on, and the
 * flush waiters. Settling comes first in each method, metrics and logs after: a record's fate
 * never depends on them.
 * @internal
 */
export class Settlement {
  private outstandingCount = 0;
  private unsettledCount = 0;
  private flushWaiters: FlushWaiter[] = [];
  private unobservedSinceLog = 0;
  private lastUnobservedLog = -Infinity;

  // The per-record path reads these: fields, not a walk through `deps`.
  private readonly counters: BatchedCounters;
  private readonly ages: AgeTracker;
  private readonly budget: BufferBudget<PendingRecord>;

  constructor(private readonly deps: SettlementDeps) {
    this.counters = deps.counters;
    this.ages = deps.ages;
    this.budget = deps.budget;
  }

  /** Records accepted and not yet settled. */
  get outstanding(): number {
    return this.outstandingCount;
  }

  /** Records accepted or waiting for room, not yet settled or refused: what `flush()` waits for. */
  get unsettled(): number {
    return this.unsettledCount;
  }

  /** A record entered the producer (accepted at once, or waiting for room). */
  entered(): void {
    this.unsettledCount++;
  }

  /** A record was accepted into the buffer. */
  accepted(): void {
    this.outstandingCount++;
  }

  /** Calls `resolve` once every record entered with a `seq` up to `upto` has settled or was refused. */
  waitForSettled(upto: number, resolve: () => void): void {
    this.flushWaiters.push({ upto, remaining: this.unsettledCount, resolve });
  }

  succeed(r: PendingRecord, shardId: string, sequenceNumber: string, subSequenceNumber: number, aggregated: boolean, start: number, end: number): void {
    if (r.settled) return;
    this.counters.recordWritten();
    const resolve = r.resolve;
    if (resolve) resolve(new ProducerPutResult(shardId, sequenceNumber, subSequenceNumber, aggregated, r.attempts, r.delayTo(start), end - start));
    this.settle(r, undefined);
    if (r.failedOnce) this.deps.metrics.records.add(1, { outcome: 'recovered' });
  }

  expire(r: PendingRecord, now: number, lastError?: ShardlineError): void {
    if (r.settled) return;
    const ttl = this.deps.recordTtlMs;
    r.addFailedAttempt(now, now, RecordExpiredError.ERROR_CODE, `record TTL of ${ttl} ms ran out`);
    this.fail(r, new RecordExpiredError(ttl, lastError ?? r.lastError));
    this.deps.metrics.userRecordsExpired.add(1);
  }

  fail(r: PendingRecord, error: ShardlineError): void {
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
    const observed = this.deps.failures.publish(failure);
    this.deps.metrics.userRecordsFailed.add(1, { error_code: error instanceof RecordExpiredError ? RecordExpiredError.ERROR_CODE : error.code });
    if (!reported && !reject && !observed) this.unobserved(failure);
  }

  /** A record that was never accepted (nothing of it was buffered): only its owner and flush() hear of it. */
  refused(r: PendingRecord, error: unknown): void {
    r.resolve = r.reject = undefined;
    this.finished(r);
    r.owner?.settled(error as ShardlineError);
  }

  /** A fresh error per record (putFailureOf() finds a record's details by its error). */
  internalError(cause: unknown, where: string): InternalError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new InternalError(`producer failed ${where} (${reason}); the record's state is unknown: it was not retried and may still have been written`, { cause });
  }

  /** On close: the unobserved failures not logged yet. */
  logUnobservedRest(): void {
    if (this.unobservedSinceLog > 0) this.deps.logger.error({ failedRecords: this.unobservedSinceLog }, 'records sent with send() failed with nobody listening');
  }

  /** A `send()` record failed and nobody listens: never silent, but never a log line per record either. */
  private unobserved(failure: PutFailure): void {
    this.deps.metrics.failuresUnobserved.add(1);
    this.unobservedSinceLog++;
    const now = this.deps.clock.monotonicNow();
    if (now - this.lastUnobservedLog >= UNOBSERVED_LOG_INTERVAL_MS) {
      this.deps.logger.error(
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

  /** Bookkeeping for flush(): a record entered before a flush has settled or was refused. */
  private finished(r: PendingRecord): void {
    this.unsettledCount--;
    if (this.flushWaiters.length === 0) return;
    let done = false;
    for (const w of this.flushWaiters) {
      if (r.seq <= w.upto && --w.remaining <= 0) done = true;
    }
    if (done || this.unsettledCount === 0) {
      const waiters = this.flushWaiters;
      this.flushWaiters = [];
      for (const w of waiters) {
        if (w.remaining <= 0 || this.unsettledCount === 0) w.resolve();
        else this.flushWaiters.push(w);
      }
    }
  }
}
