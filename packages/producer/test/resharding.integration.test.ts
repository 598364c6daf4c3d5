import { type KinesisClient, MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createNoopLogger, MemoryMetrics } from '@shardline/core';
import { ShardMap } from '@shardline/kpl-aggregation';
import { createStream, uniqueName, waitForStreamActive } from '@shardline/testkit';
import { Producer, type PutResult } from '../src';
import { useKinesalite } from './kinesalite';
import { readAllShards, userRecords } from './readStream';

async function split(kinesis: KinesisClient, streamName: string, shardIndex: number): Promise<void> {
  const map = await ShardMap.fromStream(kinesis, { streamName });
  const s = map.shards[shardIndex]!;
  const mid = (s.range.startingHashKey + s.range.endingHashKey) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: s.shardId, NewStartingHashKey: mid.toString() }));
  await waitForStreamActive(kinesis, streamName);
}

async function mergeFirstTwo(kinesis: KinesisClient, streamName: string): Promise<void> {
  const map = await ShardMap.fromStream(kinesis, { streamName });
  const [a, b] = map.shards;
  await kinesis.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: a!.shardId, AdjacentShardToMerge: b!.shardId }));
  await waitForStreamActive(kinesis, streamName);
}

describe('Producer during resharding (kinesalite)', () => {
  const k = useKinesalite();

  it.each([false, true])('loses nothing through a split and a merge while producing (ordered: %s)', async (ordered) => {
    const streamName = uniqueName('reshard');
    await createStream(k.kinesis, streamName, 2);
    const metrics = new MemoryMetrics();
    const producer = new Producer({ streamName, client: k.kinesis, logger: createNoopLogger(), metrics, ordered, maxBufferedTimeMs: 50 });
    await producer.start();
    const puts = new Map<string, Promise<PutResult>>();
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop || i < 3000; i++) {
        // Keys repeat, so that ordered mode has an order to keep across the reshards.
        puts.set(String(i), producer.put(String(i), `user-${i % 700}`));
        // Keep records flowing across the reshards rather than all at once.
        if (i % 200 === 199) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    await split(k.kinesis, streamName, 0);
    await new Promise((r) => setTimeout(r, 300));
    await mergeFirstTwo(k.kinesis, streamName);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await writer;
    const results = new Map<string, PutResult>();
    for (const [key, p] of puts) results.set(key, await p);
    await producer.close();

    const shards = await readAllShards(k.kinesis, streamName);
    expect(shards.length).toBe(5);
    const read = userRecords(shards);
    // A KCL consumer reads a user record only from a shard owning its hash key: exactly one such copy each.
    const owned = new Map<string, { count: number; at: string }>();
    for (const u of read) {
      if (!u.owned) continue;
      const id = u.data.toString();
      const seen = owned.get(id);
      owned.set(id, { count: (seen?.count ?? 0) + 1, at: `${u.shardId}/${u.sequenceNumber}/${u.subSequenceNumber}` });
    }
    const mismatches: string[] = [];
    for (const [id, r] of results) {
      const copy = owned.get(id);
      if (copy?.count !== 1) mismatches.push(`record ${id}: ${copy?.count ?? 0} owned copies`);
      else if (copy.at !== `${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber}`) mismatches.push(`record ${id}: read at ${copy.at}, put resolved with ${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(read.filter((u) => u.owned).length).toBe(results.size);
    if (ordered) {
      // A consumer reads parents before children (kinesalite numbers children after parents), each shard in sequence order.
      const readOrder = read
        .filter((u) => u.owned)
        .sort((a, b) => a.shardId.localeCompare(b.shardId) || (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : BigInt(a.sequenceNumber) > BigInt(b.sequenceNumber) ? 1 : a.subSequenceNumber - b.subSequenceNumber));
      const last = new Map<string, number>();
      const outOfOrder: string[] = [];
      for (const u of readOrder) {
        const i = Number(u.data.toString());
        if (i < (last.get(u.partitionKey) ?? -1)) outOfOrder.push(`${u.partitionKey}: ${i} after ${last.get(u.partitionKey)}`);
        last.set(u.partitionKey, i);
      }
      expect(outOfOrder.slice(0, 10)).toEqual([]);
    }
    expect(metrics.value('producer_shard_map_refreshes_total', { outcome: 'success' })).toBeGreaterThan(1);
    // Aggregates built for the parent that landed on one child carried records of the other child.
    expect(metrics.value('producer_mispredictions_total')).toBeGreaterThan(0);
  });
});
