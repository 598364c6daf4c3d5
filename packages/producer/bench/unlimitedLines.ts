// The figures without Kinesis's limits: what kinesalite costs per record, and what the producer's
// pipeline does with no I/O at all. Neither predicts AWS throughput (the limited lines do).
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createNoopLogger, evenHashKeyRanges } from '@shardline/core';
import { ShardMap } from '@shardline/kpl-aggregation';
import { createStream, uniqueName } from '@shardline/testkit';
import { Producer, type ProducerOptions, type Putter, staticShardMapSource } from '../src';
import { key, print, RECORD, SHARDS, USER_RECORD_BYTES } from './benchSupport';

const RAW_RECORDS = Number(process.env.BENCH_RAW_RECORDS ?? 20_000);
const PRODUCER_RECORDS = Number(process.env.BENCH_PRODUCER_RECORDS ?? 300_000);
const NOOP_RECORDS = Number(process.env.BENCH_NOOP_RECORDS ?? 500_000);

async function newStream(client: KinesisClient, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await createStream(client, name, SHARDS);
  return name;
}

/** Records per second of a raw loop: one PutRecords of 500 unaggregated records at a time. */
async function rawPutRecords(client: KinesisClient, records: number): Promise<number> {
  const streamName = await newStream(client, 'raw');
  const started = performance.now();
  for (let i = 0; i < records; i += 500) {
    const Records = Array.from({ length: 500 }, (_, j) => ({ PartitionKey: key(i + j), Data: RECORD }));
    const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records }));
    if (out.FailedRecordCount) throw new Error(`raw loop: ${out.FailedRecordCount} records failed`);
  }
  return records / ((performance.now() - started) / 1000);
}

async function producerRun(options: ProducerOptions, records: number): Promise<number> {
  const producer = new Producer({ logger: createNoopLogger(), ...options });
  await producer.start();
  const started = performance.now();
  for (let i = 0; i < records; i++) await producer.send(RECORD, key(i));
  await producer.flush();
  const seconds = (performance.now() - started) / 1000;
  await producer.close();
  if (producer.outstanding !== 0) throw new Error('records left over');
  return records / seconds;
}

/** A Putter that writes nothing and answers at once, as Kinesis would route each entry. */
function noopPutter(map: ShardMap): Putter {
  let sequence = 0;
  return {
    putRecords: async (request) => ({
      records: request.records.map((r) => ({ shardId: map.shardForRecord(r.PartitionKey, r.ExplicitHashKey)!.shardId, sequenceNumber: String(++sequence) })),
    }),
  };
}

/** kinesalite without limits (behind no front): the emulator's per-record cost, and the producer's. */
export async function unlimitedKinesaliteLines(client: KinesisClient): Promise<void> {
  // kinesalite never throttles: the producer's limiter is lifted here, and calls are capped at 1 MiB
  // (kinesalite concatenates a request body chunk by chunk, quadratic in its size).
  const options = async (prefix: string): Promise<ProducerOptions> => ({ streamName: await newStream(client, prefix), client, rateLimitPercent: 1_000_000, maxBatchBytes: 1_048_576 });
  await rawPutRecords(client, 5_000);
  await producerRun(await options('warm'), 50_000);
  const conditions = `kinesalite without limits: measures kinesalite's per-record cost, not AWS (where ${SHARDS} shards cap raw writes at ${SHARDS * 1000} records/s); 100 B records, ${SHARDS} shards, kinesalite in a child process`;
  const raw = await rawPutRecords(client, RAW_RECORDS);
  print('raw-putrecords-kinesalite-unlimited', raw, 'records/s', `${conditions}; one unaggregated 500-record PutRecords at a time, ${RAW_RECORDS} records`);
  const producer = await producerRun(await options('unl'), PRODUCER_RECORDS);
  print('producer-kinesalite-unlimited', producer, 'records/s', `${conditions}; send(), rate limiter lifted, 1 MiB calls, ${PRODUCER_RECORDS} records`);
}

/** The in-process pipeline with a Putter that answers at once: the producer's own CPU cost per record. */
export async function noopPipelineLines(): Promise<void> {
  const map = new ShardMap(evenHashKeyRanges(SHARDS).map((range, i) => ({ shardId: `shardId-${i}`, range, open: true })));
  const noop = (): ProducerOptions => ({ streamName: 'noop', putter: noopPutter(map), shardMapSource: staticShardMapSource(map), rateLimitPercent: 1_000_000 });
  await producerRun(noop(), 100_000);
  const recordsPerSecond = await producerRun(noop(), NOOP_RECORDS);
  const conditions = `no I/O: a Putter that answers at once, rate limiter lifted; the producer's own CPU per record (aggregation, MD5, batching); send(), 100 B records, ${NOOP_RECORDS} records, no peer`;
  print('producer-pipeline-noop', recordsPerSecond, 'records/s', conditions);
  print('producer-pipeline-noop', (recordsPerSecond * USER_RECORD_BYTES) / 1e6, 'MB/s', conditions);
}
