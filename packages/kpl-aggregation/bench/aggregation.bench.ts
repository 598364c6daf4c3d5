/**
 * kpl-aggregation versus aws-kinesis-agg 4.2.8, same run, same records, one thread.
 * Prints `bench: <name> <value> <unit>` lines; ratios against the peer are in `x`.
 *   aggregation:   100 B records, unique 36-char keys, 50 KiB aggregates (target ≥ 4×)
 *   deaggregation: the same aggregates, MD5 verified (target ≥ 4×)
 *   shard-predicted aggregation over a 64-shard map vs its plain aggregation (target ≥ 2×)
 * MB/s figures sit next to node:crypto MD5 throughput on the same buffers (the physical limit).
 */
import * as crypto from 'node:crypto';
import { evenHashKeyRanges } from '@shardline/core';
import { Aggregator, Deaggregator, type KinesisRecord, ShardAggregator, ShardMap, type UserRecord } from '../src';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const agg = require('aws-kinesis-agg') as {
  RecordAggregator: new () => { aggregateRecords(records: object[], forceFlush: boolean, onReady: (err: Error | null, encoded?: { data: Buffer }) => void): void };
  aggregate(records: object[], handler: (encoded: { data: Buffer }, cb: (err?: Error) => void) => void, after: () => void, onError: (err: Error) => void): void;
  deaggregateSync(record: object, computeChecksums: boolean, cb: (err: Error | null, records?: unknown[]) => void): void;
};

const N = Number(process.env.BENCH_RECORDS ?? 100_000);
const REPS = Number(process.env.BENCH_REPS ?? 7);
const records: UserRecord[] = Array.from({ length: N }, () => ({ partitionKey: crypto.randomUUID(), data: crypto.randomBytes(100) }));
const theirInput = records.map((r) => ({ partitionKey: r.partitionKey, data: r.data }));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median seconds of `fn` over REPS runs after two warm-ups. */
function time(fn: () => unknown): number {
  for (let i = 0; i < 2; i++) fn();
  const runs: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return median(runs);
}

/** Median seconds of an async `fn`, as {@link time}. */
async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const runs: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const t = process.hrtime.bigint();
    await fn();
    runs.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return median(runs);
}

function print(name: string, value: number, unit: string): void {
  const digits = unit === 'x' ? 2 : value >= 100 ? 0 : 1;
  console.log(`bench: ${name} ${value.toFixed(digits)} ${unit}`);
}

// --- aggregation -------------------------------------------------------------------------------
let ours: KinesisRecord[] = [];
const oursAggregate = () => {
  const aggregator = new Aggregator({ maxAggregateBytes: 51_200 });
  const out: KinesisRecord[] = [];
  for (const r of records) {
    const done = aggregator.add(r);
    if (done) out.push(done);
  }
  out.push(aggregator.flush()!);
  ours = out;
};
oursAggregate();
// aws-kinesis-agg's documented API, `aggregate()`: its only size is ~1 MiB (no 50 KiB option).
const theirsAggregate = () =>
  new Promise<void>((resolve, reject) => {
    let bytes = 0;
    agg.aggregate(theirInput, (encoded, cb) => ((bytes += encoded.data.length), cb()), () => (bytes > 0 ? resolve() : reject(new Error('nothing aggregated'))), reject);
  });
// Its RecordAggregator fed exactly the groups we pack into 50 KiB (its fastest use, not documented).
const groups: object[][] = [];
for (let i = 0, k = 0; k < ours.length; k++) {
  groups.push(theirInput.slice(i, i + ours[k]!.userRecords.length));
  i += ours[k]!.userRecords.length;
}
const theirsAggregateChunked = () => {
  const out: Buffer[] = [];
  for (const g of groups) new agg.RecordAggregator().aggregateRecords(g, true, (err, e) => (err ? (() => { throw err; })() : out.push(e!.data)));
  return out;
};
const aggregateBytes = ours.reduce((s, k) => s + k.data.length, 0);

async function main(): Promise<void> {
const tOurAgg = time(oursAggregate);
const tTheirAgg = await timeAsync(theirsAggregate);
const tTheirChunked = time(theirsAggregateChunked);
print('aggregate-shardline', N / tOurAgg, 'records/s');
print('aggregate-aws-kinesis-agg', N / tTheirAgg, 'records/s');
print('aggregate-vs-aws-kinesis-agg', tTheirAgg / tOurAgg, 'x');
print('aggregate-aws-kinesis-agg-recordaggregator-50k-groups', N / tTheirChunked, 'records/s');
print('aggregate-vs-aws-kinesis-agg-recordaggregator-50k-groups', tTheirChunked / tOurAgg, 'x');
print('aggregate-shardline-throughput', aggregateBytes / tOurAgg / 1e6, 'MB/s');

// --- deaggregation -------------------------------------------------------------------------------
const sdkRecords = ours.map((k, i) => ({ Data: new Uint8Array(k.data), PartitionKey: k.partitionKey, SequenceNumber: String(49590338271490256608559692538361571095921575989136588898n + BigInt(i)) }));
const oursDeaggregate = () => {
  const d = new Deaggregator({ verifyChecksum: true });
  let n = 0;
  for (const r of sdkRecords) for (const u of d.deaggregate(r)) n += u.data.length > -1 ? 1 : 0;
  if (n !== N) throw new Error(`deaggregated ${n} of ${N}`);
};
const theirsDeaggregate = () => {
  let n = 0;
  for (const r of sdkRecords) agg.deaggregateSync(r, true, (err, out) => (err ? (() => { throw err; })() : (n += out!.length)));
  if (n !== N) throw new Error(`aws-kinesis-agg deaggregated ${n} of ${N}`);
};
const tOurDe = time(oursDeaggregate);
const tTheirDe = time(theirsDeaggregate);
print('deaggregate-shardline', N / tOurDe, 'records/s');
print('deaggregate-aws-kinesis-agg', N / tTheirDe, 'records/s');
print('deaggregate-vs-aws-kinesis-agg', tTheirDe / tOurDe, 'x');
print('deaggregate-shardline-throughput', aggregateBytes / tOurDe / 1e6, 'MB/s');

// --- the physical limit: MD5 over the same aggregates ---------------------------------------------
const tMd5 = time(() => {
  for (const k of ours) crypto.createHash('md5').update(k.data).digest();
});
print('md5-node-crypto-throughput', aggregateBytes / tMd5 / 1e6, 'MB/s');

// --- aggregation with shard prediction over 64 shards ---------------------------------------------
const map = new ShardMap(evenHashKeyRanges(64).map((range, i) => ({ shardId: `shardId-${String(i).padStart(12, '0')}`, range, open: true })));
const oursSharded = () => {
  const aggregator = new ShardAggregator(map, { maxAggregateBytes: 51_200 });
  let n = 0;
  for (const r of records) if (aggregator.add(r)) n++;
  n += aggregator.flushAll().length;
  return n;
};
const tSharded = time(oursSharded);
print('aggregate-predicted-64-shards-shardline', N / tSharded, 'records/s');
print('aggregate-predicted-64-shards-vs-aws-kinesis-agg-plain', tTheirAgg / tSharded, 'x');
print('aggregate-predicted-64-shards-vs-aws-kinesis-agg-recordaggregator-50k-groups', tTheirChunked / tSharded, 'x');
}

void main();
