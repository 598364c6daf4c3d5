import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ShardMap, type StreamRef } from '@shardline/kpl-aggregation';

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

/** A source that reads the stream's open shards with ListShards (paged). @public */
export function kinesisShardMapSource(client: KinesisClient, stream: StreamRef): ShardMapSource {
  return { load: () => ShardMap.fromStream(client, stream) };
}

/** A source that always returns the same map: for a stream whose shards never change, tests and benchmarks. @public */
export function staticShardMapSource(map: ShardMap): ShardMapSource {
  return { load: async () => map };
}
