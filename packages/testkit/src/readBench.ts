// Shared pieces of the read benchmarks (the poller's and the worker's) against testkit's limits
// front: setup writes, the raw GetRecords loops a consumer is compared with, timestamped puts for
// latency, and the statistics. Bench code, not used by tests.
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';
import { fetchLimitsStats } from './limits';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const isThrottle = (error: unknown): boolean => (error as { name?: string }).name === 'ProvisionedThroughputExceededException';

/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The `p`th percentile (nearest rank) of `values` (NaN when empty). */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/**
 * Puts entries in calls of at most 500 records and 1 MiB (kinesalite concatenates a request body
 * chunk by chunk), 4 in flight, retrying a failed call (setup, not measured); returns how many
 * landed on each shard.
 */
export async function putAll(kinesis: KinesisClient, streamName: string, entries: PutRecordsRequestEntry[]): Promise<Map<string, number>> {
  const chunks: PutRecordsRequestEntry[][] = [];
  let chunk: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = e.Data!.length + e.PartitionKey!.length;
    if (chunk.length === 500 || (chunk.length > 0 && bytes + size > 1024 * 1024)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(e);
    bytes += size;
  }
  if (chunk.length) chunks.push(chunk);
  const perShard = new Map<string, number>();
  const putter = async (): Promise<void> => {
    for (let c = chunks.shift(); c; c = chunks.shift()) {
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: c }));
          if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
          for (const r of out.Records ?? []) perShard.set(r.ShardId!, (perShard.get(r.ShardId!) ?? 0) + 1);
          break;
        } catch (error) {
          if (attempt >= 5) throw error;
          await sleep(100 * attempt);
        }
      }
    }
  };
  await Promise.all([putter(), putter(), putter(), putter()]);
  return perShard;
}

/** Per shard: records after the first answer over the time from the first answer to the last record. */
export class ShardClock {
  private first = new Map<string, { at: number; records: number }>();
  private last = new Map<string, { at: number; total: number }>();

  seen(shardId: string, records: number, at = performance.now()): void {
    if (records === 0) return;
    if (!this.first.has(shardId)) this.first.set(shardId, { at, records });
    const l = this.last.get(shardId);
    this.last.set(shardId, { at, total: (l?.total ?? 0) + records });
  }

  total(): number {
    return [...this.last.values()].reduce((s, l) => s + l.total, 0);
  }

  /** Sum over shards of each shard's sustained records/s. */
  rate(): number {
    let sum = 0;
    for (const [shardId, f] of this.first) {
      const l = this.last.get(shardId)!;
      if (l.at > f.at) sum += (l.total - f.records) / ((l.at - f.at) / 1000);
    }
    return sum;
  }
}

/** The raw loop: per shard, GetRecords back-to-back from TRIM_HORIZON, 200 ms after a throttle. */
export async function rawCatchUp(kinesis: KinesisClient, streamName: string, shardIds: readonly string[], perShard: number): Promise<number> {
  const clock = new ShardClock();
  await Promise.all(
    shardIds.map(async (shardId) => {
      let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      let n = 0;
      while (n < perShard) {
        try {
          const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
          const got = out.Records?.length ?? 0;
          n += got;
          clock.seen(shardId, got);
          iterator = out.NextShardIterator;
        } catch (error) {
          if (!isThrottle(error)) throw error;
          await sleep(200);
        }
      }
    }),
  );
  if (clock.total() !== perShard * shardIds.length) throw new Error(`raw loop read ${clock.total()}`);
  return clock.rate();
}

/** One record every 50 ms for `ms` (through the front), each carrying its put start time. */
export async function produceTimestamped(kinesis: KinesisClient, streamName: string, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let sent = 0;
  while (performance.now() < end) {
    const data = Buffer.alloc(100);
    data.writeDoubleLE(performance.now(), 0);
    await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: [{ PartitionKey: randomBytes(8).toString('hex'), Data: data }] }));
    sent++;
    await sleep(50);
  }
  return sent;
}

/** Put start (written by `produceTimestamped`) to `now`, in ms. */
export const latencyOf = (data: Uint8Array, now: number): number => now - Buffer.from(data.buffer, data.byteOffset, data.length).readDoubleLE(0);

/** The raw loop for latency: per shard, GetRecords every 200 ms (the 5 calls/s limit) from LATEST while `produceTimestamped` runs for `ms`. */
export async function rawLatency(kinesis: KinesisClient, streamName: string, shardIds: readonly string[], ms: number): Promise<number[]> {
  const samples: number[] = [];
  let stop = false;
  const loops = shardIds.map(async (shardId) => {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'LATEST' }))).ShardIterator;
    while (!stop) {
      const started = performance.now();
      try {
        const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const now = performance.now();
        for (const r of out.Records ?? []) samples.push(latencyOf(r.Data!, now));
        iterator = out.NextShardIterator;
      } catch (error) {
        if (!isThrottle(error)) throw error;
      }
      await sleep(Math.max(0, 200 - (performance.now() - started)));
    }
  });
  await sleep(2_000);
  const sent = await produceTimestamped(kinesis, streamName, ms);
  await sleep(1_000);
  stop = true;
  await Promise.all(loops);
  if (samples.length !== sent) throw new Error(`raw loop saw ${samples.length} of ${sent} records`);
  return samples;
}

/** GetRecords calls of one contender, and how many of them the limits front refused. */
export interface ReadCalls {
  calls: number;
  throttled: number;
}

/** Runs `run`, adding to `into` the GetRecords calls and refusals the limits front at `endpoint` counted meanwhile. */
export async function countingReadCalls<T>(endpoint: string, into: ReadCalls, run: () => Promise<T>): Promise<T> {
  const before = await fetchLimitsStats(endpoint);
  try {
    return await run();
  } finally {
    const after = await fetchLimitsStats(endpoint);
    into.calls += after.getRecordsCalls - before.getRecordsCalls;
    into.throttled += after.throttledGetRecords - before.throttledGetRecords;
  }
}

/** What {@link printCatchUp} reports: per-round records/s of one consumer and of the raw loop, with their GetRecords counts. */
export interface CatchUpResult {
  /** Line prefix (`poller-limited`) and the contender's name in the text (`poller`). */
  readonly label: string;
  readonly who: string;
  /** How the contender was configured, for its line. */
  readonly describe: string;
  readonly ours: readonly number[];
  readonly raw: readonly number[];
  readonly calls: { readonly ours: ReadCalls; readonly raw: ReadCalls };
  /** The shared conditions printed with every line. */
  readonly conditions: string;
  /** The read limit in records/s, and how it is computed, in words. */
  readonly limitRecordsPerS: number;
  readonly limitText: string;
}

/** The five catch-up lines of both read benches: ours, the raw loop, ours over raw, and each as a fraction of the read limit. */
export function printCatchUp(print: (name: string, value: number, unit: string, conditions: string) => void, r: CatchUpResult): void {
  const ours = median(r.ours);
  const raw = median(r.raw);
  const { label, conditions, limitRecordsPerS } = r;
  print(label, ours, 'records/s', `${r.describe}; ${conditions}`);
  print(`${label}-raw-getrecords`, raw, 'records/s', `raw loop, one per shard, GetRecords back-to-back, 200 ms after a throttle; ${conditions}`);
  print(`${label}-vs-raw-getrecords`, median(r.ours.map((v, i) => v / r.raw[i]!)), 'x', `raw GetRecords loop at the same concurrency (one per shard); ${conditions}`);
  const refused = `the front refused ${r.calls.ours.throttled} of the ${r.who}'s ${r.calls.ours.calls} GetRecords over all runs (raw loop: ${r.calls.raw.throttled} of ${r.calls.raw.calls})`;
  print(`${label}-vs-read-limit`, ours / limitRecordsPerS, 'x', `fraction of the read limit: ${limitRecordsPerS.toFixed(0)} records/s = ${r.limitText}; ${refused}`);
  print(`${label}-raw-getrecords-vs-read-limit`, raw / limitRecordsPerS, 'x', `the raw loop as a fraction of the read limit (${limitRecordsPerS.toFixed(0)} records/s)`);
}

/** The six latency lines of both read benches: p50 and p99 of ours (`label`, e.g. `poller-latency`), of the raw loop, and their ratios. */
export function printLatency(
  print: (name: string, value: number, unit: string, conditions: string) => void,
  label: string,
  who: string,
  ours: readonly number[],
  raw: readonly number[],
  conditions: string,
): void {
  for (const p of [50, 99]) {
    const [a, b] = [percentile(ours, p), percentile(raw, p)];
    print(`${label}-p${p}`, a, 'ms', `put start to handler, ${who} defaults${p === 50 ? ' (idle 1,000 ms between calls when caught up)' : ''}; ${conditions}`);
    print(`${label}-p${p}-raw-getrecords`, b, 'ms', `raw loop calling GetRecords every 200 ms${p === 50 ? ' (the 5 calls/s limit)' : ''}; ${conditions}`);
    print(`${label}-p${p}-vs-raw-getrecords`, a / b, 'x', `raw GetRecords every 200 ms; ours / raw (lower is faster); ${conditions}`);
  }
}
