import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type KinesisClient, PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, MAX_HASH_KEY } from '@shardline/core';
import { createStream, injectFaults, listAllShards, mergeShards, splitShard, startKinesisLocal, uniqueName, useEmulators, waitFor, waitForStreamActive } from '@shardline/testkit';
import { FilePositionStore, Poller } from '../src';
import { Collector, putRecords, splitStream } from './helpers';

/** For every shard with parents: its first delivery comes after the last delivery of each parent. */
async function expectParentsBeforeChildren(kinesis: KinesisClient, streamName: string, got: Collector): Promise<number> {
  const shards = await listAllShards(kinesis, streamName);
  const firstAt = new Map<string, number>();
  const lastAt = new Map<string, number>();
  got.order.forEach((o, i) => {
    if (!firstAt.has(o.shardId)) firstAt.set(o.shardId, i);
    lastAt.set(o.shardId, i);
  });
  let checked = 0;
  for (const s of shards) {
    for (const parent of [s.ParentShardId, s.AdjacentParentShardId]) {
      if (!parent || !firstAt.has(s.ShardId!) || !lastAt.has(parent)) continue;
      expect(firstAt.get(s.ShardId!)!).toBeGreaterThan(lastAt.get(parent)!);
      checked++;
    }
  }
  return checked;
}

describe('resharding while reading (kinesalite: no ChildShards, children found with ListShards)', () => {
  const env = useEmulators({ dynamodb: false });
  let kinesis: KinesisClient;
  let dir: string;
  beforeAll(() => {
    kinesis = env.kinesis;
    dir = mkdtempSync(path.join(tmpdir(), 'poller-reshard-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every record of the parents before any record of their children, across a split and a merge', async () => {
    const streamName = uniqueName('reshard');
    await createStream(kinesis, streamName, 2);
    const puts = await putRecords(kinesis, streamName, 1_500, 'a');
    const got = new Collector();
    const file = path.join(dir, 'positions.json');
    const poller = new Poller({ client: kinesis, streamName, limit: 100, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0, store: new FilePositionStore(file) });
    const running = poller.run(async (batch) => {
      got.add(batch);
      // Slow enough that the parents are still being read when they are split and merged.
      await new Promise((r) => setTimeout(r, 5));
    });
    await waitFor(() => got.count > 100, 30_000, 'reading to start');
    await splitShard(kinesis, streamName, 'shardId-000000000000');
    puts.push(...(await putRecords(kinesis, streamName, 1_500, 'b')));
    // shardId-000000000003 is the upper half of shard 0, adjacent to shard 1.
    await mergeShards(kinesis, streamName, 'shardId-000000000003', 'shardId-000000000001');
    puts.push(...(await putRecords(kinesis, streamName, 1_500, 'c')));
    expect(got.count).toBeLessThan(puts.length);

    await waitFor(() => got.count >= puts.length, 60_000, 'every record');
    await poller.stop();
    await running;
    expect(got.count).toBe(puts.length);
    expect(new Set(got.ids()).size).toBe(puts.length);
    // 2 and 3 after 0; 4 after 3 and after 1.
    expect(await expectParentsBeforeChildren(kinesis, streamName, got)).toBe(4);
    expect(poller.shardStates.get('shardId-000000000000')).toBe('finished');
    expect(poller.shardStates.get('shardId-000000000001')).toBe('finished');
    expect(poller.shardStates.get('shardId-000000000003')).toBe('finished');

    // The ended shards are stored as SHARD_END: a restart reads nothing of them again.
    const again = new Collector();
    const restarted = new Poller({ client: kinesis, streamName, limit: 100, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0, store: new FilePositionStore(file) });
    const rerun = restarted.run((batch) => again.add(batch));
    await waitFor(() => restarted.state === 'running', 10_000, 'restart');
    await new Promise((r) => setTimeout(r, 500));
    await restarted.stop();
    await rerun;
    expect(again.count).toBe(0);
    expect(restarted.shardStates.get('shardId-000000000000')).toBe('finished');
    expect(restarted.shardStates.get('shardId-000000000004')).toBe('stopped');
  });

  it('reads a chosen shard, then its children after it', async () => {
    const { streamName, parent, puts } = await splitStream(kinesis, 300, 300);
    const got = new Collector();
    // Only the parent and its descendants; the children stay open, so stop once they are read.
    const poller = new Poller({ client: kinesis, streamName, shardIds: [parent], idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0 });
    const running = poller.run((batch) => got.add(batch));
    await waitFor(() => got.count >= puts.length, 30_000, 'every record');
    await poller.stop();
    await running;
    expect(await expectParentsBeforeChildren(kinesis, streamName, got)).toBe(2);
    expect(got.batches.filter((b) => b.shardEnded).map((b) => b.shardId)).toEqual([parent]);
  });

  it('with followChildShards false, reads only the chosen shard, and stops by itself at its end (shardSyncIntervalMs 0)', async () => {
    const { streamName, parent } = await splitStream(kinesis, 200, 200);
    const got = new Collector();
    const poller = new Poller({ client: kinesis, streamName, shardIds: [parent], followChildShards: false, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0 });
    await poller.run((batch) => got.add(batch));
    expect(got.count).toBe(200);
    expect([...poller.shardStates.keys()]).toEqual([parent]);
  });
});

describe('resharding on kinesis-local (ChildShards reported by GetRecords)', () => {
  it('follows ChildShards at shard end without listing shards again', async () => {
    const local = await startKinesisLocal();
    const kinesis = createKinesisClient({ endpoint: local.endpoint, env: {}, maxAttempts: 1 });
    try {
      const { streamName, parent, puts } = await splitStream(kinesis, 100, 100);
      const faults = injectFaults(kinesis, {});
      const got = new Collector();
      const poller = new Poller({ client: kinesis, streamName, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0 });
      const running = poller.run((batch) => got.add(batch));
      await waitFor(() => got.count >= puts.length, 60_000, 'every record');
      await poller.stop();
      await running;
      faults.remove();
      expect(new Set(got.ids()).size).toBe(puts.length);
      const end = got.batches.find((b) => b.shardEnded)!;
      expect(end.shardId).toBe(parent);
      expect(end.childShards?.map((c) => c.shardId).sort()).toHaveLength(2);
      expect(end.childShards?.[0]?.parentShardIds).toEqual([parent]);
      expect(faults.calls.get('ListShardsCommand')).toBe(1);
      expect(await expectParentsBeforeChildren(kinesis, streamName, got)).toBe(2);
    } finally {
      kinesis.destroy();
      await local.stop();
    }
  });

  it('a merge child reported by ChildShards waits for a parent the poller has not discovered yet', async () => {
    const local = await startKinesisLocal();
    const kinesis = createKinesisClient({ endpoint: local.endpoint, env: {}, maxAttempts: 1 });
    const put = async (hashKey: bigint, ids: string[]): Promise<void> => {
      await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: ids.map((id) => ({ PartitionKey: id, ExplicitHashKey: hashKey.toString(), Data: Buffer.from(id) })) }));
    };
    const ids = (prefix: string): string[] => Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
    const streamName = uniqueName('merge-late');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let poller: Poller | undefined;
    try {
      // s0 = [0, half), s1 = [half, max]. s0 splits into b0, b1; b1 merges with s1 into c.
      await createStream(kinesis, streamName, 2);
      const half = (MAX_HASH_KEY + 1n) / 2n;
      const [s0, s1] = ['shardId-000000000000', 'shardId-000000000001'];
      await put(1n, ids('s0'));
      await put(half + 1n, ids('s1'));
      const got = new Collector();
      poller = new Poller({ client: kinesis, streamName, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0 });
      const running = poller.run(async (batch) => {
        // s0 is slow: its first batch is held until the test lets go.
        if (batch.shardId === s0) await gate;
        got.add(batch);
      });
      await waitFor(() => got.byShard.get(s1)?.length === 10, 60_000, 's1 records');
      await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: s0, NewStartingHashKey: (half / 2n).toString() }));
      await waitForStreamActive(kinesis, streamName);
      const b1 = (await listAllShards(kinesis, streamName)).find((s) => s.ParentShardId === s0 && BigInt(s.HashKeyRange!.StartingHashKey!) === half / 2n)!.ShardId!;
      await put(half / 2n + 1n, ids('b1'));
      await mergeShards(kinesis, streamName, b1, s1);
      await put(half / 2n + 1n, ids('c'));
      await put(half + 1n, ids('c2'));
      // s1 ends and reports c; c must keep waiting for b1, which waits for s0.
      await waitFor(() => poller!.shardStates.get(s1) === 'finished' && poller!.shardStates.size >= 3, 60_000, 's1 finished');
      await new Promise((r) => setTimeout(r, 1_500));
      release();
      await waitFor(() => got.count >= 50, 60_000, 'every record');
      await poller.stop();
      await running;
      expect(new Set(got.ids()).size).toBe(50);
      expect(await expectParentsBeforeChildren(kinesis, streamName, got)).toBeGreaterThanOrEqual(3);
    } finally {
      release();
      await poller?.stop();
      kinesis.destroy();
      await local.stop();
    }
  });
});
