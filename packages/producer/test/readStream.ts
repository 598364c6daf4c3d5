import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record } from '@aws-sdk/client-kinesis';
import { type HashKeyRange, parseHashKeyRange, partitionKeyToHashKey, rangeContains } from '@shardline/core';
import { Deaggregator, type DeaggregatedRecord } from '@shardline/kpl-aggregation';
import { listAllShards } from '@shardline/testkit';

/** One shard's contents, read from TRIM_HORIZON to its end (closed) or to the tip (open). */
export interface ShardContents {
  readonly shardId: string;
  readonly range: HashKeyRange;
  readonly records: _Record[];
}

/** Reads every shard of the stream, closed parents included. */
export async function readAllShards(client: KinesisClient, streamName: string): Promise<ShardContents[]> {
  const out: ShardContents[] = [];
  for (const shard of await listAllShards(client, streamName)) {
    const records: _Record[] = [];
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      records.push(...(page.Records ?? []));
      iterator = page.NextShardIterator;
      if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
    }
    out.push({ shardId: shard.ShardId!, range: parseHashKeyRange(shard.HashKeyRange), records });
  }
  return out;
}

/** A user record as a KCL consumer of its shard would see it. */
export interface ReadRecord extends DeaggregatedRecord {
  readonly shardId: string;
  /** Whether the shard owns the record's hash key (KCL drops records it does not own). */
  readonly owned: boolean;
}

/** Deaggregates everything read, marking which user records their shard owns. */
export function userRecords(shards: readonly ShardContents[]): ReadRecord[] {
  const out: ReadRecord[] = [];
  for (const s of shards) {
    const d = new Deaggregator({ shardRange: s.range, outOfRange: 'report' });
    for (const u of d.deaggregateAll(s.records)) {
      const h = u.explicitHashKey ? BigInt(u.explicitHashKey) : partitionKeyToHashKey(u.partitionKey);
      out.push({ ...u, shardId: s.shardId, owned: rangeContains(s.range, h) });
    }
  }
  return out;
}
