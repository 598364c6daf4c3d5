import { Aggregator } from './Aggregator';
import { type AggregatorOptions, type ResolvedAggregatorOptions, resolveAggregatorOptions } from './resolveAggregatorOptions';
import type { ShardMap } from './ShardMap';
import type { KinesisRecord, UserRecord } from './UserRecord';
import { userRecordBytes } from './userRecordBytes';

/**
 * One {@link Aggregator} per predicted shard, so that no aggregate ever mixes records bound for
 * different shards (the data-loss bug of aws-kinesis-agg and a8m/kinesis-producer: a KCL consumer
 * drops such aggregates). A record whose hash key falls in a hole of the map is emitted raw at once,
 * as the KPL does when it has no prediction.
 * @public
 */
export class ShardAggregator<T extends UserRecord = UserRecord> {
  readonly options: ResolvedAggregatorOptions;
  private map: ShardMap;
  private aggregators: (Aggregator<T> | undefined)[] = [];
  /** For records in a hole of the map, which go out alone. */
  private readonly lone: Aggregator<T>;

  constructor(shardMap: ShardMap, options: AggregatorOptions = {}) {
    this.options = resolveAggregatorOptions(options);
    this.map = shardMap;
    this.lone = new Aggregator<T>(this.options);
  }

  /** The map records are predicted with. */
  get shardMap(): ShardMap {
    return this.map;
  }

  /** User records held across all shards. */
  get count(): number {
    let n = 0;
    for (const a of this.aggregators) if (a) n += a.count;
    return n;
  }

  /**
   * Replaces the shard map (after a reshard). Everything held was predicted with the old map, so it
   * is flushed and returned first.
   */
  setShardMap(shardMap: ShardMap): KinesisRecord<T>[] {
    const flushed = this.flushAll();
    this.map = shardMap;
    this.aggregators = [];
    return flushed;
  }

  /**
   * Adds a record to the aggregate of its predicted shard. Returns the Kinesis record finished to
   * make room (or the record itself, raw, when no shard is predicted), else undefined.
   */
  add(record: T): KinesisRecord<T> | undefined {
    // The aggregator checks the data; a record that is no object must not reach the prediction first.
    if (record === null || typeof record !== 'object') userRecordBytes(record);
    const index = this.map.indexForRecord(record.partitionKey, record.explicitHashKey);
    if (index < 0) {
      // Emitted raw at once: the shared aggregator validates and sizes it, and is empty again after.
      this.lone.add(record);
      return this.lone.flush();
    }
    let aggregator = this.aggregators[index];
    if (!aggregator) aggregator = this.aggregators[index] = new Aggregator<T>(this.options);
    const done = aggregator.add(record, this.map.lastPartitionKeyHash);
    return done && this.tag(done, index);
  }

  /** Bytes the aggregate of one shard would emit now. */
  sizeBytes(shardId: string): number {
    const index = this.map.shards.findIndex((s) => s.shardId === shardId);
    return this.aggregators[index]?.sizeBytes ?? 0;
  }

  /** Emits the aggregate of one shard, if any. */
  flush(shardId: string): KinesisRecord<T> | undefined {
    const index = this.map.shards.findIndex((s) => s.shardId === shardId);
    const done = this.aggregators[index]?.flush();
    return done && this.tag(done, index);
  }

  /** Emits every held aggregate. */
  flushAll(): KinesisRecord<T>[] {
    const out: KinesisRecord<T>[] = [];
    this.aggregators.forEach((a, index) => {
      const done = a?.flush();
      if (done) out.push(this.tag(done, index));
    });
    return out;
  }

  private tag(record: KinesisRecord<T>, index: number): KinesisRecord<T> {
    return { ...record, predictedShardId: this.map.shards[index]!.shardId };
  }
}
