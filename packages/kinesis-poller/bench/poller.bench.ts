/**
 * The Poller against Kinesis's read limits: kinesalite in a child process of its own behind
 * testkit's limits front (5 GetRecords calls/s and 2 MiB/s per shard, AWS's values, answered with
 * ProvisionedThroughputExceededException as Kinesis does), next to a raw GetRecords loop at the
 * same concurrency (one loop per shard). Prints `bench: <name> <value> <unit> -- <peer and conditions>`.
 *
 * 1. Catch-up throughput: a backlog of 1,000-byte records (16-char keys) on a 2-shard stream, written
 *    beforehand past the front (not limited, not timed), read from TRIM_HORIZON with GetRecords
 *    Limit 10,000 (the default of both) by the Poller (its defaults, no-op handler) and by the raw
 *    loop (GetRecords back-to-back, 200 ms after a throttle — the best a simple loop can pace
 *    itself). A 10 MB answer is allowed at once and then blocks its shard for 5 s (the documented
 *    behaviour), so the rate counts, per shard, the records after the first answer over the time
 *    from the first answer to the last record: the sustained rate, comparable with the limit.
 *    Shown as records/s and as a fraction of the read limit (2 MiB/s per shard over these records).
 *    Rounds alternate who goes first; the shard's read debt is let run out between runs; medians,
 *    ratios are medians of per-round ratios.
 * 2. Latency put → handler at the Poller's default idle time (1 s between calls once caught up):
 *    one PutRecords of one record every 50 ms through the front, read from LATEST; p50 and p99 of
 *    handler time − put start (same process clock), next to the raw loop calling GetRecords every
 *    200 ms (the 5 calls/s limit) and handing records over on return. One consumer at a time (both
 *    share the shard's call budget on AWS too), alternating.
 *
 * BENCH_RECORDS_PER_SHARD (30,000: three full answers), BENCH_ROUNDS (3), BENCH_LATENCY_MS (8,000 per run).
 */
import { type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '@shardline/core';
import {
  createStream,
  fetchLimitsStats,
  listAllShards,
  startEmulatorProcess,
  stopEmulatorProcess,
  uniqueName,
  latencyOf,
  median,
  percentile,
  produceTimestamped,
  putAll,
  rawCatchUp,
  rawLatency,
  ShardClock,
} from '@shardline/testkit';
import { randomBytes } from 'node:crypto';
import { Poller } from '../src';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const PER_SHARD = Number(process.env.BENCH_RECORDS_PER_SHARD ?? 30_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 8_000);
const SHARDS = 2;
const DATA_BYTES = 1_000;
const KEY_CHARS = 16;
const READ_BYTES_PER_S = 2 * 1024 * 1024;
const RECORD_BYTES = DATA_BYTES + KEY_CHARS;
/** The read limit in these records: the byte limit binds (5 calls × 10,000 records would allow more). */
const LIMIT_RECORDS_PER_S = Math.min(5 * 10_000, READ_BYTES_PER_S / RECORD_BYTES) * SHARDS;

function print(name: string, value: number, unit: string, conditions: string): void {
  const digits = unit === 'x' ? 2 : Math.abs(value) >= 100 ? 0 : 1;
  console.log(`bench: ${name} ${value.toFixed(digits)} ${unit} -- ${conditions}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The Poller with its defaults from TRIM_HORIZON, no-op handler, until the backlog is read. */
async function pollerCatchUp(kinesis: KinesisClient, streamName: string): Promise<number> {
  const clock = new ShardClock();
  const expected = PER_SHARD * SHARDS;
  const poller = new Poller({ client: kinesis, streamName, startingPosition: 'TRIM_HORIZON', shardSyncIntervalMs: 0 });
  let n = 0;
  await poller.run((batch) => {
    clock.seen(batch.shardId, batch.records.length);
    n += batch.records.length;
    if (n >= expected) void poller.stop();
  });
  if (n !== expected) throw new Error(`poller read ${n} of ${expected}`);
  return clock.rate();
}

async function pollerLatency(kinesis: KinesisClient, streamName: string): Promise<number[]> {
  const samples: number[] = [];
  const poller = new Poller({ client: kinesis, streamName, startingPosition: 'LATEST', shardSyncIntervalMs: 0 });
  const running = poller.run((batch) => {
    const now = performance.now();
    for (const r of batch.records) samples.push(latencyOf(r.data, now));
  });
  await sleep(2_000); // its iterators are taken at LATEST before anything is put
  const sent = await produceTimestamped(kinesis, streamName, LATENCY_MS);
  await sleep(2_500);
  await poller.stop();
  await running;
  if (samples.length !== sent) throw new Error(`poller saw ${samples.length} of ${sent} records`);
  return samples;
}

async function main(): Promise<void> {
  const started = performance.now();
  const kinesalite = await startEmulatorProcess('kinesis', { limits: true });
  const limited = (): KinesisClient => createKinesisClient({ endpoint: kinesalite.endpoint, env: {}, maxAttempts: 1 });
  const setup = createKinesisClient({ endpoint: kinesalite.unlimitedEndpoint, env: {}, maxAttempts: 3 });
  try {
    // --- 1. catch-up throughput under the read limits ---------------------------------------
    const streamName = uniqueName('bench-limits');
    await createStream(setup, streamName, SHARDS);
    const shardIds = (await listAllShards(setup, streamName)).map((s) => s.ShardId!);
    const pool = randomBytes(DATA_BYTES + 64);
    const entries: PutRecordsRequestEntry[] = [];
    for (const shardId of shardIds) {
      const range = (await listAllShards(setup, streamName)).find((s) => s.ShardId === shardId)!.HashKeyRange!;
      for (let i = 0; i < PER_SHARD; i++)
        entries.push({ PartitionKey: randomBytes(KEY_CHARS / 2).toString('hex'), ExplicitHashKey: range.StartingHashKey, Data: pool.subarray(i % 64, (i % 64) + DATA_BYTES) });
    }
    const putStarted = performance.now();
    await putAll(setup, streamName, entries);
    console.error(`put ${entries.length} records of ${DATA_BYTES} B in ${((performance.now() - putStarted) / 1000).toFixed(1)} s (unlimited endpoint)`);
    const rates = { raw: [] as number[], poller: [] as number[] };
    // GetRecords calls and throttles of each contender, from the front's counters around its runs.
    const calls = { raw: { calls: 0, throttled: 0 }, poller: { calls: 0, throttled: 0 } };
    const contenders = [
      ['raw', (k: KinesisClient) => rawCatchUp(k, streamName, shardIds, PER_SHARD)],
      ['poller', (k: KinesisClient) => pollerCatchUp(k, streamName)],
    ] as const;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        await sleep(5_500); // the last 10 MB answer's read debt (5 s at 2 MiB/s) runs out first
        const k = limited();
        const before = await fetchLimitsStats(kinesalite.endpoint);
        try {
          rates[name].push(await run(k));
        } finally {
          k.destroy();
        }
        const after = await fetchLimitsStats(kinesalite.endpoint);
        calls[name].calls += after.getRecordsCalls - before.getRecordsCalls;
        calls[name].throttled += after.throttledGetRecords - before.throttledGetRecords;
      }
      console.error(`round ${round + 1}: raw ${rates.raw[round]!.toFixed(0)} records/s, poller ${rates.poller[round]!.toFixed(0)} records/s (limit ${LIMIT_RECORDS_PER_S.toFixed(0)})`);
    }
    const conditions = `${SHARDS} shards, ${PER_SHARD} records of ${DATA_BYTES} B per shard from TRIM_HORIZON, Limit 10,000, limits enforced (5 GetRecords/s and 2 MiB/s per shard), kinesalite + limits front in their own process, median of ${ROUNDS} alternating rounds; sustained rate after the first answer`;
    const poller = median(rates.poller);
    const raw = median(rates.raw);
    print('poller-limited', poller, 'records/s', `Poller defaults; ${conditions}`);
    print('poller-limited-raw-getrecords', raw, 'records/s', `raw loop, one per shard, GetRecords back-to-back, 200 ms after a throttle; ${conditions}`);
    print('poller-limited-vs-raw-getrecords', median(rates.poller.map((p, i) => p / rates.raw[i]!)), 'x', `raw GetRecords loop at the same concurrency (one per shard); ${conditions}`);
    print(
      'poller-limited-vs-read-limit',
      poller / LIMIT_RECORDS_PER_S,
      'x',
      `fraction of the read limit: ${LIMIT_RECORDS_PER_S.toFixed(0)} records/s = 2 MiB/s per shard x ${SHARDS} / ${RECORD_BYTES} B; the front refused ${calls.poller.throttled} of the poller's ${calls.poller.calls} GetRecords over all runs (raw loop: ${calls.raw.throttled} of ${calls.raw.calls})`,
    );
    print('poller-limited-raw-getrecords-vs-read-limit', raw / LIMIT_RECORDS_PER_S, 'x', `the raw loop as a fraction of the read limit (${LIMIT_RECORDS_PER_S.toFixed(0)} records/s)`);

    // --- 2. latency put → handler ---------------------------------------------------------------
    const live = uniqueName('bench-latency');
    await createStream(setup, live, SHARDS);
    const liveShards = (await listAllShards(setup, live)).map((s) => s.ShardId!);
    const latency = { raw: [] as number[], poller: [] as number[] };
    for (let round = 0; round < 2; round++) {
      const order = round % 2 === 0 ? (['poller', 'raw'] as const) : (['raw', 'poller'] as const);
      for (const name of order) {
        const k = limited();
        try {
          latency[name].push(...(name === 'poller' ? await pollerLatency(k, live) : await rawLatency(k, live, liveShards, LATENCY_MS)));
        } finally {
          k.destroy();
        }
      }
    }
    const lat = `one 100 B record every 50 ms through the limits front, ${SHARDS} shards, read from LATEST, ${latency.poller.length} samples over 2 alternating runs; kinesalite + limits front in their own process`;
    print('poller-latency-p50', percentile(latency.poller, 50), 'ms', `put start to handler, Poller defaults (idle 1,000 ms between calls when caught up); ${lat}`);
    print('poller-latency-p50-raw-getrecords', percentile(latency.raw, 50), 'ms', `raw loop calling GetRecords every 200 ms (the 5 calls/s limit); ${lat}`);
    print('poller-latency-p50-vs-raw-getrecords', percentile(latency.poller, 50) / percentile(latency.raw, 50), 'x', `raw GetRecords every 200 ms; ours / raw (lower is faster); ${lat}`);
    print('poller-latency-p99', percentile(latency.poller, 99), 'ms', `put start to handler, Poller defaults; ${lat}`);
    print('poller-latency-p99-raw-getrecords', percentile(latency.raw, 99), 'ms', `raw loop calling GetRecords every 200 ms; ${lat}`);
    print('poller-latency-p99-vs-raw-getrecords', percentile(latency.poller, 99) / percentile(latency.raw, 99), 'x', `raw GetRecords every 200 ms; ours / raw (lower is faster); ${lat}`);
  } finally {
    setup.destroy();
    await stopEmulatorProcess(kinesalite);
  }
  console.error(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
