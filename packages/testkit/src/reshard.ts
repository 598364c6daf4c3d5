import { type KinesisClient, MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { listAllShards, waitForStreamActive } from './streams';

/** Splits a shard at the middle of its hash-key range and waits until the stream is ACTIVE again. */
export async function splitShard(client: KinesisClient, streamName: string, shardId: string): Promise<void> {
  const shard = (await listAllShards(client, streamName)).find((s) => s.ShardId === shardId);
  if (!shard?.HashKeyRange?.StartingHashKey || !shard.HashKeyRange.EndingHashKey) throw new Error(`stream ${streamName} has no shard ${shardId} with a hash-key range`);
  const middle = (BigInt(shard.HashKeyRange.StartingHashKey) + BigInt(shard.HashKeyRange.EndingHashKey)) / 2n;
  await client.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: shardId, NewStartingHashKey: middle.toString() }));
  await waitForStreamActive(client, streamName);
}

/** Merges two adjacent shards and waits until the stream is ACTIVE again. */
export async function mergeShards(client: KinesisClient, streamName: string, shardId: string, adjacentShardId: string): Promise<void> {
  await client.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId }));
  await waitForStreamActive(client, streamName);
}
