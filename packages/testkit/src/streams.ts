import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient, ListShardsCommand, type Shard } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';

/** A name no other test in this run uses: `<prefix>-<random hex>`. */
export function uniqueName(prefix = 'test'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** Waits until the stream is ACTIVE (after create, split or merge). */
export async function waitForStreamActive(client: KinesisClient, streamName: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
      if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    if (Date.now() > deadline) throw new Error(`stream ${streamName} not ACTIVE after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Creates a provisioned stream with `shardCount` shards and waits until it is ACTIVE. */
export async function createStream(client: KinesisClient, streamName: string, shardCount = 1): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  await waitForStreamActive(client, streamName);
}

/** Every shard of the stream (open and closed), across pages. */
export async function listAllShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
    shards.push(...(out.Shards ?? []));
    token = out.NextToken;
  } while (token);
  return shards;
}
