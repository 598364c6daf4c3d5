import { AccessDeniedException, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createNoopLogger, MemoryMetrics } from '@shardline/core';
import { LeaseCoordinator } from '@shardline/dynamo-lease';
import { listShards } from '@shardline/kpl-aggregation';
import { createStream, injectFaults, startEmulators, uniqueName } from '@shardline/testkit';
import { DemoWorker } from '../src/DemoWorker';

describe('DemoWorker', () => {
  it('gives back the lease of a shard whose processing failed, so the shard is read again from its checkpoint', async () => {
    const emulators = await startEmulators();
    const env = emulators.env;
    const kinesis = createKinesisClient({ env });
    const streamName = uniqueName('demo-worker');
    const tableName = `${streamName}-leases`;
    const worker = new DemoWorker({
      workerId: 'w1',
      streamName,
      tableName,
      kinesis,
      dynamoDb: { env },
      failoverTimeMs: 3_000,
      logger: createNoopLogger(),
      metrics: new MemoryMetrics(),
      onBatch: (_w, batch) => batch.records.forEach((r) => seen.add(r.data.toString())),
    });
    const seen = new Set<string>();
    try {
      await createStream(kinesis, streamName, 2);
      await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 200 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`r${i}`) })) }));
      const sync = new LeaseCoordinator({ tableName, workerId: 'sync', clientOptions: { env }, logger: createNoopLogger() });
      await sync.createLeasesIfNotExist((await listShards(kinesis, { streamName }, true)).map((s) => ({ leaseKey: s.shardId })));
      await sync.close();
      // The first read of every shard fails with an error no retry fixes.
      const failed = new Set<string>();
      injectFaults(kinesis, {
        before: (ctx) => {
          const shard = String(ctx.input.ShardId ?? '');
          if (ctx.commandName === 'GetShardIteratorCommand' && !failed.has(shard)) {
            failed.add(shard);
            throw new AccessDeniedException({ $metadata: {}, message: 'injected' });
          }
        },
      });
      await worker.start();
      const deadline = Date.now() + 30_000;
      while (seen.size < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(failed.size).toBe(2);
      expect(seen.size).toBe(200);
    } finally {
      await worker.stop();
      kinesis.destroy();
      await emulators.stop();
    }
  });
});
