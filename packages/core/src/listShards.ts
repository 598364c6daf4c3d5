import type { KinesisClient, ListShardsCommandInput } from '@aws-sdk/client-kinesis';
import { classifyAwsError } from './classifyAwsError';
import { loadPeerDependency } from './peerDependency';
import { type ShardInfo, shardInfoFromSdk, type StreamRef } from './ShardInfo';

/**
 * Every shard of a stream (open and closed) from ListShards, across pages, sent with the
 * caller's client (and the command class of the same `@aws-sdk/client-kinesis`, the application's
 * peer dependency). Asks for open shards only when `openOnly` (ShardFilter AT_LATEST), and
 * filters closed ones itself too, because kinesalite ignores ShardFilter. Errors are
 * {@link classifyAwsError}'s.
 * @public
 */
export async function listShards(client: KinesisClient, stream: StreamRef, openOnly = false): Promise<ShardInfo[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ListShardsCommand } = loadPeerDependency(() => require('@aws-sdk/client-kinesis') as typeof import('@aws-sdk/client-kinesis'), '@aws-sdk/client-kinesis', 'listShards');
  const shards: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    const input: ListShardsCommandInput = nextToken
      ? { NextToken: nextToken, MaxResults: 1000 }
      : { ...(stream.streamArn ? { StreamARN: stream.streamArn } : { StreamName: stream.streamName }), MaxResults: 1000, ...(openOnly ? { ShardFilter: { Type: 'AT_LATEST' } } : {}) };
    let out;
    try {
      out = await client.send(new ListShardsCommand(input));
    } catch (error) {
      throw classifyAwsError(error);
    }
    for (const s of out.Shards ?? []) shards.push(shardInfoFromSdk(s));
    nextToken = out.NextToken;
  } while (nextToken);
  return openOnly ? shards.filter((s) => s.open) : shards;
}
