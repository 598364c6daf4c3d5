import { partitionKeyToHashKey, type ShardlineError } from '@shardline/core';
import type { UserRecord } from '@shardline/kpl-aggregation';
import type { AgeBucket } from './AgeTracker';
import type { Attempt, PutResult } from './PutResult';

/** Who else wants to hear when a record settles (the Writable adapter). @internal */
export interface RecordOwner {
  /** Returns true when it passed `error` on to the user (so the failure was observed). */
  settled(error: ShardlineError | undefined): boolean;
}

/** State of a record waiting for buffer room; only records that wait allocate it. @internal */
export interface WaitState {
  /** Called once accepted (send/writable acceptance promises). */
  readonly accepted: (() => void) | undefined;
  /** Called if never accepted (abort, close). */
  readonly refused: (error: unknown) => void;
  /** Removes the abort listener, if any. */
  stop: (() => void) | undefined;
}

const FAILED_ONCE = 1;
const SETTLED = 2;
const WAIT_CANCELLED = 4;

/**
 * A user record from `put` until it settles: the record itself (it is what the aggregator holds,
 * so no wrapper is allocated), its deadlines, its attempts and how to tell the caller. Kept small:
 * a producer may hold a hundred thousand of them.
 * @internal
 */
export class PendingRecord implements UserRecord {
  /** Monotonic ms when the producer accepted it. */
  arrivalMs = 0;
  /** Monotonic ms after which it fails with `Expired`. */
  expiresAt = Infinity;
  /** Monotonic ms at the end of the last attempt, or -1. */
  lastAttemptEnd = -1;
  private flags = 0;
  /** Failed attempts so far (successful attempts are described by the PutResult). */
  attempts: Attempt[] | undefined = undefined;
  /** The last retryable error, kept as the cause of an expiry. */
  lastError: ShardlineError | undefined = undefined;
  ageBucket: AgeBucket | undefined = undefined;
  resolve: ((result: PutResult) => void) | undefined = undefined;
  reject: ((error: unknown) => void) | undefined = undefined;
  owner: RecordOwner | undefined = undefined;
  wait: WaitState | undefined = undefined;

  constructor(
    readonly partitionKey: string,
    readonly explicitHashKey: string | undefined,
    readonly data: Uint8Array,
    /** Data plus UTF-8 partition key, as Kinesis counts it. */
    readonly sizeBytes: number,
    /** Order of the `put` call, for `flush()`. */
    readonly seq: number,
  ) {}

  /** Failed at least once (kinesis-pusher's "failed"; a later success is "recovered"). */
  get failedOnce(): boolean {
    return (this.flags & FAILED_ONCE) !== 0;
  }

  set failedOnce(value: boolean) {
    this.flags = value ? this.flags | FAILED_ONCE : this.flags & ~FAILED_ONCE;
  }

  get settled(): boolean {
    return (this.flags & SETTLED) !== 0;
  }

  set settled(value: boolean) {
    this.flags = value ? this.flags | SETTLED : this.flags & ~SETTLED;
  }

  /** Waiting for room was abandoned (aborted); the budget skips it. */
  get waitCancelled(): boolean {
    return (this.flags & WAIT_CANCELLED) !== 0;
  }

  set waitCancelled(value: boolean) {
    this.flags = value ? this.flags | WAIT_CANCELLED : this.flags & ~WAIT_CANCELLED;
  }

  /** The 128-bit hash key Kinesis routes this record by (only mispredictions need it). */
  hashKey(): bigint {
    return this.explicitHashKey !== undefined ? BigInt(this.explicitHashKey) : partitionKeyToHashKey(this.partitionKey);
  }

  /** Milliseconds from arrival, or from the previous attempt's end, to `startMs`. */
  delayTo(startMs: number): number {
    return startMs - (this.lastAttemptEnd >= 0 ? this.lastAttemptEnd : this.arrivalMs);
  }

  /** Appends a failed attempt. */
  addFailedAttempt(startMs: number, endMs: number, errorCode: string, errorMessage: string): void {
    (this.attempts ??= []).push({ delayMs: this.delayTo(startMs), durationMs: endMs - startMs, successful: false, errorCode, errorMessage });
    this.lastAttemptEnd = endMs;
  }
}
