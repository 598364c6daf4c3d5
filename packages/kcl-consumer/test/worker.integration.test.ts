import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createStream, uniqueName } from '@shardline/testkit';
import { LeaseTable } from '@shardline/dynamo-lease';
import { createDynamoDbClient } from '@shardline/core';
import { Worker } from '../src';
import { Ledger, putRecords, testWorkerOptions, useEmulators, waitFor } from './helpers';

const t = useEmulators();

describe('Worker against kinesalite + dynalite', () => {
  it('the handler shape: every record once, in order per shard, checkpointed automatically, leases released on stop', async () => {
    const streamName = uniqueName('worker');
    await createStream(t.kinesis, streamName, 4);
    const expected = await putRecords(t.kinesis, streamName, 2_000);
    const seen = new Map<string, string[]>();
    const worker = new Worker(
      testWorkerOptions(t, {
        applicationName: uniqueName('app'),
        streamName,
        handler: (records, { shardId }) => void seen.set(shardId, [...(seen.get(shardId) ?? []), ...records.map((r) => r.data.toString())]),
      }),
    );
    await worker.start();
    try {
      await waitFor(() => [...seen.values()].flat().length >= 2_000, 60_000, 'all records');
      await waitFor(() => worker.shards.every((s) => s.checkpoint !== undefined && /^\d+$/.test(s.checkpoint.split('/')[0]!.split(' ')[0]!)), 10_000, 'checkpoints');
    } finally {
      await worker.stop();
    }
    for (const [shardId, ids] of expected) expect(seen.get(shardId)).toEqual(ids);
    const client = createDynamoDbClient({ env: t.env });
    const leases = await new LeaseTable({ tableName: worker.options.tableName, client }).listLeases();
    client.destroy();
    expect(leases).toHaveLength(4);
    for (const lease of leases) {
      expect(lease.leaseOwner).toBeUndefined();
      const ids = expected.get(lease.leaseKey)!;
      expect(ids.length).toBeGreaterThan(0);
      expect(lease.checkpoint?.sequenceNumber).toMatch(/^\d+$/);
    }
  });

  it('the lifecycle shape: initialize, processRecords, shutdownRequested then leaseLost on stop; a restart resumes after the checkpoint', async () => {
    const streamName = uniqueName('worker');
    await createStream(t.kinesis, streamName, 2);
    await putRecords(t.kinesis, streamName, 300, 'a');
    const applicationName = uniqueName('app');
    const ledger = new Ledger();
    const first = new Worker(testWorkerOptions(t, { applicationName, streamName, processor: ledger.processor() }));
    await first.start();
    await waitFor(() => ledger.distinct().size === 300, 30_000, 'first 300');
    await first.stop();
    expect(ledger.calls.filter((c) => c.startsWith('initialize'))).toHaveLength(2);
    expect(ledger.calls.filter((c) => c.startsWith('shutdownRequested'))).toHaveLength(2);
    expect(ledger.calls.filter((c) => c.startsWith('leaseLost'))).toHaveLength(2);

    await putRecords(t.kinesis, streamName, 200, 'b');
    const second = new Ledger();
    const again = new Worker(testWorkerOptions(t, { applicationName, streamName, processor: second.processor() }));
    await again.start();
    await waitFor(() => second.distinct().size === 200, 30_000, 'next 200');
    await again.stop();
    expect([...second.distinct()].every((id) => id.startsWith('b-'))).toBe(true);
  });
});

describe('Worker and explicit hash keys', () => {
  it('processes a plain record put with an explicit hash key whatever its partition key hashes to', async () => {
    const streamName = uniqueName('worker');
    await createStream(t.kinesis, streamName, 2);
    // 'pk-0' hashes to the upper shard; the explicit hash key 1 puts the record in the lower one.
    await t.kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: [
          { PartitionKey: 'pk-0', ExplicitHashKey: '1', Data: Buffer.from('placed by EHK') },
          { PartitionKey: 'pk-0', Data: Buffer.from('plain') },
        ],
      }),
    );
    const seen: string[] = [];
    const worker = new Worker(testWorkerOptions(t, { applicationName: uniqueName('app'), streamName, handler: (records) => void seen.push(...records.map((r) => r.data.toString())) }));
    await worker.start();
    try {
      await waitFor(() => seen.length === 2, 30_000, 'both records');
    } finally {
      await worker.stop();
    }
    expect(seen.sort()).toEqual(['placed by EHK', 'plain']);
  });
});
