import type { ExtendedSequenceNumber, HashKeyRange } from '@shardline/core';
import type { DeaggregatedRecord } from '@shardline/kpl-aggregation';

/** A shard created from a shard that ended (split, merge or UpdateShardCount). @public */
export interface ChildShard {
  readonly shardId: string;
  /** Both parents for a merge, one for a split. */
  readonly parentShardIds: readonly string[];
  /** Its hash-key range, when the service reported one. */
  readonly range: HashKeyRange | undefined;
}

/**
 * The user records of one GetRecords call on one shard, in sequence order. A batch is "handled"
 * when the handler returns (or, with the async iterator, when the next batch is requested); the
 * next GetRecords for the shard waits for that unless prefetch is enabled.
 * @public
 */
export interface ShardBatch {
  readonly shardId: string;
  /**
   * User records, KPL aggregates expanded (each with its `subSequenceNumber`), records at or below
   * the resume position removed. Empty only for a shard-end batch (or with `deliverEmptyBatches`).
   */
  readonly records: readonly DeaggregatedRecord[];
  /** How far the shard's tip is ahead of this batch, in milliseconds, as Kinesis reported it. */
  readonly millisBehindLatest: number | undefined;
  /** True for the last batch of a closed shard: nothing follows, children may start. */
  readonly shardEnded: boolean;
  /** At shard end: the children GetRecords reported (AWS, kinesis-mock); undefined when it did not (kinesalite). */
  readonly childShards: readonly ChildShard[] | undefined;
  /**
   * The position to store once this batch is handled: `SHARD_END` for a shard-end batch, else the
   * last record's extended sequence number (or the previous one's, for an empty batch); undefined
   * while nothing has been delivered.
   */
  readonly lastPosition: ExtendedSequenceNumber | undefined;
}
