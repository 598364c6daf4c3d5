import { Aggregator, type KinesisRecord, type ResolvedAggregatorOptions } from '@shardline/kpl-aggregation';
import type { PendingRecord } from './PendingRecord';
import type { ShardRateLimiter } from './ShardRateLimiter';

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
  /** Monotonic ms by which the open aggregate must be flushed; Infinity when empty. */
  aggregateDeadline = Infinity;
  private ready: OutboundRecord[] = [];
  private readyHead = 0;
  /** Earliest expiry of a record held here: a lower bound (may be early after records left, never late). */
  minExpiry = Infinity;
  /** Earliest expiry of the records in the open aggregate. */
  private openMinExpiry = Infinity;
  /** PutRecords calls in flight that carry records of this queue. */
  inFlight = 0;
  /** Ordered mode: a retry backoff holds the shard until then. */
  holdUntil = 0;
  /** Ordered mode: waits for a new shard map before sending again. */
  blockedForMap = false;
  /** Ordered mode: already has a record in the batch being collected. */
  inBatch = false;
  /** Marks the queue once per dispatched batch, to count it once. */
  mark = 0;
  /** Listed in the producer's active set. */
  active = false;
  /** Dropped from the map (closed or replaced); completions must not requeue here. */
  removed = false;

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

  /**
   * Adds a record to the open aggregate, to be sent by `deadline`. Returns true when a Kinesis
   * record became ready (the aggregate filled up).
   */
  add(record: PendingRecord, deadline: number): boolean {
    const finished = this.aggregator.add(record);
    let produced = false;
    if (finished) {
      this.pushReady(finished, this.aggregateDeadline);
      this.aggregateDeadline = deadline;
      produced = true;
    } else if (deadline < this.aggregateDeadline) this.aggregateDeadline = deadline;
    if (record.expiresAt < this.openMinExpiry) this.openMinExpiry = record.expiresAt;
    if (record.expiresAt < this.minExpiry) this.minExpiry = record.expiresAt;
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
    this.pushReady(finished, this.aggregateDeadline);
    this.aggregateDeadline = Infinity;
    return true;
  }

  /** Earliest expiry of what is held now (exact, unlike {@link minExpiry}). */
  private exactMinExpiry(): number {
    let min = this.aggregator.count > 0 ? this.openMinExpiry : Infinity;
    for (let i = this.readyHead; i < this.ready.length; i++) min = Math.min(min, this.ready[i]!.minExpiry);
    return min;
  }

  peekReady(): OutboundRecord | undefined {
    return this.ready[this.readyHead];
  }

  shiftReady(): OutboundRecord | undefined {
    const o = this.ready[this.readyHead];
    if (o === undefined) return undefined;
    this.ready[this.readyHead++] = undefined as unknown as OutboundRecord;
    if (this.readyHead === this.ready.length) {
      this.ready = [];
      this.readyHead = 0;
      if (this.aggregator.count === 0) this.minExpiry = Infinity;
    } else if (this.readyHead > 256 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
    return o;
  }

  /** Removes and returns every held user record, oldest first (ready ones, then the open aggregate). */
  takeAll(): PendingRecord[] {
    const out: PendingRecord[] = [];
    for (let i = this.readyHead; i < this.ready.length; i++) for (const r of this.ready[i]!.record.userRecords) out.push(r);
    this.ready = [];
    this.readyHead = 0;
    const open = this.aggregator.flush();
    if (open) for (const r of open.userRecords) out.push(r);
    this.aggregateDeadline = Infinity;
    this.minExpiry = Infinity;
    this.openMinExpiry = Infinity;
    return out;
  }

  /**
   * Puts `records` ahead of everything held (ordered mode retries) and re-aggregates the lot, in
   * order, to be sent by `deadline`.
   */
  requeueFront(records: readonly PendingRecord[], deadline: number): void {
    const rest = this.takeAll();
    for (const r of records) this.add(r, deadline);
    for (const r of rest) this.add(r, deadline);
  }

  /**
   * Removes records whose TTL ran out (passing each to `expire`) and re-aggregates the others in
   * order. Cheap to call: returns at once unless something may have expired.
   */
  expire(nowMs: number, expire: (record: PendingRecord) => void, deadline: number): void {
    if (this.minExpiry > nowMs) return;
    this.minExpiry = this.exactMinExpiry();
    if (this.minExpiry > nowMs) return;
    const all = this.takeAll();
    for (const r of all) {
      if (r.expiresAt <= nowMs) expire(r);
      else this.add(r, deadline);
    }
  }

  private pushReady(record: KinesisRecord<PendingRecord>, deadline: number): void {
    this.ready.push({ record, queue: this, deadline, minExpiry: this.openMinExpiry });
    this.openMinExpiry = Infinity;
  }
}
