import { type HashKeyRange, parseHashKeyRange } from './HashKeyRange';

/** One shard of a stream, as a shard map and a reader see it. @public */
export interface ShardInfo {
  readonly shardId: string;
  readonly range: HashKeyRange;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
  /** False for a shard that has ended (has an EndingSequenceNumber). */
  readonly open: boolean;
}

/** Which stream to use: by name or by ARN. @public */
export type StreamRef = { readonly streamName: string; readonly streamArn?: undefined } | { readonly streamArn: string; readonly streamName?: undefined };

/**
 * The fields of the SDK's Kinesis `Shard` that Shardline reads, declared here so that code taking
 * shards needs no AWS SDK (any version's `Shard` fits).
 * @public
 */
export interface SdkShard {
  readonly ShardId?: string | undefined;
  readonly ParentShardId?: string | undefined;
  readonly AdjacentParentShardId?: string | undefined;
  readonly HashKeyRange?: { readonly StartingHashKey?: string | undefined; readonly EndingHashKey?: string | undefined } | undefined;
  readonly SequenceNumberRange?: { readonly StartingSequenceNumber?: string | undefined; readonly EndingSequenceNumber?: string | undefined } | undefined;
}

/** A {@link ShardInfo} from an SDK `Shard` (ListShards, DescribeStream); throws on a malformed range. @public */
export function shardInfoFromSdk(shard: SdkShard): ShardInfo {
  return {
    shardId: shard.ShardId!,
    range: parseHashKeyRange(shard.HashKeyRange, `shard ${shard.ShardId} HashKeyRange`),
    ...(shard.ParentShardId ? { parentShardId: shard.ParentShardId } : {}),
    ...(shard.AdjacentParentShardId ? { adjacentParentShardId: shard.AdjacentParentShardId } : {}),
    open: !shard.SequenceNumberRange?.EndingSequenceNumber,
  };
}
