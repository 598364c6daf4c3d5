/**
 * The worker bench's `limits` part (see worker.bench.ts): the Worker against Kinesis's read limits,
 * kinesalite in a child process behind testkit's limits front (5 GetRecords calls/s and 2 MiB/s per
 * shard, AWS's values), next to a raw GetRecords loop at the same concurrency (one per shard).
 *
 * 1. Catch-up: a backlog of 1,000-byte records on a 2-shard stream (written past the front, not
 *    timed), read from TRIM_HORIZON with GetRecords Limit 10,000 (both defaults) by one Worker
 *    (defaults: handler + auto-checkpoint, fresh lease table) and by the raw loop (back-to-back, 200 ms
 *    after a throttle). A 10 MB answer is allowed at once and then blocks its shard for 5 s, so the
 *    rate counts, per shard, the records after the first answer over the time from the first answer
 *    to the last record: the sustained rate, comparable with the limit. Alternating rounds, the read
 *    debt let run out between runs, medians; the ratio is the median of per-round ratios.
 * 2. Latency put → handler at the Worker's default idle time (1 s between calls once caught up): one
 *    record every 50 ms put through the front, read from LATEST once the worker holds every lease;
 *    p50/p99 next to the raw loop calling GetRecords every 200 ms (the 5 calls/s limit).
 */
import { type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, createKinesisClient } from '@shardline/core';
import {
  countingReadCalls,
  createStream,
  latencyOf,
  listAllShards,
  printLatency,
  printCatchUp,
  produceTimestamped,
  putAll,
  rawCatchUp,
  rawLatency,
  type ReadCalls,
  ShardClock,
  uniqueName,
} from '@shardline/testkit';
import { randomBytes } from 'node:crypto';
import { Worker } from '../src';

/** Where the part runs: the limits front, kinesalite behind it (for setup), dynalite. */
export interface LimitedEndpoints {
  readonly kinesis: string;
  readonly kinesisUnlimited: string;
  readonly dynamodb: string;
}

type Print = (name: string, value: number, unit: string, conditions: string) => void;

const PER_SHARD = Number(process.env.BENCH_LIMITED_RECORDS_PER_SHARD ?? 30_000);
const ROUNDS = Number(process.env.BENCH_LIMITED_ROUNDS ?? 3);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 8_000);
const SHARDS = 2;
const DATA_BYTES = 1_000;
const KEY_CHARS = 16;
const RECORD_BYTES = DATA_BYTES + KEY_CHARS;
const LIMIT_RECORDS_PER_S = Math.min(5 * 10_000, (2 * 1024 * 1024) / RECORD_BYTES) * SHARDS;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startWorker(e: LimitedEndpoints, streamName: string, initialPosition: 'TRIM_HORIZON' | 'LATEST', handler: (records: readonly { data: Buffer }[], shardId: string) => void) {
  const kinesis = createKinesisClient({ endpoint: e.kinesis, env: {}, maxAttempts: 1 });
  const dynamo = createDynamoDbClient({ endpoint: e.dynamodb, env: {} });
  const worker = new Worker({
    applicationName: uniqueName('bench-limits'),
    streamName,
    initialPosition,
    kinesisClient: kinesis,
    dynamoDbClient: dynamo,
    handler: (records, { shardId }) => handler(records, shardId),
  });
  let held = 0;
  let allHeld!: () => void;
  const holding = new Promise<void>((resolve) => (allHeld = resolve));
  worker.coordinator.on('leaseAcquired', () => void (++held === SHARDS && allHeld()));
  await worker.start();
  await holding;
  return {
    stop: async (): Promise<void> => {
      await worker.stop();
      kinesis.destroy();
      dynamo.destroy();
    },
  };
}

async function workerCatchUp(e: LimitedEndpoints, streamName: string): Promise<number> {
  const clock = new ShardClock();
  const expected = PER_SHARD * SHARDS;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  let n = 0;
  const w = await startWorker(e, streamName, 'TRIM_HORIZON', (records, shardId) => {
    clock.seen(shardId, records.length);
    if ((n += records.length) >= expected) done();
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`worker delivered ${n} of ${expected}`)), 120_000)))]);
  } finally {
    clearTimeout(timer);
    await w.stop();
  }
  return clock.rate();
}

async function workerLatency(e: LimitedEndpoints, streamName: string, producer: KinesisClient): Promise<number[]> {
  const samples: number[] = [];
  const w = await startWorker(e, streamName, 'LATEST', (records) => {
    const now = performance.now();
    for (const r of records) samples.push(latencyOf(r.data, now));
  });
  try {
    await sleep(2_000); // every shard's first GetRecords (at LATEST) has been made
    const sent = await produceTimestamped(producer, streamName, LATENCY_MS);
    await sleep(2_500);
    if (samples.length !== sent) throw new Error(`worker saw ${samples.length} of ${sent} records`);
  } finally {
    await w.stop();
  }
  return samples;
}

/** Runs the part; prints its lines with `print`. */
export async function limitedRecords(e: LimitedEndpoints, print: Print): Promise<void> {
  const setup = createKinesisClient({ endpoint: e.kinesisUnlimited, env: {}, maxAttempts: 3 });
  const limited = (): KinesisClient => createKinesisClient({ endpoint: e.kinesis, env: {}, maxAttempts: 1 });
  try {
    const streamName = uniqueName('bench-limits');
    await createStream(setup, streamName, SHARDS);
    const shards = await listAllShards(setup, streamName);
    const pool = randomBytes(DATA_BYTES + 64);
    const entries: PutRecordsRequestEntry[] = [];
    for (const shard of shards) {
      for (let i = 0; i < PER_SHARD; i++)
        entries.push({ PartitionKey: randomBytes(KEY_CHARS / 2).toString('hex'), ExplicitHashKey: shard.HashKeyRange!.StartingHashKey, Data: pool.subarray(i % 64, (i % 64) + DATA_BYTES) });
    }
    await putAll(setup, streamName, entries);
    const shardIds = shards.map((s) => s.ShardId!);
    const rates = { raw: [] as number[], worker: [] as number[] };
    // GetRecords calls and throttles of each contender, from the front's counters around its runs.
    const calls: Record<'raw' | 'worker', ReadCalls> = { raw: { calls: 0, throttled: 0 }, worker: { calls: 0, throttled: 0 } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 === 0 ? (['raw', 'worker'] as const) : (['worker', 'raw'] as const)) {
        await sleep(5_500); // the last 10 MB answer's read debt runs out first
        if (name === 'worker') rates.worker.push(await countingReadCalls(e.kinesis, calls.worker, () => workerCatchUp(e, streamName)));
        else {
          const k = limited();
          try {
            rates.raw.push(await countingReadCalls(e.kinesis, calls.raw, () => rawCatchUp(k, streamName, shardIds, PER_SHARD)));
          } finally {
            k.destroy();
          }
        }
      }
      console.error(`limits round ${round + 1}: raw ${rates.raw[round]!.toFixed(0)} records/s, worker ${rates.worker[round]!.toFixed(0)} records/s (limit ${LIMIT_RECORDS_PER_S.toFixed(0)})`);
    }
    const conditions = `${SHARDS} shards, ${PER_SHARD} records of ${DATA_BYTES} B per shard from TRIM_HORIZON, Limit 10,000, limits enforced (5 GetRecords/s and 2 MiB/s per shard), kinesalite + limits front and dynalite in their own processes, median of ${ROUNDS} alternating rounds; sustained rate after the first answer`;
    printCatchUp(print, {
      label: 'worker-limited',
      who: 'worker',
      describe: 'one Worker, defaults (handler + auto-checkpoint)',
      ours: rates.worker,
      raw: rates.raw,
      calls: { ours: calls.worker, raw: calls.raw },
      conditions,
      limitRecordsPerS: LIMIT_RECORDS_PER_S,
      limitText: `2 MiB/s per shard x ${SHARDS} / ${RECORD_BYTES} B`,
    });

    const live = uniqueName('bench-latency');
    await createStream(setup, live, SHARDS);
    const liveShards = (await listAllShards(setup, live)).map((s) => s.ShardId!);
    const latency = { raw: [] as number[], worker: [] as number[] };
    for (let round = 0; round < 2; round++) {
      for (const name of round % 2 === 0 ? (['worker', 'raw'] as const) : (['raw', 'worker'] as const)) {
        const k = limited();
        try {
          latency[name].push(...(name === 'worker' ? await workerLatency(e, live, k) : await rawLatency(k, live, liveShards, LATENCY_MS)));
        } finally {
          k.destroy();
        }
      }
    }
    const lat = `one 100 B record every 50 ms through the limits front, ${SHARDS} shards, read from LATEST, ${latency.worker.length} samples over 2 alternating runs; kinesalite + limits front in their own process`;
    printLatency(print, 'worker-latency', 'Worker', latency.worker, latency.raw, lat);
  } finally {
    setup.destroy();
  }
}
