/**
 * kpl-aggregation versus aws-kinesis-agg 4.2.8: same run, same records, one thread.
 * Prints `bench: <name> <value> <unit> -- <peer and conditions>`. Ratios are in `x`; `<figure>-vs-<peer>`
 * compares the `<figure>` line with the `<figure>-<peer>` line (see scripts/bench-results.mjs).
 *
 * Records: BENCH_RECORDS (100,000) user records of 100 random bytes with unique 36-character keys.
 * Both sides get the same limit: a Kinesis record (data + partition key) of at most 51,200 bytes,
 * the KPL's default AggregationMaxSize. aws-kinesis-agg has no size option (its `aggregate()` and
 * `aggregateRecords()` cut at ~1 MiB), so it is driven at 50 KiB through its RecordAggregator:
 *   - `aws-kinesis-agg-precut`: `aggregateRecords(group, true, cb)` on each group already cut to
 *     50 KiB by its own size function (the cutting is done before timing): one size computation per
 *     record, the least any caller can pay.
 *   - `aws-kinesis-agg-incremental`: the stateful API a caller would write (`calculateUserRecordSize`,
 *     `totalBytes`, `build()`, `addUserRecord`), which sizes each record twice.
 *   - `aws-kinesis-agg` (the headline peer): in each round, the faster of those two.
 * Both sides touch every output byte (a 32-bit sum over every aggregate buffer; in deaggregation a
 * sum over every user record's bytes — the peer already base64-encodes every byte it returns).
 * MB/s counts aggregate bytes and sits next to node:crypto MD5 over the same aggregates, measured in
 * the same rounds: the physical limit of the format (every aggregate byte is MD5'd once).
 *
 * Rounds: BENCH_REPS (9) after two warm-ups; each round runs every contender once in an order that
 * rotates; a side's figure is the median of its rounds, a ratio the median of per-round ratios.
 */
import * as crypto from 'node:crypto';
import { evenHashKeyRanges } from '@shardline/core';
import { Aggregator, Deaggregator, type KinesisRecord, ShardAggregator, ShardMap, type UserRecord } from '../src';

interface TheirEncoded {
  readonly data: Buffer;
  readonly partitionKey: string;
}
interface TheirRecordAggregator {
  totalBytes: number;
  length(): number;
  calculateUserRecordSize(record: object): number;
  addUserRecord(record: object): void;
  build(): TheirEncoded;
  aggregateRecords(records: object[], forceFlush: boolean, onReady: (err: Error | null, encoded?: TheirEncoded) => void): void;
}
const agg = require('aws-kinesis-agg') as {
  RecordAggregator: new () => TheirRecordAggregator;
  aggregate(records: object[], handler: (encoded: TheirEncoded, cb: (err?: Error) => void) => void, after: () => void, onError: (err: Error) => void): void;
  deaggregateSync(record: object, computeChecksums: boolean, cb: (err: Error | null, records?: { Data: string }[]) => void): void;
};

const N = Number(process.env.BENCH_RECORDS ?? 100_000);
const REPS = Number(process.env.BENCH_REPS ?? 9);
const LIMIT = 51_200;
/** Magic (4) + MD5 trailer (16). */
const FIXED = 20;
const records: UserRecord[] = Array.from({ length: N }, () => ({ partitionKey: crypto.randomUUID(), data: crypto.randomBytes(100) }));
const theirInput = records.map((r) => ({ partitionKey: r.partitionKey, data: r.data as Buffer }));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function print(name: string, value: number, unit: string, conditions: string): void {
  const digits = unit === 'x' ? 2 : value >= 100 ? 0 : 1;
  console.log(`bench: ${name} ${value.toFixed(digits)} ${unit} -- ${conditions}`);
}

/** Reads every byte of `u` (a 32-bit sum; words for the aligned middle of large buffers). */
function touch(u: Uint8Array): number {
  let s = 0;
  const n = u.length;
  if (n < 256) {
    for (let i = 0; i < n; i++) s = (s + u[i]!) | 0;
    return s;
  }
  const head = (4 - (u.byteOffset & 3)) & 3;
  for (let i = 0; i < head; i++) s = (s + u[i]!) | 0;
  const words = (n - head) >>> 2;
  const w = new Int32Array(u.buffer, u.byteOffset + head, words);
  for (let i = 0; i < words; i++) s = (s + w[i]!) | 0;
  for (let i = head + words * 4; i < n; i++) s = (s + u[i]!) | 0;
  return s;
}

let sink = 0;

type Contender = { readonly name: string; readonly run: () => void | Promise<void> };

/** Every contender once per round, rotating the order; returns seconds per contender and round. */
async function rounds(contenders: readonly Contender[]): Promise<Map<string, number[]>> {
  const seconds = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  for (let i = 0; i < 2; i++) for (const c of contenders) await c.run();
  for (let round = 0; round < REPS; round++) {
    for (let k = 0; k < contenders.length; k++) {
      const c = contenders[(k + round) % contenders.length]!;
      const t = process.hrtime.bigint();
      await c.run();
      seconds.get(c.name)!.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
  }
  return seconds;
}

/** Median over rounds of `peer time / our time` (a fraction when the peer is the faster MD5). */
function paired(seconds: ReadonlyMap<string, readonly number[]>, peer: string, ours: string): number {
  const p = seconds.get(peer)!;
  const o = seconds.get(ours)!;
  return median(p.map((t, i) => t / o[i]!));
}

// --- contenders: aggregation ------------------------------------------------------------------
let ours: KinesisRecord[] = [];
const oursAggregate = (limit: number) => () => {
  const aggregator = new Aggregator({ maxAggregateBytes: limit });
  const out: KinesisRecord[] = [];
  for (const r of records) {
    const done = aggregator.add(r);
    if (done) out.push(done);
  }
  out.push(aggregator.flush()!);
  for (const k of out) sink ^= touch(k.data);
  ours = out;
};

/** The stateful RecordAggregator API at 50 KiB: data (proto + 20) plus the outer (first) key ≤ LIMIT. */
function theirsIncremental(): TheirEncoded[] {
  const a = new agg.RecordAggregator();
  const out: TheirEncoded[] = [];
  let outerKey = 0;
  for (const r of theirInput) {
    if (a.length() > 0 && FIXED + outerKey + a.totalBytes + a.calculateUserRecordSize(r) > LIMIT) out.push(a.build());
    if (a.length() === 0) outerKey = r.partitionKey.length;
    a.addUserRecord(r);
  }
  if (a.length() > 0) out.push(a.build());
  for (const e of out) sink ^= touch(e.data);
  return out;
}

// The groups its own size function cuts at 50 KiB (computed once, outside timing).
const groups: object[][] = [];
{
  const a = new agg.RecordAggregator();
  let group: object[] = [];
  let outerKey = 0;
  for (const r of theirInput) {
    if (a.length() > 0 && FIXED + outerKey + a.totalBytes + a.calculateUserRecordSize(r) > LIMIT) {
      groups.push(group);
      group = [];
      a.build();
    }
    if (a.length() === 0) outerKey = r.partitionKey.length;
    a.addUserRecord(r);
    group.push(r);
  }
  groups.push(group);
}
const theirsPrecut = (): void => {
  const out: TheirEncoded[] = [];
  const onReady = (err: Error | null, e?: TheirEncoded): void => {
    if (err) throw err;
    out.push(e!);
  };
  for (const g of groups) new agg.RecordAggregator().aggregateRecords(g, true, onReady);
  for (const e of out) sink ^= touch(e.data);
};

/** Its documented `aggregate()` (1 MiB aggregates, the only size it offers; its queue runs the handler asynchronously). */
const theirsDocumented = (): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    let n = 0;
    agg.aggregate(
      theirInput,
      (encoded, cb) => {
        sink ^= touch(encoded.data);
        n++;
        cb();
      },
      () => (n > 0 ? resolve() : reject(new Error('aws-kinesis-agg aggregate() produced nothing'))),
      reject,
    );
  });

const md5Over = (buffers: () => readonly KinesisRecord[]) => () => {
  for (const k of buffers()) sink ^= crypto.createHash('md5').update(k.data).digest()[0]!;
};

async function main(): Promise<void> {
  const conditions = `${N} records of 100 B, unique 36-char keys, data + key <= 51,200 B, 1 thread, median of ${REPS} alternating rounds, every output byte read`;
  // --- aggregation at 50 KiB ---
  oursAggregate(LIMIT)();
  const ours50k = ours;
  const theirCount = theirsIncremental().length;
  const bytes50k = ours50k.reduce((s, k) => s + k.data.length, 0);
  const a = await rounds([
    { name: 'ours', run: oursAggregate(LIMIT) },
    { name: 'theirs', run: theirsPrecut },
    { name: 'theirs-incremental', run: () => void theirsIncremental() },
    { name: 'md5', run: md5Over(() => ours50k) },
  ]);
  // The peer at its best: in each round, the faster of its two 50 KiB uses.
  a.set(
    'theirs-best',
    a.get('theirs')!.map((t, i) => Math.min(t, a.get('theirs-incremental')![i]!)),
  );
  const tOurs = median(a.get('ours')!);
  const aggregates = `${ours50k.length} aggregates (aws-kinesis-agg: ${theirCount})`;
  print('aggregate', N / tOurs, 'records/s', `shardline Aggregator, ${aggregates}; ${conditions}`);
  print('aggregate-aws-kinesis-agg', N / median(a.get('theirs-best')!), 'records/s', `aws-kinesis-agg 4.2.8 RecordAggregator at 50 KiB, in each round the faster of its two uses below; ${conditions}`);
  print('aggregate-vs-aws-kinesis-agg', paired(a, 'theirs-best', 'ours'), 'x', `aws-kinesis-agg RecordAggregator at the same 50 KiB limit, its faster use in each round; ${conditions}`);
  print(
    'aggregate-aws-kinesis-agg-precut',
    N / median(a.get('theirs')!),
    'records/s',
    `aws-kinesis-agg RecordAggregator.aggregateRecords on groups pre-cut to 50 KiB by its own size function (one sizing per record; cutting not timed); ${conditions}`,
  );
  print('aggregate-vs-aws-kinesis-agg-precut', paired(a, 'theirs', 'ours'), 'x', `aws-kinesis-agg aggregateRecords on pre-cut 50 KiB groups; ${conditions}`);
  print(
    'aggregate-aws-kinesis-agg-incremental',
    N / median(a.get('theirs-incremental')!),
    'records/s',
    `aws-kinesis-agg RecordAggregator stateful API (calculateUserRecordSize + addUserRecord + build) at 50 KiB; ${conditions}`,
  );
  print('aggregate-vs-aws-kinesis-agg-incremental', paired(a, 'theirs-incremental', 'ours'), 'x', `aws-kinesis-agg RecordAggregator stateful API at 50 KiB; ${conditions}`);
  const md5Agg = bytes50k / median(a.get('md5')!) / 1e6;
  print('aggregate-throughput', bytes50k / tOurs / 1e6, 'MB/s', `aggregate bytes out per second; node:crypto MD5 over the same aggregates ${md5Agg.toFixed(0)} MB/s in the same rounds`);
  print('aggregate-throughput-md5', md5Agg, 'MB/s', 'node:crypto createHash(md5) over the same 50 KiB aggregates, same rounds: the physical limit');
  print('aggregate-throughput-vs-md5', paired(a, 'md5', 'ours'), 'x', 'fraction of MD5 throughput (the format MD5s every aggregate byte); same rounds');
  print(
    'aggregate-aws-kinesis-agg-throughput-vs-md5',
    paired(a, 'md5', 'theirs-best'),
    'x',
    'aws-kinesis-agg RecordAggregator at 50 KiB (its faster use) as a fraction of MD5 throughput; same rounds',
  );

  // --- 1 MiB: its documented aggregate() against ours at the same size ---
  const mib = 1024 * 1024 - 16 - 4;
  const m = await rounds([
    { name: 'ours', run: oursAggregate(mib) },
    { name: 'theirs', run: theirsDocumented },
  ]);
  print('aggregate-1mib', N / median(m.get('ours')!), 'records/s', `shardline Aggregator at ~1 MiB aggregates; ${conditions.replace('data + key <= 51,200 B', '~1 MiB aggregates')}`);
  print('aggregate-1mib-aws-kinesis-agg', N / median(m.get('theirs')!), 'records/s', `aws-kinesis-agg 4.2.8 documented aggregate() (its fixed ~1 MiB size), no-op handler; same records`);
  print('aggregate-1mib-vs-aws-kinesis-agg', paired(m, 'theirs', 'ours'), 'x', 'aws-kinesis-agg aggregate(), both at ~1 MiB aggregates; same records, alternating rounds');

  // --- deaggregation of the 50 KiB aggregates ---
  const sdkRecords = ours50k.map((k, i) => ({
    Data: new Uint8Array(k.data),
    PartitionKey: k.partitionKey,
    SequenceNumber: String(49590338271490256608559692538361571095921575989136588898n + BigInt(i)),
  }));
  const sdkAsKinesis = sdkRecords.map((r) => ({ data: r.Data })) as unknown as KinesisRecord[];
  const oursDeaggregate = (): void => {
    const d = new Deaggregator({ verifyChecksum: true });
    let n = 0;
    for (const r of sdkRecords) {
      for (const u of d.deaggregate(r)) {
        sink ^= touch(u.data);
        n++;
      }
    }
    if (n !== N) throw new Error(`deaggregated ${n} of ${N}`);
  };
  const theirsDeaggregate = (): void => {
    let n = 0;
    let chars = 0;
    for (const r of sdkRecords) {
      agg.deaggregateSync(r, true, (err, out) => {
        if (err) throw err;
        n += out!.length;
        for (const u of out!) chars += u.Data.length; // SDK-shaped input gives PascalCase output
      });
    }
    sink ^= chars;
    if (n !== N) throw new Error(`aws-kinesis-agg deaggregated ${n} of ${N}`);
  };
  const d = await rounds([
    { name: 'ours', run: oursDeaggregate },
    { name: 'theirs', run: theirsDeaggregate },
    { name: 'md5', run: md5Over(() => sdkAsKinesis) },
  ]);
  const tOurDe = median(d.get('ours')!);
  const deConditions = `${ours50k.length} aggregates of the records above from SDK-shaped GetRecords records (Data as bytes), MD5 verified; median of ${REPS} alternating rounds`;
  print('deaggregate', N / tOurDe, 'user-records/s', `shardline Deaggregator, every user record's bytes read; ${deConditions}`);
  print(
    'deaggregate-aws-kinesis-agg',
    N / median(d.get('theirs')!),
    'user-records/s',
    `aws-kinesis-agg 4.2.8 deaggregateSync(computeChecksums true), data returned as base64 (every byte encoded); ${deConditions}`,
  );
  print('deaggregate-vs-aws-kinesis-agg', paired(d, 'theirs', 'ours'), 'x', `aws-kinesis-agg deaggregateSync; ${deConditions}`);
  const md5De = bytes50k / median(d.get('md5')!) / 1e6;
  print('deaggregate-throughput', bytes50k / tOurDe / 1e6, 'MB/s', `aggregate bytes in per second; node:crypto MD5 over the same aggregates ${md5De.toFixed(0)} MB/s in the same rounds`);
  print('deaggregate-throughput-md5', md5De, 'MB/s', 'node:crypto createHash(md5) over the same aggregates, same rounds: the physical limit');
  print('deaggregate-throughput-vs-md5', paired(d, 'md5', 'ours'), 'x', 'fraction of MD5 throughput; same rounds');

  // --- aggregation with shard prediction over 64 shards (the peer has no shard prediction) ---
  const map = new ShardMap(evenHashKeyRanges(64).map((range, i) => ({ shardId: `shardId-${String(i).padStart(12, '0')}`, range, open: true })));
  const oursSharded = (): void => {
    const aggregator = new ShardAggregator(map, { maxAggregateBytes: LIMIT });
    const out: KinesisRecord[] = [];
    for (const r of records) {
      const done = aggregator.add(r);
      if (done) out.push(done);
    }
    out.push(...aggregator.flushAll());
    for (const k of out) sink ^= touch(k.data);
  };
  const s = await rounds([
    { name: 'ours', run: oursSharded },
    { name: 'theirs', run: theirsPrecut },
    { name: 'theirs-incremental', run: () => void theirsIncremental() },
  ]);
  s.set(
    'theirs-best',
    s.get('theirs')!.map((t, i) => Math.min(t, s.get('theirs-incremental')![i]!)),
  );
  print('aggregate-predicted-64-shards', N / median(s.get('ours')!), 'records/s', `shardline ShardAggregator: MD5 shard prediction over 64 shards, one aggregate per shard; ${conditions}`);
  print(
    'aggregate-predicted-64-shards-vs-aws-kinesis-agg',
    paired(s, 'theirs-best', 'ours'),
    'x',
    `aws-kinesis-agg RecordAggregator at 50 KiB (its faster use) WITHOUT shard prediction (it has none); ${conditions}`,
  );
  if (sink === 0.5) console.log('');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
