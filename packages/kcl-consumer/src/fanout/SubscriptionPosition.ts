import type { StartingPosition as SdkStartingPosition } from '@aws-sdk/client-kinesis';
import type { ExtendedSequenceNumber } from '@shardline/core';
import { type ResolvedStartingPosition, resolveStartingPosition, type StartingPosition } from '@shardline/kinesis-poller';
import { isPastFloor } from '@shardline/kinesis-poller/internal';

type Floor = { readonly position: ExtendedSequenceNumber; readonly exclusive: boolean };
type Readable = Exclude<ResolvedStartingPosition, { type: 'SHARD_END' }>;

/**
 * Where each SubscribeToShard of one shard starts, and which user records of the first events are
 * already processed. No I/O: the retriever asks it before every subscription and tells it every
 * event's `ContinuationSequenceNumber`.
 *
 * - The first subscription starts from the target's position, resolved exactly as the polling
 *   reader resolves it: a checkpoint (an {@link ExtendedSequenceNumber}) becomes
 *   `AT_SEQUENCE_NUMBER` plus a floor, so that a checkpoint inside a KPL aggregate re-reads that
 *   aggregate and skips its sub-records up to the checkpoint's sub-sequence number.
 * - Later ones start `AFTER_SEQUENCE_NUMBER` the last continuation sequence number (the KCL's
 *   rule), which tracks progress even through events without records.
 * - A `LATEST` subscription that ended before its first event restarts `AT_TIMESTAMP` of that
 *   first subscription, so that records put in between are not skipped.
 * @internal
 */
export class SubscriptionPosition {
  /** The target is a shard already read to its end (checkpoint `SHARD_END`): nothing to subscribe to. */
  readonly atShardEnd: boolean;
  private readonly initial: Readable | undefined;
  private floor: Floor | undefined;
  private continuation: string | undefined;
  private latestSince: number | undefined;

  constructor(start: StartingPosition, path = 'startingPosition') {
    const resolved = resolveStartingPosition(start, path);
    this.atShardEnd = resolved.type === 'SHARD_END';
    this.initial = resolved.type === 'SHARD_END' ? undefined : resolved;
    this.floor = resolved.type === 'AT_SEQUENCE_NUMBER' || resolved.type === 'AFTER_SEQUENCE_NUMBER' ? resolved.floor : undefined;
  }

  /** The last continuation sequence number received, if any. */
  get continuationSequenceNumber(): string | undefined {
    return this.continuation;
  }

  /** The `StartingPosition` of the next SubscribeToShard; `nowMs` is the wall clock, kept when it is a `LATEST` one. */
  next(nowMs: number): SdkStartingPosition {
    if (this.continuation !== undefined) return { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: this.continuation };
    if (this.latestSince !== undefined) return { Type: 'AT_TIMESTAMP', Timestamp: new Date(this.latestSince) };
    const p = this.initial;
    if (p === undefined) throw new Error('SubscriptionPosition.next: the shard is at SHARD_END');
    switch (p.type) {
      case 'LATEST':
        this.latestSince = nowMs;
        return { Type: 'LATEST' };
      case 'TRIM_HORIZON':
        return { Type: 'TRIM_HORIZON' };
      case 'AT_TIMESTAMP':
        return { Type: 'AT_TIMESTAMP', Timestamp: p.timestamp };
      default:
        return { Type: p.type, SequenceNumber: p.sequenceNumber };
    }
  }

  /** Records an event's continuation sequence number (null at shard end is not recorded). */
  advance(continuationSequenceNumber: string | null | undefined): void {
    if (continuationSequenceNumber) this.continuation = continuationSequenceNumber;
  }

  /**
   * Whether the user record `(sequenceNumber, subSequenceNumber)` is to be delivered: false for
   * records at or before the resume position. Records come in order: once one passes, the floor
   * is dropped and every later record passes.
   */
  accepts(sequenceNumber: string, subSequenceNumber: number): boolean {
    const floor = this.floor;
    if (!floor) return true;
    const past = isPastFloor(sequenceNumber, subSequenceNumber, floor);
    if (past) this.floor = undefined;
    return past;
  }
}
