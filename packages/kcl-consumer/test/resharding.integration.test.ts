import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, ExtendedSequenceNumber } from '@shardline/core';
import { LeaseTable, type Lease } from '@shardline/dynamo-lease';
import { Aggregator } from '@shardline/kpl-aggregation';
import { createStream, listAllShards, uniqueName } from '@shardline/testkit';
import { type InitializationInput, type KinesisClientRecord, type RecordProcessorFactory, Worker, type WorkerOptions } from '../src';
import { Ledger, mergeShards, putRecords, splitShard, testWorkerOptions, useEmulators, waitFor } from './helpers';

const t = useEmulators();

const id = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Record ids by shard, accumulated over several puts. */
function merge(into: Map<string, string[]>, more: Map<string, string[]>): void {
  for (const [shardId, ids] of more) into.set(shardId, [...(into.get(shardId) ?? []), ...ids]);
}

/** The ids in the order they were first processed (a lease that moves may repeat a batch). */
const firstSeen = (ids: readonly string[]): string[] => [...new Set(ids)];

async function readLeases(tableName: string): Promise<Map<string, Lease>> {
  const client = createDynamoDbClient({ env: t.env });
  try {
    const leases = await new LeaseTable({ tableName, client }).listLeases();
    return new Map(leases.map((l) => [l.leaseKey, l]));
  } finally {
    client.destroy();
  }
}

/**
 * Two workers consume a 2-shard stream while shard 0 is split (into 2 and 3) and then 3 is merged
 * with 1 (into 4): a merge of parents at different depths. Shard 0's processor is slow, so 1 ends
 * long before 0 and 3 do.
 */
async function splitAndMergeWhileConsuming(extra: Partial<WorkerOptions> = {}) {
  const streamName = uniqueName('reshard');
  const applicationName = uniqueName('app');
  await createStream(t.kinesis, streamName, 2);
  const expected = await putRecords(t.kinesis, streamName, 200, 'a');
  const ledger = new Ledger();
  const base = ledger.processor();
  const factory: RecordProcessorFactory = (shard) => {
    const processor = base(shard);
    if (shard.shardId !== id(0)) return processor;
    return {
      ...processor,
      processRecords: async (input) => {
        await sleep(250);
        await processor.processRecords(input);
      },
    };
  };
  const deleted: string[] = [];
  const workers = ['w1', 'w2'].map((workerId) => {
    const worker = new Worker(testWorkerOptions(t, { applicationName, streamName, workerId, processor: factory, maxRecords: 25, ...extra }));
    worker.on('leaseDeleted', (key) => deleted.push(key));
    return worker;
  });
  await Promise.all(workers.map((w) => w.start()));
  try {
    await waitFor(() => ledger.distinct().size >= 20, 20_000, 'some records processed');
    await splitShard(t.kinesis, streamName, id(0));
    merge(expected, await putRecords(t.kinesis, streamName, 200, 'b'));
    await mergeShards(t.kinesis, streamName, id(3), id(1));
    merge(expected, await putRecords(t.kinesis, streamName, 200, 'c'));
    await waitFor(() => ledger.distinct().size === 600, 30_000, 'all 600 records');
    await waitFor(() => [0, 1, 3].every((n) => ledger.shardEndAt.has(id(n))), 20_000, 'shards 0, 1 and 3 ended');
    return { streamName, ledger, expected, workers, deleted, tableName: workers[0]!.options.tableName };
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop()));
    throw error;
  }
}

/** Every record once (at least), in put order per shard, and no child record before all its parents ended. */
async function expectProcessedInOrder(streamName: string, ledger: Ledger, expected: Map<string, string[]>): Promise<void> {
  expect([...expected.keys()].sort()).toEqual([0, 1, 2, 3, 4].map(id)); // every shard got records
  for (const [shardId, ids] of expected) expect(firstSeen(ledger.byShard.get(shardId) ?? [])).toEqual(ids);
  const shards = await listAllShards(t.kinesis, streamName);
  for (const shard of shards) {
    const first = ledger.firstRecordAt.get(shard.ShardId!);
    for (const parent of [shard.ParentShardId, shard.AdjacentParentShardId]) {
      if (!parent || first === undefined) continue;
      const parentEnd = ledger.shardEndAt.get(parent);
      if (parentEnd === undefined || first < parentEnd) throw new Error(`${shard.ShardId} processed a record before its parent ${parent} ended`);
    }
  }
}

describe('resharding while two workers consume', () => {
  it('split and merge: every record in order per shard, children after all their parents, SHARD_END and childShardIds on the parents', async () => {
    const { streamName, ledger, expected, workers, deleted, tableName } = await splitAndMergeWhileConsuming();
    await Promise.all(workers.map((w) => w.stop()));
    await expectProcessedInOrder(streamName, ledger, expected);
    // Each shard ended once, through shardEnded, which checkpointed SHARD_END.
    expect(ledger.calls.filter((c) => c.startsWith('shardEnded')).sort()).toEqual([0, 1, 3].map((n) => `shardEnded ${id(n)}`));

    const leases = await readLeases(tableName);
    expect([...leases.keys()].sort()).toEqual([0, 1, 2, 3, 4].map(id));
    for (const n of [0, 1, 3]) expect(leases.get(id(n))!.checkpoint).toEqual(ExtendedSequenceNumber.SHARD_END);
    expect(leases.get(id(0))!.childShardIds).toEqual([id(2), id(3)]);
    expect(leases.get(id(1))!.childShardIds).toEqual([id(4)]);
    expect(leases.get(id(3))!.childShardIds).toEqual([id(4)]);
    expect(leases.get(id(2))!.parentShardIds).toEqual([id(0)]);
    expect(leases.get(id(4))!.parentShardIds).toEqual([id(1), id(3)]);
    for (const n of [2, 4]) expect(leases.get(id(n))!.checkpoint?.sequenceNumber).toMatch(/^\d+$/);
    for (const lease of leases.values()) expect(lease.leaseOwner).toBeUndefined();
    expect(deleted).toEqual([]); // the default cleanup delay (5 minutes) has not passed
  });

  it('lease cleanup: with leaseCleanupDelayMs 0, finished parent leases are deleted once their children have leases, and nothing else', async () => {
    const { streamName, ledger, expected, workers, deleted, tableName } = await splitAndMergeWhileConsuming({ leaseCleanupDelayMs: 0, shardSyncIntervalMs: 200 });
    try {
      await waitFor(() => [0, 1, 3].every((n) => deleted.includes(id(n))), 10_000, 'parent leases deleted');
      // Another sync or two: nothing more goes.
      await sleep(600);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
    expect([...new Set(deleted)].sort()).toEqual([0, 1, 3].map(id));
    const leases = await readLeases(tableName);
    expect([...leases.keys()].sort()).toEqual([id(2), id(4)]);
    await expectProcessedInOrder(streamName, ledger, expected);
  });
});

describe('a checkpoint inside a KPL aggregate', () => {
  it('a new worker resumes with exactly the sub-records after the checkpointed one, and initialize receives the checkpoint', async () => {
    const streamName = uniqueName('kpl');
    const applicationName = uniqueName('app');
    await createStream(t.kinesis, streamName, 1);
    const put = async (partitionKey: string, data: Buffer, explicitHashKey?: string): Promise<string> =>
      (await t.kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: partitionKey, Data: data, ...(explicitHashKey ? { ExplicitHashKey: explicitHashKey } : {}) })))
        .SequenceNumber!;
    await put('pk-before', Buffer.from('before'));
    const aggregator = new Aggregator();
    for (let i = 0; i < 10; i++) expect(aggregator.add({ partitionKey: `pk-${i}`, data: Buffer.from(`u-${i}`) })).toBeUndefined();
    const aggregate = aggregator.flush()!;
    expect(aggregate.aggregated).toBe(true);
    expect(aggregate.userRecords).toHaveLength(10);
    const aggregateSeq = await put(aggregate.partitionKey, aggregate.data, aggregate.explicitHashKey);
    await put('pk-after', Buffer.from('after'));

    // The first worker checkpoints at sub-record 3 of the aggregate, and nothing after it.
    const firstSeen: KinesisClientRecord[] = [];
    let checkpointed = false;
    const first = new Worker(
      testWorkerOptions(t, {
        applicationName,
        streamName,
        processor: () => ({
          processRecords: async ({ records, checkpointer }) => {
            firstSeen.push(...records);
            if (!checkpointed && records.some((r) => r.sequenceNumber === aggregateSeq && r.subSequenceNumber === 3)) {
              await checkpointer.checkpoint(aggregateSeq, 3);
              checkpointed = true;
            }
          },
          shutdownRequested: () => undefined, // no checkpoint on the way out
        }),
      }),
    );
    await first.start();
    try {
      await waitFor(() => checkpointed && firstSeen.some((r) => r.data.toString() === 'after'), 20_000, 'the first worker to checkpoint');
    } finally {
      await first.stop();
    }
    expect(firstSeen.map((r) => r.data.toString())).toEqual(['before', ...Array.from({ length: 10 }, (_, i) => `u-${i}`), 'after']);
    const aggregated = firstSeen.filter((r) => r.sequenceNumber === aggregateSeq);
    expect(aggregated.map((r) => [r.subSequenceNumber, r.aggregated])).toEqual(Array.from({ length: 10 }, (_, i) => [i, true]));
    const stored = (await readLeases(first.options.tableName)).get(id(0))!;
    expect(stored.checkpoint).toEqual(new ExtendedSequenceNumber(aggregateSeq, 3));

    // A new worker resumes after (aggregateSeq, 3).
    let initialized: InitializationInput | undefined;
    const resumed: KinesisClientRecord[] = [];
    const second = new Worker(
      testWorkerOptions(t, {
        applicationName,
        streamName,
        processor: () => ({
          initialize: (input) => void (initialized = input),
          processRecords: ({ records }) => void resumed.push(...records),
        }),
      }),
    );
    await second.start();
    try {
      await waitFor(() => resumed.some((r) => r.data.toString() === 'after'), 20_000, 'the second worker to read to the end');
    } finally {
      await second.stop();
    }
    expect(initialized!.checkpoint).toEqual(new ExtendedSequenceNumber(aggregateSeq, 3));
    expect(initialized!.shardId).toBe(id(0));
    expect(resumed.map((r) => r.data.toString())).toEqual(['u-4', 'u-5', 'u-6', 'u-7', 'u-8', 'u-9', 'after']);
    expect(resumed.slice(0, 6).map((r) => [r.sequenceNumber, r.subSequenceNumber])).toEqual([4, 5, 6, 7, 8, 9].map((sub) => [aggregateSeq, sub]));
  });
});
