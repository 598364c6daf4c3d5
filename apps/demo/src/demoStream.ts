/** The demo's stream and lease table: create, split a shard, delete. */
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DeleteStreamCommand, type KinesisClient, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { listAllShards, waitForStreamActive } from '@shardline/testkit';

/** Stream operations take seconds on AWS, none on the emulators. */
const ACTIVE_TIMEOUT_MS = 180_000;

export async function createDemoStream(kinesis: KinesisClient, streamName: string, shards: number): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  await waitForStreamActive(kinesis, streamName, ACTIVE_TIMEOUT_MS);
}

/** Splits the open shard with the widest hash-key range in two halves; returns it and its children. */
export async function splitWidestShard(kinesis: KinesisClient, streamName: string): Promise<{ parent: string; children: string[] }> {
  const open = (await listAllShards(kinesis, streamName)).filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
  const width = (s: (typeof open)[number]): bigint => BigInt(s.HashKeyRange!.EndingHashKey!) - BigInt(s.HashKeyRange!.StartingHashKey!);
  const target = open.sort((a, b) => (width(b) > width(a) ? 1 : width(b) < width(a) ? -1 : 0))[0]!;
  const start = BigInt(target.HashKeyRange!.StartingHashKey!);
  const middle = (start + BigInt(target.HashKeyRange!.EndingHashKey!) + 1n) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: target.ShardId!, NewStartingHashKey: middle.toString() }));
  await waitForStreamActive(kinesis, streamName, ACTIVE_TIMEOUT_MS);
  const children = (await listAllShards(kinesis, streamName)).filter((s) => s.ParentShardId === target.ShardId && s.AdjacentParentShardId === undefined).map((s) => s.ShardId!);
  return { parent: target.ShardId!, children };
}

/** Deletes the stream and the lease table on the services given (external ones; emulators just stop). Returns what failed, in words. */
export async function deleteDemoResources(kinesis: KinesisClient | undefined, dynamo: DynamoDBClient | undefined, streamName: string, tableName: string): Promise<string[]> {
  const problems: string[] = [];
  await kinesis
    ?.send(new DeleteStreamCommand({ StreamName: streamName, EnforceConsumerDeletion: true }))
    .catch((e: Error) => problems.push(`could not delete stream ${streamName}: ${e.name}: ${e.message}`));
  await dynamo?.send(new DeleteTableCommand({ TableName: tableName })).catch((e: Error) => {
    if (e.name !== 'ResourceNotFoundException') problems.push(`could not delete table ${tableName}: ${e.name}: ${e.message}`);
  });
  return problems;
}
