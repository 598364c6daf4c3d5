import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '@shardline/core';
import { type DynamoItem, LeaseTable } from '@shardline/dynamo-lease';
import { createStream, uniqueName } from '@shardline/testkit';
import { type RecordHandler, Worker } from '../src';
import { putRecords, testWorkerOptions, useEmulators, waitFor } from './helpers';

const t = useEmulators();

async function scanItems(tableName: string): Promise<DynamoItem[]> {
  const client = createDynamoDbClient({ env: t.env });
  try {
    const items: DynamoItem[] = [];
    let start: DynamoItem | undefined;
    do {
      const out = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...((out.Items ?? []) as DynamoItem[]));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  } finally {
    client.destroy();
  }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Records seen per `stream/shardId`, in order; checks each record came with its own stream's context. */
function recorder(): { seen: Map<string, string[]>; handler: RecordHandler; emptyBatches: Set<string> } {
  const seen = new Map<string, string[]>();
  const emptyBatches = new Set<string>();
  const handler: RecordHandler = (records, { streamName, shardId, leaseKey }) => {
    if (!leaseKey.endsWith(`:${shardId}`) || !leaseKey.includes(`:${streamName}:`)) throw new Error(`context mismatch: ${leaseKey} ${streamName} ${shardId}`);
    const key = `${streamName}/${shardId}`;
    if (records.length === 0) emptyBatches.add(key);
    for (const r of records) {
      const id = r.data.toString();
      if (!id.startsWith(`${streamName}-`)) throw new Error(`${id} delivered as a record of ${streamName}`);
      seen.set(key, [...(seen.get(key) ?? []), id]);
    }
  };
  return { seen, handler, emptyBatches };
}

const byStreamShard = (streamName: string, byShard: Map<string, string[]>): [string, string[]][] => [...byShard].map(([shardId, ids]) => [`${streamName}/${shardId}`, ids]);

describe('one worker over two streams (multi-stream lease keys)', () => {
  it('processes both streams, with KCL multi-stream lease keys and the streamName / shardId attributes', async () => {
    const [a, b] = [uniqueName('ms-a'), uniqueName('ms-b')];
    await Promise.all([createStream(t.kinesis, a, 2), createStream(t.kinesis, b, 3)]);
    const expected = new Map([...byStreamShard(a, await putRecords(t.kinesis, a, 300, a)), ...byStreamShard(b, await putRecords(t.kinesis, b, 300, b))]);
    const { seen, handler } = recorder();
    const worker = new Worker(testWorkerOptions(t, { applicationName: uniqueName('app'), streams: [a, b], handler }));
    expect(worker.options.multiStream).toBe(true);
    await worker.start();
    try {
      await waitFor(() => [...seen.values()].flat().length >= 600, 30_000, 'all 600 records');
      await waitFor(() => worker.shards.length === 5 && worker.shards.every((s) => /^\d+$/.test(s.checkpoint ?? '')), 10_000, 'checkpoints on all five shards');
    } finally {
      await worker.stop();
    }
    for (const [key, ids] of expected) expect(seen.get(key)).toEqual(ids);
    expect([...seen.keys()].sort()).toEqual([...expected.keys()].sort());

    const identifiers = new Map(worker.trackedStreams.map((s) => [s.streamName, s.identifier!]));
    for (const stream of [a, b]) expect(identifiers.get(stream)).toMatch(new RegExp(`^\\d+:${escape(stream)}:\\d+$`));

    // The raw items, as a Java multi-stream worker reads them.
    const items = await scanItems(worker.options.tableName);
    expect(items).toHaveLength(5);
    const keysByStream = new Map<string, string[]>();
    for (const item of items) {
      const leaseKey = item.leaseKey!.S!;
      const stream = [a, b].find((s) => new RegExp(`^\\d+:${escape(s)}:\\d+:shardId-\\d+$`).test(leaseKey));
      expect(stream).toBeDefined();
      keysByStream.set(stream!, [...(keysByStream.get(stream!) ?? []), leaseKey]);
      const shardId = leaseKey.slice(leaseKey.lastIndexOf(':') + 1);
      expect(item.streamName).toEqual({ S: identifiers.get(stream!) });
      expect(item.shardId).toEqual({ S: shardId });
      expect(leaseKey).toBe(`${item.streamName!.S}:${item.shardId!.S}`);
      expect(item.checkpoint?.S).toMatch(/^\d+$/);
      expect(item.leaseCounter?.N).toMatch(/^\d+$/);
      expect(item.leaseOwner).toBeUndefined(); // released on stop
    }
    expect(keysByStream.get(a)).toHaveLength(2);
    expect(keysByStream.get(b)).toHaveLength(3);

    // And as this package reads them back.
    const client = createDynamoDbClient({ env: t.env });
    const leases = await new LeaseTable({ tableName: worker.options.tableName, client }).listLeases();
    client.destroy();
    for (const lease of leases) {
      expect(lease.streamIdentifier).toBe(lease.leaseKey.slice(0, lease.leaseKey.lastIndexOf(':')));
      expect(lease.shardId).toBe(lease.leaseKey.slice(lease.leaseKey.lastIndexOf(':') + 1));
    }
  });

  it('honours each stream’s initialPosition: a LATEST stream skips what was put before the start, and processes what comes after', async () => {
    const [a, b] = [uniqueName('ms-th'), uniqueName('ms-latest')];
    await Promise.all([createStream(t.kinesis, a, 2), createStream(t.kinesis, b, 2)]);
    const expectedA = byStreamShard(a, await putRecords(t.kinesis, a, 200, a));
    await putRecords(t.kinesis, b, 200, `${b}-old`);
    const { seen, handler, emptyBatches } = recorder();
    const worker = new Worker(
      testWorkerOptions(t, {
        applicationName: uniqueName('app'),
        initialPosition: 'TRIM_HORIZON',
        streams: [{ streamName: a }, { streamName: b, initialPosition: 'LATEST' }],
        handler,
        // An empty batch on each of b's shards tells that its LATEST iterator is in place.
        processEmptyBatches: true,
      }),
    );
    await worker.start();
    let expectedB: [string, string[]][] = [];
    try {
      expect(worker.options.streams).toEqual([
        { streamName: a, initialPosition: 'TRIM_HORIZON' },
        { streamName: b, initialPosition: 'LATEST' },
      ]);
      const items = await scanItems(worker.options.tableName);
      const checkpoints = new Map(items.map((i) => [i.leaseKey!.S!, i.checkpoint?.S]));
      for (const [key, checkpoint] of checkpoints) if (key.includes(`:${b}:`)) expect(checkpoint).toBe('LATEST');
      await waitFor(() => ['shardId-000000000000', 'shardId-000000000001'].every((s) => emptyBatches.has(`${b}/${s}`)), 20_000, `${b} reading at LATEST`);
      expectedB = byStreamShard(b, await putRecords(t.kinesis, b, 200, `${b}-new`));
      await waitFor(() => [...seen.values()].flat().length >= 400, 30_000, 'all of a and the new records of b');
    } finally {
      await worker.stop();
    }
    for (const [key, ids] of [...expectedA, ...expectedB]) expect(seen.get(key)).toEqual(ids);
    const all = [...seen.values()].flat();
    expect(all.filter((id) => id.startsWith(`${b}-old`))).toEqual([]);
    expect(all).toHaveLength(400);
  });
});
