import { Aggregator, type KinesisRecord, type ResolvedAggregatorOptions } from '@shardline/kpl-aggregation';
import type { PendingRecord } from '../PendingRecord';
import type { ShardRateLimiter } from '../ShardRateLimiter';

/** A Kinesis record waiting to be collected into a PutRecords call. @internal */
export interface OutboundRecord {
  readonly record: KinesisRecord<PendingRecord>;
  /** The queue (predicted shard) it was built for. */
  readonly queue: ShardQueue;
  /** Monotonic ms by which it should be sent (its oldest user record's buffering deadline). */
  readonly deadline: number;
  /** Earliest expiry of its user records. */
  readonly minExpiry: number;
}

/**
 * Everything buffered for one predicted shard: the aggregate being filled, finished Kinesis records
 * waiting for the shard's rate limiter and a connection, and the state ordered mode needs.
 * The queue with `shardId` undefined holds records no shard is predicted for (no shard map yet, or
 * a hole in it): they go unaggregated and unlimited, as in the KPL.
 * @internal
 */
export class ShardQueue {
  private readonly aggregator: Aggregator<PendingRecord>;
  /** Builds aggregates outside the open one: retried records, and what is left of a partly expired aggregate. */
  private scratch: Aggregator<PendingRecord> | undefined;
  /** Monotonic ms by which the open aggregate must be flushed; Infinity when empty. */
  private openDeadline = Infinity;
  private ready: OutboundRecord[] = [];
  private readyHead = 0;
  /** Earliest expiry of a record held here: a lower bound (may be early after records left, never late). */
  private earliestExpiry = Infinity;
  /** Earliest expiry of the records in the open aggregate. */
  private openMinExpiry = Infinity;
  /** PutRecords calls in flight that carry records of this queue. */
  private callsInFlight = 0;
  /** The last call counted in {@link callsInFlight}: a call with many records of this queue counts once. */
  private lastCallId = 0;
  /** Ordered mode: a retry backoff holds the shard until then (monotonic ms). */
  private heldUntil = 0;
  /** Ordered mode: waits for a new shard map before sending again. */
  private waitingForMap = false;
  /** Ordered mode: already has a record in the PutRecords call being collected. */
  private inCollection = false;
  /** Listed in the scheduler's set of queues that hold records. */
  private listed = false;
  /** Dropped from the shard map (closed or replaced); completions must not requeue here. */
  private isRetired = false;

  constructor(
    readonly shardId: string | undefined,
    private readonly aggregatorOptions: ResolvedAggregatorOptions,
    readonly limiter: ShardRateLimiter | undefined,
  ) {
    this.aggregator = new Aggregator<PendingRecord>(aggregatorOptions);
  }

  /** True when nothing is held (in-flight records are not held here). */
  get empty(): boolean {
    return this.aggregator.count === 0 && this.readyHead >= this.ready.length;
  }

  /** Monotonic ms by which the open aggregate must be flushed; Infinity when empty. */
  get aggregateDeadline(): number {
    return this.openDeadline;
  }

  /** Earliest expiry of a record held here: a lower bound (may be early after records left, never late). */
  get minExpiry(): number {
    return this.earliestExpiry;
  }

  /** Whether a PutRecords call carrying records of this queue is in flight. */
  get hasCallsInFlight(): boolean {
    return this.callsInFlight > 0;
  }

  /** A call carrying records of this queue was sent; counted once per `callId` (call ids only grow). Returns whether it was counted now. */
  callSent(callId: number): boolean {
    this.inCollection = false;
    if (this.lastCallId === callId) return false;
    this.lastCallId = callId;
    this.callsInFlight++;
    return true;
  }

  /** A call counted by {@link callSent} completed. */
  callCompleted(): void {
    this.callsInFlight--;
  }

  /** Ordered mode: one of its records joined the call being collected; no other joins that call. */
  joinedCollection(): void {
    this.inCollection = true;
  }

  /** Ordered mode: the call being collected was dropped (its records were taken back or failed). */
  leftCollection(): void {
    this.inCollection = false;
  }

  /** Ordered mode: hold the shard (a retry backs off) until `atMs`. */
  holdUntil(atMs: number): void {
    this.heldUntil = atMs;
  }

  /** Ordered mode: send nothing more until the next shard map is installed. */
  waitForNewMap(): void {
    this.waitingForMap = true;
  }

  /** A new shard map was installed. */
  mapInstalled(): void {
    this.waitingForMap = false;
  }

  /**
   * Ordered mode: when its next record may join the call being collected — 0 for now, the end of a
   * retry hold, or Infinity while a call of this shard is in flight or collected, or it waits for a map.
   */
  orderedSendableAt(): number {
    if (this.callsInFlight > 0 || this.inCollection || this.waitingForMap) return Infinity;
    return this.heldUntil;
  }

  /** Lists the queue once in the scheduler's set of queues holding records; returns false when already listed. */
  list(): boolean {
    if (this.listed) return false;
    this.listed = true;
    return true;
  }

  /** The scheduler dropped it from its set (it was empty). */
  unlist(): void {
    this.listed = false;
  }

  /** The shard left the map: later retries of its records are routed afresh. */
  retire(): void {
    this.isRetired = true;
  }

  get retired(): boolean {
    return this.isRetired;
  }

  /**
   * Adds a record to the open aggregate, to be sent by `deadline`. Returns true when a Kinesis
   * record became ready (the aggregate filled up).
   */
  add(record: PendingRecord, deadline: number): boolean {
    const finished = this.aggregator.add(record);
    let produced = false;
    if (finished) {
      this.pushReady(finished, this.openDeadline);
      this.openDeadline = deadline;
      produced = true;
    } else if (deadline < this.openDeadline) this.openDeadline = deadline;
    if (record.expiresAt < this.openMinExpiry) this.openMinExpiry = record.expiresAt;
    if (record.expiresAt < this.earliestExpiry) this.earliestExpiry = record.expiresAt;
    const opts = this.aggregatorOptions;
    // Full already: waiting for the next record or the deadline would only add latency.
    if (this.aggregator.count >= opts.maxAggregateRecords || this.aggregator.sizeBytes >= opts.maxAggregateBytes) {
      this.flushOpen();
      produced = true;
    }
    return produced;
  }

  /** Finishes the open aggregate; true when it held anything. */
  flushOpen(): boolean {
    const finished = this.aggregator.flush();
    if (!finished) return false;
    this.pushReady(finished, this.openDeadline);
    this.openDeadline = Infinity;
    return true;
  }

  peekReady(): OutboundRecord | undefined {
    return this.ready[this.readyHead];
  }

  shiftReady(): OutboundRecord | undefined {
    const outbound = this.ready[this.readyHead];
    if (outbound === undefined) return undefined;
    this.ready[this.readyHead++] = undefined as unknown as OutboundRecord;
    if (this.readyHead === this.ready.length) {
      this.ready = [];
      this.readyHead = 0;
      if (this.aggregator.count === 0) this.earliestExpiry = Infinity;
    } else if (this.readyHead > 256 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    return outbound;
  }

  /** Removes and returns every held user record, oldest first (ready ones, then the open aggregate). */
  takeAll(): PendingRecord[] {
    const out: PendingRecord[] = [];
    for (let i = this.readyHead; i < this.ready.length; i++) for (const r of this.ready[i]!.record.userRecords) out.push(r);
    this.ready = [];
    this.readyHead = 0;
    const open = this.aggregator.flush();
    if (open) for (const r of open.userRecords) out.push(r);
    this.openDeadline = Infinity;
    this.earliestExpiry = Infinity;
    this.openMinExpiry = Infinity;
    return out;
  }

  /**
   * Puts `records` ahead of everything held (ordered mode retries), aggregated in order, to be
   * sent by `deadline`. What is held keeps its aggregates: a retry costs the retried records only.
   */
  requeueFront(records: readonly PendingRecord[], deadline: number): void {
    const front = this.build(records, deadline);
    if (front.length === 0) return;
    for (let i = this.readyHead; i < this.ready.length; i++) front.push(this.ready[i]!);
    this.ready = front;
    this.readyHead = 0;
    for (const outbound of front) if (outbound.minExpiry < this.earliestExpiry) this.earliestExpiry = outbound.minExpiry;
  }

  /**
   * Removes records whose TTL ran out, oldest first, and hands them to `expire` once the queue is
   * consistent again (`expire` may add records to it). Only an aggregate that holds an expired
   * record is touched — dropped when all of it expired, else rebuilt from the rest — so a queue
   * held back by its rate limit costs one comparison per aggregate per pass, not a re-encoding of
   * everything it holds. Cheap to call: returns at once unless something may have expired.
   */
  expire(nowMs: number, expire: (record: PendingRecord) => void): void {
    if (this.earliestExpiry > nowMs) return;
    const expired: PendingRecord[] = [];
    let min = Infinity;
    let kept: OutboundRecord[] | undefined;
    for (let i = this.readyHead; i < this.ready.length; i++) {
      const outbound = this.ready[i]!;
      if (outbound.minExpiry > nowMs) {
        kept?.push(outbound);
        if (outbound.minExpiry < min) min = outbound.minExpiry;
        continue;
      }
      // The first aggregate touched: those before it are kept as they are.
      kept ??= this.ready.slice(this.readyHead, i);
      const rest = unexpired(outbound.record.userRecords, nowMs, expired);
      for (const rebuilt of this.build(rest, outbound.deadline)) {
        kept.push(rebuilt);
        if (rebuilt.minExpiry < min) min = rebuilt.minExpiry;
      }
    }
    if (kept) {
      this.ready = kept;
      this.readyHead = 0;
    }
    if (this.aggregator.count > 0 && this.openMinExpiry <= nowMs) {
      // The open aggregate is rebuilt with what did not expire (kpl-aggregation's Aggregator can only hand its records out encoded).
      const deadline = this.openDeadline;
      const open = this.aggregator.flush()!;
      this.openDeadline = Infinity;
      this.openMinExpiry = Infinity;
      for (const r of unexpired(open.userRecords, nowMs, expired)) this.add(r, deadline);
    }
    if (this.aggregator.count > 0 && this.openMinExpiry < min) min = this.openMinExpiry;
    this.earliestExpiry = min;
    for (const r of expired) expire(r);
  }

  /** Aggregates `records`, in order, into finished Kinesis records of this queue to be sent by `deadline`. */
  private build(records: readonly PendingRecord[], deadline: number): OutboundRecord[] {
    const out: OutboundRecord[] = [];
    if (records.length === 0) return out;
    const aggregator = (this.scratch ??= new Aggregator<PendingRecord>(this.aggregatorOptions));
    let minExpiry = Infinity;
    const finish = (record: KinesisRecord<PendingRecord>): void => {
      out.push({ record, queue: this, deadline, minExpiry });
      minExpiry = Infinity;
    };
    for (const r of records) {
      const finished = aggregator.add(r);
      if (finished) finish(finished);
      if (r.expiresAt < minExpiry) minExpiry = r.expiresAt;
    }
    finish(aggregator.flush()!);
    return out;
  }

  private pushReady(record: KinesisRecord<PendingRecord>, deadline: number): void {
    this.ready.push({ record, queue: this, deadline, minExpiry: this.openMinExpiry });
    this.openMinExpiry = Infinity;
  }
}

/** The records of `records` whose TTL has not run out at `nowMs`; the others are appended to `expired`. */
function unexpired(records: readonly PendingRecord[], nowMs: number, expired: PendingRecord[]): PendingRecord[] {
  const rest: PendingRecord[] = [];
  for (const r of records) {
    if (r.expiresAt <= nowMs) expired.push(r);
    else rest.push(r);
  }
  return rest;
}
