import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, PutRecordsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, listShards } from '@shardline/core';
import { createStream, type Emulators, startEmulators, startKinesisLocal, uniqueName, waitForStreamActive } from '@shardline/testkit';
import { Deaggregator, type KinesisRecord, ShardAggregator, ShardMap, type UserRecord } from '../src';

async function splitFirstShard(kinesis: KinesisClient, streamName: string, map: ShardMap): Promise<void> {
  const s = map.shards[0]!;
  const mid = (s.range.startingHashKey + s.range.endingHashKey) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: s.shardId, NewStartingHashKey: mid.toString() }));
  await waitForStreamActive(kinesis, streamName);
}

async function readShard(kinesis: KinesisClient, streamName: string, shardId: string) {
  const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  return (await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator, Limit: 10_000 }))).Records ?? [];
}

describe('ShardMap and ShardAggregator against kinesalite', () => {
  let emulators: Emulators;
  let kinesis: KinesisClient;
  beforeAll(async () => {
    emulators = await startEmulators({ dynamodb: false });
    kinesis = createKinesisClient({ env: emulators.env });
  });
  afterAll(async () => {
    kinesis.destroy();
    await emulators.stop();
  });

  it('predicts the shard Kinesis picks, and keeps only open shards after a split', async () => {
    const streamName = uniqueName('kpl');
    await createStream(kinesis, streamName, 4);
    await splitFirstShard(kinesis, streamName, new ShardMap(await listShards(kinesis, { streamName }, true)));
    const map = new ShardMap(await listShards(kinesis, { streamName }, true));
    expect(map.size).toBe(5);
    expect(map.shards.some((s) => s.parentShardId === 'shardId-000000000000')).toBe(true);
    const records = Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.from([i & 0xff]) }));
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: records }));
    out.Records!.forEach((r, i) => expect(r.ShardId).toBe(map.shardForRecord(records[i]!.PartitionKey)!.shardId));
  });

  it('aggregates per shard so that every aggregate lands on, and reads back from, its shard', async () => {
    const streamName = uniqueName('kpl');
    await createStream(kinesis, streamName, 8);
    const map = new ShardMap(await listShards(kinesis, { streamName }, true));
    const aggregator = new ShardAggregator<UserRecord>(map);
    const users = Array.from({ length: 5000 }, (_, i) => ({ partitionKey: `user-${i}`, data: Buffer.from(`payload-${i}`) }));
    const kinesisRecords: KinesisRecord[] = [];
    for (const u of users) {
      const done = aggregator.add(u);
      if (done) kinesisRecords.push(done);
    }
    kinesisRecords.push(...aggregator.flushAll());
    expect(kinesisRecords.length).toBeLessThan(50);
    const put = await kinesis.send(
      new PutRecordsCommand({ StreamName: streamName, Records: kinesisRecords.map((k) => ({ PartitionKey: k.partitionKey, ExplicitHashKey: k.explicitHashKey, Data: k.data })) }),
    );
    put.Records!.forEach((r, i) => expect(r.ShardId).toBe(kinesisRecords[i]!.predictedShardId));
    const seen = new Map<string, string>();
    for (const shard of map.shards) {
      // KCL mode: an aggregate with any record outside the shard would be dropped entirely.
      const d = new Deaggregator({ shardRange: shard.range, outOfRange: 'drop-aggregate' });
      for (const u of d.deaggregateAll(await readShard(kinesis, streamName, shard.shardId))) seen.set(u.partitionKey, u.data.toString());
      expect(d.stats.droppedAggregates).toBe(0);
    }
    expect(seen.size).toBe(users.length);
    for (const u of users) expect(seen.get(u.partitionKey)).toBe(u.data.toString());
  });
});

describe('ShardMap against kinesis-local (server-side ShardFilter)', () => {
  it('lists open shards only after a split', async () => {
    const local = await startKinesisLocal();
    const kinesis = createKinesisClient({ endpoint: local.endpoint, env: {} });
    try {
      const streamName = uniqueName('kpl');
      await createStream(kinesis, streamName, 3);
      await splitFirstShard(kinesis, streamName, new ShardMap(await listShards(kinesis, { streamName }, true)));
      const map = new ShardMap(await listShards(kinesis, { streamName }, true));
      expect(map.size).toBe(4);
      expect(map.shards.every((s) => s.open)).toBe(true);
    } finally {
      kinesis.destroy();
      await local.stop();
    }
  });
});
