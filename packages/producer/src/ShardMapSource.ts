import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { evenHashKeyRanges, listShards, type StreamRef } from '@shardline/core';
import { ShardMap } from '@shardline/kpl-aggregation';

/**
 * Where the producer learns a stream's shards. The default lists them with ListShards; tests and
 * benchmarks can give a fixed map, and a custom source can share one ListShards result between
 * producers.
 * @public
 */
export interface ShardMapSource {
  /** Loads the current open shards. May reject; the producer retries with backoff (1 s ×1.5 → 30 s). */
  load(): Promise<ShardMap>;
}

/**
 * A source that reads the stream's shards with ListShards (paged). It asks for every shard, closed
 * ones included (the map predicts with open shards only): a PutRecords result can name a shard
 * that was born and closed between two loads — a split child merged away again — and only its
 * range tells which records in an aggregate it really owns. Without it those records would be
 * retried, and written twice.
 * @public
 */
export function kinesisShardMapSource(client: KinesisClient, stream: StreamRef): ShardMapSource {
  return { load: async () => new ShardMap(await listShards(client, stream, false)) };
}

/**
 * A source that always returns the same map, for a stream whose shards never change (and where
 * ListShards is not allowed), tests and benchmarks. Given a number `n`, it fabricates the shards
 * of a stream created with `n` shards: `shardId-000000000000`… with even hash-key ranges
 * (a8m/kinesis-producer's `StaticGetShardsFunc`).
 * @public
 */
export function staticShardMapSource(mapOrShardCount: ShardMap | number): ShardMapSource {
  const map =
    typeof mapOrShardCount === 'number'
      ? new ShardMap(evenHashKeyRanges(mapOrShardCount).map((range, i) => ({ shardId: `shardId-${String(i).padStart(12, '0')}`, range, open: true })))
      : mapOrShardCount;
  return { load: async () => map };
}
