import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamConsumersCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { FanOutFrontOptionsError, mergeShards, splitShard, startFanOutFront, useEmulators, waitFor } from '../src';
import { activeConsumer, EventReader, FrontPool, newStream } from './fanOutHelpers';

const env = useEmulators({ dynamodb: false });
const pool = new FrontPool();
afterEach(() => pool.release());
const SHARD0 = 'shardId-000000000000';

async function put(client: Parameters<typeof newStream>[0], streamName: string, from: number, count: number): Promise<string[]> {
  const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: count }, (_, i) => ({ PartitionKey: 'k', Data: Buffer.from(`r${from + i}`) })) }));
  return out.Records!.map((r) => r.SequenceNumber!);
}

describe('fan-out front: consumers and proxying', () => {
  it('validates its options before listening', async () => {
    await expect(startFanOutFront({ kinesisEndpoint: 'localhost:1' })).rejects.toThrow(FanOutFrontOptionsError);
    await expect(startFanOutFront({ kinesisEndpoint: 'http://127.0.0.1:1', pollIntervalMs: 0 })).rejects.toThrow(/pollIntervalMs/);
  });

  it('registers consumers CREATING then ACTIVE, describes, lists and rejects duplicates as Kinesis does', async () => {
    const { client } = await pool.start(env.emulators.kinesisEndpoint!, { consumerTransitionMs: 200 });
    const { streamArn } = await newStream(client);
    const registered = (await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'app' }))).Consumer!;
    expect(registered.ConsumerStatus).toBe('CREATING');
    expect(registered.ConsumerARN).toMatch(new RegExp(`^${streamArn}/consumer/app:\\d+$`));
    expect(registered.ConsumerCreationTimestamp).toBeInstanceOf(Date);
    await expect(EventReader.open(client, registered.ConsumerARN!, SHARD0, { Type: 'LATEST' })).rejects.toBeInstanceOf(ResourceInUseException);
    await expect(client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'app' }))).rejects.toBeInstanceOf(ResourceInUseException);
    await waitFor(async () => (await client.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'app' }))).ConsumerDescription?.ConsumerStatus === 'ACTIVE', 5_000);
    const described = (await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: registered.ConsumerARN }))).ConsumerDescription!;
    expect(described).toMatchObject({ ConsumerName: 'app', ConsumerARN: registered.ConsumerARN, ConsumerStatus: 'ACTIVE', StreamARN: streamArn });

    await activeConsumer(client, streamArn, 'other');
    const page1 = await client.send(new ListStreamConsumersCommand({ StreamARN: streamArn, MaxResults: 1 }));
    const page2 = await client.send(new ListStreamConsumersCommand({ StreamARN: streamArn, MaxResults: 1, NextToken: page1.NextToken }));
    expect([...page1.Consumers!, ...page2.Consumers!].map((c) => c.ConsumerName)).toEqual(['app', 'other']);
    expect(page2.NextToken).toBeUndefined();

    const missing = streamArn.replace(/stream\/.*$/, 'stream/no-such-stream');
    await expect(client.send(new RegisterStreamConsumerCommand({ StreamARN: missing, ConsumerName: 'app' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(client.send(new DescribeStreamConsumerCommand({ ConsumerARN: `${streamArn}/consumer/ghost:1` }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(EventReader.open(client, `${streamArn}/consumer/ghost:1`, SHARD0, { Type: 'LATEST' })).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('proxies every other operation to kinesalite, errors included', async () => {
    const { client } = await pool.start(env.emulators.kinesisEndpoint!);
    const { streamName } = await newStream(client, 2);
    const seq = (await client.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'p', Data: Buffer.from('through the front') }))).SequenceNumber!;
    expect((await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards).toHaveLength(2);
    const shards = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards!;
    const found: string[] = [];
    for (const shard of shards) {
      const it = (await client.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      for (const r of (await client.send(new GetRecordsCommand({ ShardIterator: it }))).Records ?? []) found.push(`${r.SequenceNumber} ${Buffer.from(r.Data!).toString()}`);
    }
    expect(found).toEqual([`${seq} through the front`]);
    await expect(client.send(new DescribeStreamSummaryCommand({ StreamName: 'no-such-stream' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('fan-out front: SubscribeToShard', () => {
  it('pushes records put after a LATEST subscription, with blobs, timestamps and continuation', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!);
    const { streamName, streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    await expect(EventReader.open(client, consumer, 'shardId-000000000009', { Type: 'LATEST' })).rejects.toBeInstanceOf(ResourceNotFoundException);
    await put(client, streamName, 0, 3); // before the subscription: not delivered
    const reader = await EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' });
    await reader.until(() => reader.events.length > 0, 'the first event');
    expect(reader.events[0]!.Records).toEqual([]);
    expect(reader.events[0]!.ContinuationSequenceNumber).toMatch(/^\d+$/);
    const seqs = await put(client, streamName, 3, 5);
    await reader.until(() => reader.records().length >= 5, 'five records');
    const records = reader.records();
    expect(records.map((r) => r.SequenceNumber)).toEqual(seqs);
    expect(records.map((r) => Buffer.from(r.Data!).toString())).toEqual(['r3', 'r4', 'r5', 'r6', 'r7']);
    expect(records[0]!.ApproximateArrivalTimestamp).toBeInstanceOf(Date);
    expect(records[0]!.PartitionKey).toBe('k');
    const withRecords = reader.events.filter((e) => e.Records!.length > 0);
    expect(withRecords[withRecords.length - 1]!.ContinuationSequenceNumber).toBe(seqs[4]);
    expect(front.stats()).toMatchObject({ subscribes: 1, open: 1, recordsSent: 5 });
    expect(front.subscriptions()[0]).toMatchObject({ consumerArn: consumer, shardId: SHARD0, startingPosition: { Type: 'LATEST' }, recordsSent: 5 });
  });

  it('ends each subscription after subscriptionMs; continuation resubscribes lose and repeat nothing', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!, { subscriptionMs: 600, resubscribeGuardMs: 0, idleEventIntervalMs: 100 });
    const { streamName, streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    const expected: string[] = [];
    let producing = true;
    const producer = (async () => {
      for (let i = 0; producing; i += 7) {
        expected.push(...(await put(client, streamName, i, 7)));
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    const received: string[] = [];
    let position: { Type: 'TRIM_HORIZON' } | { Type: 'AFTER_SEQUENCE_NUMBER'; SequenceNumber: string } = { Type: 'TRIM_HORIZON' };
    for (let round = 0; round < 4; round++) {
      const reader = await EventReader.open(client, consumer, SHARD0, position);
      await reader.ended();
      expect(reader.error).toBeUndefined();
      received.push(...reader.records().map((r) => r.SequenceNumber!));
      position = { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: reader.events[reader.events.length - 1]!.ContinuationSequenceNumber! };
      if (round === 2) producing = false;
    }
    await producer;
    // Drain what the producer wrote during the last round.
    const last = await EventReader.open(client, consumer, SHARD0, position);
    await last.until(() => received.length + last.records().length >= expected.length, 'every record');
    received.push(...last.records().map((r) => r.SequenceNumber!));
    expect(received).toEqual(expected);
    const infos = front.subscriptions();
    expect(infos.slice(0, 4).map((s) => s.endReason)).toEqual(['expired', 'expired', 'expired', 'expired']);
    expect(infos[0]!.endedAt! - infos[0]!.openedAt).toBeGreaterThanOrEqual(590);
  });

  it('sends idle events whose continuation neither skips nor repeats; AT/AFTER_SEQUENCE_NUMBER start where asked', async () => {
    const { client, front } = await pool.start(env.emulators.kinesisEndpoint!, { resubscribeGuardMs: 0, idleEventIntervalMs: 50 });
    const { streamName, streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    const idleContinuation = async (position: Parameters<typeof EventReader.open>[3]): Promise<string> => {
      const reader = await EventReader.open(client, consumer, SHARD0, position);
      await reader.until(() => reader.events.length >= 3, 'idle events');
      expect(reader.records()).toEqual([]);
      expect(new Set(reader.events.map((e) => e.ContinuationSequenceNumber)).size).toBe(1);
      reader.cancel();
      await reader.ended();
      return reader.events[0]!.ContinuationSequenceNumber!;
    };
    const fromTrimHorizon = await idleContinuation({ Type: 'TRIM_HORIZON' });
    const fromLatest = await idleContinuation({ Type: 'LATEST' });
    const seqs = await put(client, streamName, 0, 4);
    const cases = [
      [{ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: fromTrimHorizon }, seqs],
      [{ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: fromLatest }, seqs],
      [{ Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: seqs[1] }, seqs.slice(1)],
      [{ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: seqs[1] }, seqs.slice(2)],
      [{ Type: 'AT_TIMESTAMP', Timestamp: new Date(Date.now() - 60_000) }, seqs],
    ] as const;
    for (const [position, want] of cases) {
      const reader = await EventReader.open(client, consumer, SHARD0, position);
      await reader.until(() => reader.records().length >= want.length, `${want.length} records`);
      await new Promise((r) => setTimeout(r, 150));
      expect(reader.records().map((r) => r.SequenceNumber)).toEqual(want);
      reader.cancel();
      await reader.ended();
    }
    expect(front.stats().open).toBe(0);
    expect(front.subscriptions().map((i) => i.startingPosition.Type)).toEqual([
      'TRIM_HORIZON',
      'LATEST',
      'AFTER_SEQUENCE_NUMBER',
      'AFTER_SEQUENCE_NUMBER',
      'AT_SEQUENCE_NUMBER',
      'AFTER_SEQUENCE_NUMBER',
      'AT_TIMESTAMP',
    ]);
    expect(front.subscriptions()[6]!.startingPosition.Timestamp).toBeInstanceOf(Date);
  });

  it('after a split sends the shard-end event with ChildShards and no continuation, then ends; after a merge lists both parents', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!, { idleEventIntervalMs: 100 });
    const { streamName, streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    const reader = await EventReader.open(client, consumer, SHARD0, { Type: 'TRIM_HORIZON' });
    const seqs = await put(client, streamName, 0, 4);
    await reader.until(() => reader.records().length >= 4, 'the records before the split');
    await splitShard(env.kinesis, streamName, SHARD0);
    await reader.ended();
    expect(reader.error).toBeUndefined();
    expect(reader.records().map((r) => r.SequenceNumber)).toEqual(seqs);
    const final = reader.events[reader.events.length - 1]!;
    expect(final.ContinuationSequenceNumber).toBeUndefined();
    expect(final.Records).toEqual([]);
    const shards = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards!;
    const children = shards.filter((s) => s.ParentShardId === SHARD0);
    expect(final.ChildShards).toEqual(children.map((c) => ({ ShardId: c.ShardId, ParentShards: [SHARD0], HashKeyRange: c.HashKeyRange })));
    expect(front.subscriptions()[0]!.endReason).toBe('shard-end');

    const [a, b] = children.map((c) => c.ShardId!);
    await mergeShards(env.kinesis, streamName, a!, b!);
    const child = await EventReader.open(client, consumer, a!, { Type: 'TRIM_HORIZON' });
    await child.ended();
    const merged = (await client.send(new ListShardsCommand({ StreamName: streamName }))).Shards!.find((s) => s.ParentShardId === a)!;
    expect(child.events[child.events.length - 1]!.ChildShards).toEqual([{ ShardId: merged.ShardId, ParentShards: [a, b], HashKeyRange: merged.HashKeyRange }]);
  });
});
