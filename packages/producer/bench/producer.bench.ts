// Producer throughput, same run, same emulator process:
//   - a raw SDK PutRecords loop (500 unaggregated 100 B records per call, one call at a time),
//   - the producer (100 B records, unique keys, 4 shards) through send() and through put(),
//   - the in-process pipeline with a Putter that answers at once (no I/O).
//
// kinesalite runs in a child process for both sides, so that the producer's CPU is not shared with
// the emulator's and both are measured the same way. Two settings differ from the defaults, both
// because of kinesalite, not the producer: the per-shard rate limit is lifted (kinesalite never
// throttles, and the default 150 % of 1 MiB/s per shard would measure the limiter, not the
// pipeline — a separate line shows it), and PutRecords calls are capped at 1 MiB (kinesalite
// concatenates a request body chunk by chunk, quadratic in its size).
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient, createNoopLogger, evenHashKeyRanges } from '@shardline/core';
import { ShardMap } from '@shardline/kpl-aggregation';
import { createStream, uniqueName } from '@shardline/testkit';
import { Producer, type ProducerOptions, type Putter, type PutResult, staticShardMapSource } from '../src';

const RECORD = Buffer.alloc(100, 0x61);
const SHARDS = 4;
const RAW_RECORDS = Number(process.env.BENCH_RAW_RECORDS ?? 60_000);
const PRODUCER_RECORDS = Number(process.env.BENCH_PRODUCER_RECORDS ?? 1_000_000);
const LIMITED_RECORDS = Number(process.env.BENCH_LIMITED_RECORDS ?? 200_000);
const NOOP_RECORDS = Number(process.env.BENCH_NOOP_RECORDS ?? 1_000_000);

/** Unique, short partition keys (base 36 of a counter), the same for every contender. */
const key = (i: number, prefix: string): string => prefix + i.toString(36);

function print(name: string, value: number, unit: string): void {
  const shown = value >= 100 ? Math.round(value).toString() : value.toFixed(1);
  console.log(`bench: ${name} ${shown} ${unit}`);
}

async function startKinesalite(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=shardline-source', path.join(__dirname, 'kinesaliteServer.ts')], {
    cwd: path.join(__dirname, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { endpoint: string }).endpoint));
  });
  return { endpoint, child };
}

async function newStream(client: KinesisClient, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await createStream(client, name, SHARDS);
  return name;
}

/** Records per second of the raw loop: one PutRecords of 500 records at a time. */
async function rawPutRecords(client: KinesisClient, records: number): Promise<number> {
  const streamName = await newStream(client, 'raw');
  const started = performance.now();
  for (let i = 0; i < records; i += 500) {
    const Records = Array.from({ length: 500 }, (_, j) => ({ PartitionKey: key(i + j, 'r'), Data: RECORD }));
    const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records }));
    if (out.FailedRecordCount) throw new Error(`raw loop: ${out.FailedRecordCount} records failed`);
  }
  return records / ((performance.now() - started) / 1000);
}

type Offer = 'send' | 'put';

/** Offers `records` through send() (awaiting acceptance) or put() (awaiting every result, 100k in flight). */
async function offer(producer: Producer, records: number, how: Offer, prefix: string): Promise<void> {
  if (how === 'send') {
    for (let i = 0; i < records; i++) await producer.send(RECORD, key(i, prefix));
    await producer.flush();
    return;
  }
  const windows: Promise<PutResult[]>[] = [];
  let window: Promise<PutResult>[] = [];
  for (let i = 0; i < records; i++) {
    window.push(producer.put(RECORD, key(i, prefix)));
    if (window.length === 25_000) {
      windows.push(Promise.all(window));
      window = [];
      if (windows.length === 4) await windows.shift();
    }
  }
  await Promise.all([...windows, Promise.all(window)]);
}

async function producerRun(options: ProducerOptions, records: number, how: Offer, prefix: string): Promise<number> {
  const producer = new Producer({ logger: createNoopLogger(), ...options });
  await producer.start();
  const started = performance.now();
  await offer(producer, records, how, prefix);
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

async function main(): Promise<void> {
  const kinesalite = await startKinesalite();
  const client = createKinesisClient({ endpoint: kinesalite.endpoint, env: {}, maxAttempts: 1 });
  try {
    const onKinesalite = async (streamName: string): Promise<ProducerOptions> => ({ streamName, client, rateLimitPercent: 1_000_000, maxBatchBytes: 1024 * 1024 });
    // Warm up both paths (JIT, sockets) before measuring.
    await rawPutRecords(client, 5_000);
    await producerRun(await onKinesalite(await newStream(client, 'warm')), 100_000, 'send', 'w');

    const raw = await rawPutRecords(client, RAW_RECORDS);
    print('raw-putrecords-kinesalite', raw, 'records/s');
    const viaSend = await producerRun(await onKinesalite(await newStream(client, 'send')), PRODUCER_RECORDS, 'send', 's');
    print('producer-kinesalite', viaSend, 'records/s');
    print('producer-vs-raw-putrecords', viaSend / raw, 'x');
    const viaPut = await producerRun(await onKinesalite(await newStream(client, 'put')), PRODUCER_RECORDS / 2, 'put', 'p');
    print('producer-put-kinesalite', viaPut, 'records/s');
    print('producer-put-vs-raw-putrecords', viaPut / raw, 'x');
    const limited = await producerRun({ streamName: await newStream(client, 'limited'), client, maxBatchBytes: 1024 * 1024 }, LIMITED_RECORDS, 'send', 'l');
    print('producer-kinesalite-default-rate-limit', limited, 'records/s');
  } finally {
    client.destroy();
    kinesalite.child.stdin!.end();
  }

  const map = new ShardMap(evenHashKeyRanges(SHARDS).map((range, i) => ({ shardId: `shardId-${i}`, range, open: true })));
  const noop = (): ProducerOptions => ({ streamName: 'noop', putter: noopPutter(map), shardMapSource: staticShardMapSource(map), rateLimitPercent: 1_000_000 });
  const bytesPerRecord = RECORD.length + key(NOOP_RECORDS, 'n').length;
  await producerRun(noop(), 200_000, 'send', 'w');
  const noopSend = await producerRun(noop(), NOOP_RECORDS, 'send', 'n');
  print('producer-pipeline-noop', noopSend, 'records/s');
  print('producer-pipeline-noop', (noopSend * bytesPerRecord) / 1e6, 'MB/s');
  const noopPut = await producerRun(noop(), NOOP_RECORDS, 'put', 'n');
  print('producer-pipeline-noop-put', noopPut, 'records/s');
  print('producer-pipeline-noop-put', (noopPut * bytesPerRecord) / 1e6, 'MB/s');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
