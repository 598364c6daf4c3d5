import { createKinesisClient, createNoopLogger, MemoryMetrics } from '@shardline/core';
import { createStream, injectFaults, listAllShards, mergeShards, splitShard, uniqueName, waitFor } from '@shardline/testkit';
import { Producer, type PutResult } from '../src';
import { useKinesalite } from './kinesalite';
import { readAllShards, userRecords } from './readStream';

/** The ids of the stream's open shards, in hash-key order. */
async function openShards(k: ReturnType<typeof useKinesalite>, streamName: string): Promise<string[]> {
  const shards = (await listAllShards(k.kinesis, streamName)).filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber);
  shards.sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
  return shards.map((s) => s.ShardId!);
}

describe('Producer during resharding (kinesalite)', () => {
  const k = useKinesalite();

  it.each([false, true])('loses nothing through a split and a merge while producing (ordered: %s)', async (ordered) => {
    const streamName = uniqueName('reshard');
    await createStream(k.kinesis, streamName, 2);
    const metrics = new MemoryMetrics();
    // The producer's own client (no SDK retries), so that holding its calls does not hold the test's.
    const client = createKinesisClient({ env: k.emulators.env, maxAttempts: 1 });
    // Every PutRecords sent before the split is ACTIVE waits for it: the aggregates built for the
    // parent then land on its children, whatever the machine's speed.
    let splitDone!: () => void;
    const splitActive = new Promise<void>((r) => (splitDone = r));
    let split = false;
    let firstCallSent!: () => void;
    const firstCall = new Promise<void>((r) => (firstCallSent = r));
    injectFaults(client, {
      before: async (ctx) => {
        if (ctx.commandName !== 'PutRecordsCommand' || split) return;
        firstCallSent();
        await splitActive;
      },
    });
    const producer = new Producer({ streamName, client, logger: createNoopLogger(), metrics, ordered, maxBufferedTimeMs: 50 });
    await producer.start();
    const puts = new Map<string, Promise<PutResult>>();
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop || i < 3000; i++) {
        // Keys repeat, so that ordered mode has an order to keep across the reshards.
        puts.set(String(i), producer.put(String(i), `user-${i % 700}`));
        // Keep records flowing across the reshards rather than all at once, and never more than
        // the buffer holds while calls are held (backpressure by count, not by time).
        if (i % 200 === 199) {
          await new Promise((r) => setImmediate(r));
          if (producer.outstanding > 5_000) await waitFor(() => producer.outstanding <= 2_000 || stop, 60_000, 'buffered records to drain', 5);
        }
      }
    })();
    const written = (): number => metrics.value('producer_user_records_put_total');
    await firstCall;
    const [parent] = await openShards(k, streamName);
    await splitShard(k.kinesis, streamName, parent!);
    split = true;
    splitDone();
    // The held aggregates landed on the children: the producer saw the mispredictions and loaded the new map.
    await waitFor(
      () => metrics.value('producer_mispredictions_total') > 0 && metrics.value('producer_shard_map_refreshes_total', { outcome: 'success' }) > 1,
      60_000,
      'mispredictions after the split',
    );
    const [first, second] = await openShards(k, streamName);
    await mergeShards(k.kinesis, streamName, first!, second!);
    // Records keep flowing after the merge before the writer stops.
    const writtenAtMerge = written();
    await waitFor(() => written() >= writtenAtMerge + 500, 60_000, 'records written after the merge');
    stop = true;
    await writer;
    const results = new Map<string, PutResult>();
    for (const [key, p] of puts) results.set(key, await p);
    await producer.close();
    client.destroy();

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
      else if (copy.at !== `${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber}`)
        mismatches.push(`record ${id}: read at ${copy.at}, put resolved with ${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(read.filter((u) => u.owned).length).toBe(results.size);
    if (ordered) {
      // A consumer reads parents before children (kinesalite numbers children after parents), each shard in sequence order.
      const readOrder = read
        .filter((u) => u.owned)
        .sort(
          (a, b) =>
            a.shardId.localeCompare(b.shardId) ||
            (BigInt(a.sequenceNumber) < BigInt(b.sequenceNumber) ? -1 : BigInt(a.sequenceNumber) > BigInt(b.sequenceNumber) ? 1 : a.subSequenceNumber - b.subSequenceNumber),
        );
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
