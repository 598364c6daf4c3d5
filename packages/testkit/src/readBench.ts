// Shared pieces of the read benchmarks (the poller's and the worker's) against testkit's limits
// front: setup writes, the raw GetRecords loops a consumer is compared with, timestamped puts for
// latency, and the statistics. Bench code, not used by tests.
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';

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

/** Puts entries in calls of at most 500 records and 1 MiB, 4 in flight, retrying a failed call (setup, not measured). */
export async function putAll(kinesis: KinesisClient, streamName: string, entries: PutRecordsRequestEntry[]): Promise<void> {
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
  const putter = async (): Promise<void> => {
    for (let c = chunks.shift(); c; c = chunks.shift()) {
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: c }));
          if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
          break;
        } catch (error) {
          if (attempt >= 5) throw error;
          await sleep(100 * attempt);
        }
      }
    }
  };
  await Promise.all([putter(), putter(), putter(), putter()]);
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
