import { AccessDeniedException, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createNoopLogger } from '@shardline/core';
import { Worker } from '@shardline/kcl-consumer';
import { createStream, injectFaults, startEmulators, uniqueName } from '@shardline/testkit';

describe('the demo worker (kcl-consumer Worker)', () => {
  it('reads a shard again from its checkpoint after its first read fails with an error no retry fixes', async () => {
    const emulators = await startEmulators();
    const env = emulators.env;
    const kinesis = createKinesisClient({ env, maxAttempts: 1 });
    const streamName = uniqueName('demo-worker');
    const seen = new Set<string>();
    const worker = new Worker({
      applicationName: `${streamName}-leases`,
      workerId: 'w1',
      streamName,
      initialPosition: 'TRIM_HORIZON',
      handler: (records) => records.forEach((r) => seen.add(r.data.toString())),
      kinesisClient: kinesis,
      clientOptions: { env },
      failoverTimeMs: 3_000,
      idleTimeBetweenReadsMs: 250,
      processingRetryBackoff: { baseDelayMs: 50, maxDelayMs: 200 },
      logger: createNoopLogger(),
    });
    try {
      await createStream(kinesis, streamName, 2);
      await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 200 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`r${i}`) })) }));
      // The first read of every shard fails with an error no retry fixes.
      const failed = new Set<string>();
      injectFaults(kinesis, {
        before: (ctx) => {
          const shard = (ctx.input.ShardId as string | undefined) ?? '';
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
