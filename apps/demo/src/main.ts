#!/usr/bin/env node
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createLogger } from '@shardline/core';
import { createStream, startEmulators, uniqueName } from '@shardline/testkit';

/**
 * Shardline demo. With no AWS_ENDPOINT_URL* set it starts kinesalite and dynalite in this process;
 * with them set (LocalStack, AWS) it uses those endpoints.
 */
async function main(): Promise<void> {
  const log = createLogger({ name: 'demo' });
  const external = Boolean(process.env.AWS_ENDPOINT_URL || process.env.AWS_ENDPOINT_URL_KINESIS);
  const emulators = external ? undefined : await startEmulators();
  const env = emulators ? { ...process.env, ...emulators.env } : process.env;
  log.info({ mode: emulators ? 'embedded' : 'external', kinesis: env.AWS_ENDPOINT_URL_KINESIS ?? env.AWS_ENDPOINT_URL }, 'starting');
  const kinesis = createKinesisClient({ env });
  try {
    const streamName = process.env.SHARDLINE_DEMO_STREAM ?? uniqueName('shardline-demo');
    await createStream(kinesis, streamName, 2).catch((e: Error) => {
      if (e.name !== 'ResourceInUseException') throw e;
    });
    const records = Array.from({ length: 100 }, (_, i) => ({ PartitionKey: `user-${i}`, Data: Buffer.from(JSON.stringify({ i })) }));
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: records }));
    log.info({ streamName, put: records.length, failed: put.FailedRecordCount }, 'records put');
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
    let read = 0;
    for (const shard of shards) {
      const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
      read += out.Records?.length ?? 0;
      log.info({ shardId: shard.ShardId, records: out.Records?.length ?? 0 }, 'shard read');
    }
    log.info({ put: records.length, read }, read === records.length ? 'demo finished: every record read back' : 'demo finished with missing records');
    if (read !== records.length) process.exitCode = 1;
  } finally {
    kinesis.destroy();
    await emulators?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
