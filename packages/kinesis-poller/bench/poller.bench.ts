/**
 * Records/s through the Poller (handler does nothing) versus a raw GetRecords loop on the same
 * stream, in the same run, against kinesalite in this process. Prints `bench: <name> <value> <unit>`.
 *   poller-plain / raw-getrecords: 100 B plain records over 4 shards, both reading every shard in
 *     parallel from TRIM_HORIZON with Limit 10,000; the raw loop calls GetRecords back-to-back with
 *     NextShardIterator. Rounds alternate; the best round of each counts (target ≥ 0.9×).
 *   poller-aggregated: 100 B user records in ~50 KiB KPL aggregates, deaggregated (MD5 verified).
 * BENCH_RECORDS (default 200,000) and BENCH_ROUNDS (default 5) tune the run.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '@shardline/core';
import { type KinesisRecord, ShardAggregator, ShardMap, type UserRecord } from '@shardline/kpl-aggregation';
import { createStream, startEmulators } from '@shardline/testkit';
import { randomBytes } from 'node:crypto';
import { Poller } from '../src';

const N = Number(process.env.BENCH_RECORDS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SHARDS = 4;

function print(name: string, value: number, unit: string): void {
  const digits = unit === 'x' ? 2 : value >= 100 ? 0 : 1;
  console.log(`bench: ${name} ${value.toFixed(digits)} ${unit}`);
}

/**
 * Puts entries in calls of at most 500 records and 4 MB, 4 calls in flight, retrying a failed
 * call (setup is not measured); returns how many landed on each shard.
 */
async function put(kinesis: KinesisClient, streamName: string, entries: PutRecordsRequestEntry[]): Promise<Map<string, number>> {
  const chunks: PutRecordsRequestEntry[][] = [];
  let chunk: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = e.Data!.length + e.PartitionKey!.length;
    if (chunk.length === 500 || bytes + size > 4_000_000) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(e);
    bytes += size;
  }
  if (chunk.length) chunks.push(chunk);
  const perShard = new Map<string, number>();
  const worker = async () => {
    for (let c = chunks.shift(); c; c = chunks.shift()) {
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: c }));
          if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
          for (const r of out.Records!) perShard.set(r.ShardId!, (perShard.get(r.ShardId!) ?? 0) + 1);
          break;
        } catch (error) {
          if (attempt >= 5) throw error;
          await new Promise((r) => setTimeout(r, 100 * attempt));
        }
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return perShard;
}

/** The raw loop: per shard, GetShardIterator then GetRecords back-to-back until the shard's records are read. */
async function rawLoop(kinesis: KinesisClient, streamName: string, perShard: Map<string, number>): Promise<number> {
  const started = performance.now();
  await Promise.all(
    [...perShard].map(async ([shardId, expected]) => {
      let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      let n = 0;
      while (n < expected) {
        const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        n += out.Records?.length ?? 0;
        iterator = out.NextShardIterator;
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** The poller from TRIM_HORIZON with a handler that only counts; seconds until `expected` records came. */
async function pollerRun(kinesis: KinesisClient, streamName: string, expected: number): Promise<number> {
  const started = performance.now();
  const poller = new Poller({ client: kinesis, streamName, startingPosition: 'TRIM_HORIZON', shardSyncIntervalMs: 0 });
  let n = 0;
  let elapsed = 0;
  await poller.run((batch) => {
    n += batch.records.length;
    if (n >= expected && elapsed === 0) {
      elapsed = (performance.now() - started) / 1000;
      void poller.stop();
    }
  });
  if (n !== expected) throw new Error(`poller read ${n} of ${expected}`);
  return elapsed;
}

async function main(): Promise<void> {
  const emulators = await startEmulators({ dynamodb: false });
  const client = () => createKinesisClient({ env: emulators.env, maxAttempts: 1 });
  const setup = client();
  try {
    // --- plain records -----------------------------------------------------------------------
    const plain = 'bench-plain';
    await createStream(setup, plain, SHARDS);
    const putStarted = performance.now();
    const perShard = await put(
      setup,
      plain,
      Array.from({ length: N }, () => ({ PartitionKey: randomBytes(8).toString('hex'), Data: randomBytes(100) })),
    );
    console.error(`put ${N} plain records in ${((performance.now() - putStarted) / 1000).toFixed(1)} s`);
    const raw: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const contenders = [
        [raw, (k: KinesisClient) => rawLoop(k, plain, perShard)],
        [ours, (k: KinesisClient) => pollerRun(k, plain, N)],
      ] as const;
      // Alternate who goes first, so that neither always runs on a warmer (or busier) machine.
      for (const [runs, run] of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        const k = client();
        runs.push(await run(k));
        k.destroy();
      }
      console.error(`round ${round + 1}: raw ${(N / raw[round]!).toFixed(0)} records/s, poller ${(N / ours[round]!).toFixed(0)} records/s`);
    }
    const bestRaw = Math.min(...raw);
    const bestOurs = Math.min(...ours);
    print('poller-plain', N / bestOurs, 'records/s');
    print('raw-getrecords', N / bestRaw, 'records/s');
    print('poller-vs-raw-getrecords', bestRaw / bestOurs, 'x');

    // --- aggregated records ------------------------------------------------------------------
    const aggregated = 'bench-aggregated';
    await createStream(setup, aggregated, SHARDS);
    const aggregator = new ShardAggregator<UserRecord>(await ShardMap.fromStream(setup, { streamName: aggregated }), { maxAggregateBytes: 51_200 });
    const kinesisRecords: KinesisRecord[] = [];
    for (let i = 0; i < N; i++) {
      const done = aggregator.add({ partitionKey: randomBytes(8).toString('hex'), data: randomBytes(100) });
      if (done) kinesisRecords.push(done);
    }
    kinesisRecords.push(...aggregator.flushAll());
    await put(
      setup,
      aggregated,
      kinesisRecords.map((k) => ({ PartitionKey: k.partitionKey, ExplicitHashKey: k.explicitHashKey, Data: k.data })),
    );
    const aggRuns: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const k = client();
      aggRuns.push(await pollerRun(k, aggregated, N));
      k.destroy();
    }
    print('poller-aggregated', N / Math.min(...aggRuns), 'user-records/s');
    console.error(`(${kinesisRecords.length} Kinesis records of ~${Math.round(N / kinesisRecords.length)} user records each)`);
  } finally {
    setup.destroy();
    await emulators.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
