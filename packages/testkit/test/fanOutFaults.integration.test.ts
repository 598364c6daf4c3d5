import {
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  InternalFailureException,
  KMSThrottlingException,
  PutRecordsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import * as net from 'node:net';
import { useEmulators, waitFor } from '../src';
import { activeConsumer, EventReader, FrontPool, newStream } from './fanOutHelpers';

const env = useEmulators({ dynamodb: false });
const pool = new FrontPool();
afterEach(() => pool.release());
const SHARD0 = 'shardId-000000000000';
const SHARD1 = 'shardId-000000000001';

async function put(client: Parameters<typeof newStream>[0], streamName: string, count: number, hashKey = '0'): Promise<string[]> {
  const out = await client.send(
    new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: count }, (_, i) => ({ PartitionKey: 'k', ExplicitHashKey: hashKey, Data: Buffer.from(`r${i}`) })) }),
  );
  return out.Records!.map((r) => r.SequenceNumber!);
}

describe('fan-out front: faults', () => {
  it('injectException reaches the SDK iterator as the typed exception and ends only the chosen shard', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!);
    const { streamArn } = await newStream(client, 2);
    const consumer = await activeConsumer(client, streamArn);
    const r0 = await EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' });
    const r1 = await EventReader.open(client, consumer, SHARD1, { Type: 'LATEST' });
    await r0.until(() => r0.events.length > 0, 'a first event');
    expect(front.injectException({ shardId: SHARD0 })).toBe(1);
    await r0.ended();
    expect(r0.error).toBeInstanceOf(InternalFailureException);
    expect(r1.done).toBe(false);
    expect(front.injectException({ exceptionType: 'KMSThrottlingException', message: 'slow down' })).toBe(1);
    await r1.ended();
    expect(r1.error).toBeInstanceOf(KMSThrottlingException);
    expect((r1.error as Error).message).toBe('slow down');
    expect(front.subscriptions().map((s) => [s.endReason, s.exceptionType])).toEqual([
      ['exception', 'InternalFailureException'],
      ['exception', 'KMSThrottlingException'],
    ]);
  });

  it('answers ResourceInUseException for rejectSubscribes and within the resubscribe guard, and a later subscribe takes over', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!, { resubscribeGuardMs: 600 });
    const { streamArn } = await newStream(client, 2);
    const consumer = await activeConsumer(client, streamArn);
    front.rejectSubscribes({ shardId: SHARD1, count: 2 });
    const first = await EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' });
    for (let i = 0; i < 2; i++) await expect(EventReader.open(client, consumer, SHARD1, { Type: 'LATEST' })).rejects.toBeInstanceOf(ResourceInUseException);
    const other = await EventReader.open(client, consumer, SHARD1, { Type: 'LATEST' });
    // The guard: a second subscribe for the same consumer and shard too soon after a successful one.
    await expect(EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' })).rejects.toBeInstanceOf(ResourceInUseException);
    expect(front.stats()).toMatchObject({ subscribes: 2, rejectedSubscribes: 3, open: 2 });
    await new Promise((r) => setTimeout(r, 650));
    const second = await EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' });
    await first.ended();
    expect(first.error).toBeInstanceOf(ResourceInUseException);
    expect(second.done).toBe(false);
    expect(other.done).toBe(false);
  });

  it('silence() stops every event until resume(), and nothing is lost', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!, { idleEventIntervalMs: 50 });
    const { streamName, streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    const reader = await EventReader.open(client, consumer, SHARD0, { Type: 'TRIM_HORIZON' });
    await reader.until(() => reader.events.length > 0, 'a first event');
    front.silence(SHARD0);
    await new Promise((r) => setTimeout(r, 100)); // a poll in flight may still land
    const before = reader.events.length;
    const seqs = await put(client, streamName, 5);
    await new Promise((r) => setTimeout(r, 400));
    expect(reader.events.length).toBe(before);
    front.resume();
    await reader.until(() => reader.records().length >= 5, 'the records after resume');
    expect(reader.records().map((r) => r.SequenceNumber)).toEqual(seqs);
  });

  it('deregistering ends the consumer’s subscriptions with ResourceNotFoundException; DELETING, then gone', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!, { consumerTransitionMs: 300, resubscribeGuardMs: 0 });
    const { streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    const reader = await EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' });
    await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumer }));
    await reader.ended();
    expect(reader.error).toBeInstanceOf(ResourceNotFoundException);
    expect(front.subscriptions()[0]!.endReason).toBe('consumer-deleted');
    expect((await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumer }))).ConsumerDescription!.ConsumerStatus).toBe('DELETING');
    await expect(EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' })).rejects.toBeInstanceOf(ResourceInUseException);
    await waitFor(
      async () => {
        try {
          await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumer }));
          return false;
        } catch (error) {
          return error instanceof ResourceNotFoundException;
        }
      },
      5_000,
      'the consumer gone',
    );
    await expect(EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' })).rejects.toBeInstanceOf(ResourceNotFoundException);
    // Re-registering the name gives a new ARN.
    expect(await activeConsumer(client, streamArn)).not.toBe(consumer);
  });

  it('a client cancellation stops the subscription (cancelled), and the guard still applies', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!);
    const { streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    const reader = await EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' });
    await reader.until(() => reader.events.length > 0, 'a first event');
    reader.cancel();
    await reader.ended();
    await waitFor(() => front.stats().open === 0, 5_000, 'the subscription closed on the front');
    expect(front.subscriptions()[0]!.endReason).toBe('cancelled');
    const polledEvents = front.stats().eventsSent;
    await new Promise((r) => setTimeout(r, 1_200));
    expect(front.stats().eventsSent).toBe(polledEvents);
    await expect(EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' })).rejects.toBeInstanceOf(ResourceInUseException);
  });

  it('honours HTTP/2 flow control: a client that stops reading stops the polling, and nothing is lost', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!, { maxRecordsPerEvent: 10 });
    const { streamName, streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    const seqs: string[] = [];
    const big = Buffer.alloc(1024, 7);
    for (let i = 0; i < 4; i++) {
      const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 100 }, () => ({ PartitionKey: 'k', Data: big })) }));
      seqs.push(...out.Records!.map((r) => r.SequenceNumber!));
    }
    const out = await client.send(new SubscribeToShardCommand({ ConsumerARN: consumer, ShardId: SHARD0, StartingPosition: { Type: 'TRIM_HORIZON' } }));
    const iterator = out.EventStream![Symbol.asyncIterator]();
    await new Promise((r) => setTimeout(r, 500));
    const sentWhileStalled = front.stats().recordsSent;
    expect(sentWhileStalled).toBeLessThan(200); // ~1.4 KiB per record on the wire, a 64 KiB window
    await new Promise((r) => setTimeout(r, 300));
    expect(front.stats().recordsSent).toBe(sentWhileStalled);
    const received: string[] = [];
    while (received.length < seqs.length) {
      const { value, done } = await iterator.next();
      if (done) break;
      received.push(...(value.SubscribeToShardEvent?.Records ?? []).map((r) => r.SequenceNumber!));
    }
    expect(received).toEqual(seqs);
    await iterator.return?.();
  });

  it('renews an expired kinesalite iterator under an open subscription without losing records', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!);
    const { streamName, streamArn } = await newStream(client);
    const consumer = await activeConsumer(client, streamArn);
    const reader = await EventReader.open(client, consumer, SHARD0, { Type: 'TRIM_HORIZON' });
    const seqs = await put(client, streamName, 3);
    await reader.until(() => reader.records().length >= 3, 'the first records');
    const realNow = Date.now;
    // kinesalite runs in this process: 301 s later by its clock, every iterator it gave has expired.
    Date.now = () => realNow() + 301_000;
    try {
      seqs.push(...(await put(client, streamName, 3)));
      await reader.until(() => reader.records().length >= 6, 'the records after the iterator expired');
    } finally {
      Date.now = realNow;
    }
    expect(reader.records().map((r) => r.SequenceNumber)).toEqual(seqs);
    expect(front.subscriptions()[0]!.endReason).toBeUndefined();
  });

  it('close() ends open subscriptions and the server within its bound', async () => {
    const { front, client } = await pool.start(env.emulators.kinesisEndpoint!);
    const { streamArn } = await newStream(client, 2);
    const consumer = await activeConsumer(client, streamArn);
    const readers = [await EventReader.open(client, consumer, SHARD0, { Type: 'LATEST' }), await EventReader.open(client, consumer, SHARD1, { Type: 'LATEST' })];
    const started = performance.now();
    await front.close();
    expect(performance.now() - started).toBeLessThan(3_500);
    // The front resets the streams; the SDK's iterator just ends (its handler swallows the stream error).
    for (const r of readers) await r.ended();
    expect(front.subscriptions().map((s) => s.endReason)).toEqual(['closed', 'closed']);
    expect(front.stats().open).toBe(0);
    const port = Number(new URL(front.endpoint).port);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
