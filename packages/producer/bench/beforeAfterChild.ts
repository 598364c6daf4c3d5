// One measurement for beforeAfter.ts, in a process of its own: the producer of the tree given
// (this workspace, or an older revision extracted by the driver), one workload, a warm-up run and a
// measured one. Prints one JSON line: records per CPU-second of this process and per wall second.
import * as path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createEmulatorKinesisClient, createStream, uniqueName } from '@shardline/testkit';

type ProducerModule = typeof import('../src');
type CoreModule = typeof import('@shardline/core');
type AggregationModule = typeof import('@shardline/kpl-aggregation');

const [tree, workload, endpoint] = process.argv.slice(2) as [string, string, string | undefined];
const RECORDS = Number(process.env.BEFORE_AFTER_RECORDS ?? (workload.startsWith('noop') ? 300_000 : 150_000));
const RECORD = Buffer.alloc(100, 0x61);
const key = (i: number, prefix: string): string => prefix + i.toString(36).padStart(7, '0');

async function main(): Promise<void> {
  const load = async <T>(pkg: string): Promise<T> => (await import(path.join(tree, 'packages', pkg, 'src', 'index.ts'))) as T;
  const producerModule = await load<ProducerModule>('producer');
  const core = await load<CoreModule>('core');
  const aggregation = await load<AggregationModule>('kpl-aggregation');
  let client: KinesisClient | undefined;
  if (workload === 'kinesalite-send') client = createEmulatorKinesisClient(endpoint!);
  let run = 0;
  const measure = async (records: number): Promise<{ cpu: number; wall: number }> => {
    const producer = new producerModule.Producer({ logger: core.createNoopLogger(), rateLimitPercent: 1_000_000, ...(await options(producerModule, core, aggregation, client)) });
    await producer.start();
    const prefix = `r${run++}`;
    const cpu = process.cpuUsage();
    const started = performance.now();
    if (workload === 'noop-put') {
      // Windows of 25,000 promises, at most four outstanding: put() as an application awaiting results uses it.
      const windows: Promise<unknown>[] = [];
      let window: Promise<unknown>[] = [];
      for (let i = 0; i < records; i++) {
        window.push(producer.put(RECORD, key(i, prefix)));
        if (window.length === 25_000) {
          windows.push(Promise.all(window));
          window = [];
          if (windows.length === 4) await windows.shift();
        }
      }
      await Promise.all([...windows, Promise.all(window)]);
    } else {
      for (let i = 0; i < records; i++) await producer.send(RECORD, key(i, prefix));
      await producer.flush();
    }
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - started) / 1000;
    await producer.close();
    return { cpu: records / ((used.user + used.system) / 1e6), wall: records / seconds };
  };
  await measure(Math.min(RECORDS, 100_000));
  const result = await measure(RECORDS);
  client?.destroy();
  console.log(JSON.stringify({ ...result, records: RECORDS }));
}

async function options(producer: ProducerModule, core: CoreModule, aggregation: AggregationModule, client: KinesisClient | undefined): Promise<Record<string, unknown>> {
  if (client) {
    const streamName = uniqueName('ba');
    await createStream(client, streamName, 4);
    // kinesalite concatenates a request body chunk by chunk, quadratic in its size: 1 MiB calls, as the producer bench uses.
    return { streamName, client, maxBatchBytes: 1_048_576 };
  }
  const map = new aggregation.ShardMap(core.evenHashKeyRanges(4).map((range, i) => ({ shardId: `shardId-${i}`, range, open: true })));
  let sequence = 0;
  const putter = {
    putRecords: async (request: { records: { PartitionKey: string; ExplicitHashKey?: string }[] }) => ({
      records: request.records.map((r) => ({ shardId: map.shardForRecord(r.PartitionKey, r.ExplicitHashKey)!.shardId, sequenceNumber: String(++sequence) })),
    }),
  };
  return { streamName: 'noop', putter, shardMapSource: producer.staticShardMapSource(map) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
