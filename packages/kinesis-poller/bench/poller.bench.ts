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
  countingReadCalls,
  createStream,
  listAllShards,
  printCatchUp,
  type ReadCalls,
  startEmulatorProcess,
  stopEmulatorProcess,
  uniqueName,
  latencyOf,
  printLatency,
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
    const calls: Record<'raw' | 'poller', ReadCalls> = { raw: { calls: 0, throttled: 0 }, poller: { calls: 0, throttled: 0 } };
    const contenders = [
      ['raw', (k: KinesisClient) => rawCatchUp(k, streamName, shardIds, PER_SHARD)],
      ['poller', (k: KinesisClient) => pollerCatchUp(k, streamName)],
    ] as const;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        await sleep(5_500); // the last 10 MB answer's read debt (5 s at 2 MiB/s) runs out first
        const k = limited();
        try {
          rates[name].push(await countingReadCalls(kinesalite.endpoint, calls[name], () => run(k)));
        } finally {
          k.destroy();
        }
      }
      console.error(`round ${round + 1}: raw ${rates.raw[round]!.toFixed(0)} records/s, poller ${rates.poller[round]!.toFixed(0)} records/s (limit ${LIMIT_RECORDS_PER_S.toFixed(0)})`);
    }
    const conditions = `${SHARDS} shards, ${PER_SHARD} records of ${DATA_BYTES} B per shard from TRIM_HORIZON, Limit 10,000, limits enforced (5 GetRecords/s and 2 MiB/s per shard), kinesalite + limits front in their own process, median of ${ROUNDS} alternating rounds; sustained rate after the first answer`;
    printCatchUp(print, {
      label: 'poller-limited',
      who: 'poller',
      describe: 'Poller defaults',
      ours: rates.poller,
      raw: rates.raw,
      calls: { ours: calls.poller, raw: calls.raw },
      conditions,
      limitRecordsPerS: LIMIT_RECORDS_PER_S,
      limitText: `2 MiB/s per shard x ${SHARDS} / ${RECORD_BYTES} B`,
    });

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
    printLatency(print, 'poller-latency', 'Poller', latency.poller, latency.raw, lat);
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
