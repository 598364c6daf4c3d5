import type { KinesisUpstream } from './kinesisHttp';
import { ShardTable } from './shardRouting';

interface ListShardsOutput {
  readonly Shards?: readonly { ShardId: string; HashKeyRange: { StartingHashKey: string; EndingHashKey: string }; SequenceNumberRange?: { EndingSequenceNumber?: string } }[];
  readonly NextToken?: string;
}

/**
 * The hash-key → shard map of each stream, loaded from the emulator with ListShards (once per
 * stream, shared by concurrent callers) and dropped when it may be stale: after a split, merge or
 * delete through the front, when a record's hash key has no open shard, or when the emulator put
 * a record on another shard than predicted (resharding done behind the front's back).
 */
export class ShardDirectory {
  private readonly tables = new Map<string, Promise<ShardTable | undefined>>();

  constructor(
    private readonly upstream: KinesisUpstream,
    private readonly onLoad: () => void = () => undefined,
  ) {}

  /** The stream's open shards; undefined when the stream cannot be listed (the emulator then answers the call itself). */
  get(streamName: string): Promise<ShardTable | undefined> {
    let table = this.tables.get(streamName);
    if (!table) {
      table = this.load(streamName);
      this.tables.set(streamName, table);
      // A failed load is not remembered: the stream may exist next time.
      void table.then((t) => t === undefined && this.tables.get(streamName) === table && this.tables.delete(streamName));
    }
    return table;
  }

  /** Forgets the stream's map; the next call loads it again. */
  invalidate(streamName: string): void {
    this.tables.delete(streamName);
  }

  private async load(streamName: string): Promise<ShardTable | undefined> {
    const open = [];
    let nextToken: string | undefined;
    this.onLoad();
    try {
      do {
        // kinesalite ignores paging and filters (one page of every shard); a paging emulator works too.
        const out: ListShardsOutput = await this.upstream.call('ListShards', nextToken ? { NextToken: nextToken } : { StreamName: streamName });
        for (const s of out.Shards ?? []) {
          if (s.SequenceNumberRange?.EndingSequenceNumber) continue;
          open.push({ shardId: s.ShardId, startingHashKey: BigInt(s.HashKeyRange.StartingHashKey), endingHashKey: BigInt(s.HashKeyRange.EndingHashKey) });
        }
        nextToken = out.NextToken;
      } while (nextToken);
    } catch {
      return undefined;
    }
    return new ShardTable(open);
  }
}
