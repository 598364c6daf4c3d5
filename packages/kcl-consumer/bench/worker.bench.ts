/**
 * Worker benchmark. Prints `bench: <name> <value> <unit> -- <peer and conditions>` lines; every
 * ratio (unit `x`) compares with a peer measured in the same run, over the same records, at the
 * same concurrency, or with a figure `modelled` from the KCL's timers.
 *
 * 0. `limits` (bench/workerUnderLimits.ts, first): AWS's read limits enforced by testkit's limits
 *    front (5 GetRecords/s, 2 MiB/s per shard): catch-up records/s as a fraction of the read limit
 *    next to a raw GetRecords loop, and put → handler latency p50/p99 at the default idle time.
 *    Parts 1 and 2 below run against UNLIMITED kinesalite: they measure the client's cost per
 *    record, not what AWS allows (their lines say so).
 *
 * Rounds: each round runs every contender once, in an order that rotates from round to round,
 * each with fresh SDK clients (the worker also with a fresh lease table, read from TRIM_HORIZON).
 * A side's records/s is N over its median time; a ratio is the median over rounds of
 * `peer time / worker time` within the round (neighbouring runs share the machine's load, which
 * drifts between rounds on a shared machine).
 *
 * 1. Plain records (`worker-unlimited-plain-vs-raw-getrecords`): records/s delivered to a no-op `handler` by ONE
 *    Worker with autoCheckpoint (one checkpoint write per batch), and without (`autoCheckpoint:
 *    false`), versus the raw SDK loop: per shard, one concurrent loop of GetShardIterator
 *    (TRIM_HORIZON) then GetRecords back-to-back with Limit 10,000 and NextShardIterator (no
 *    200 ms floor: kinesalite does not enforce the 5 reads/s per shard, and each call takes
 *    longer than that here anyway) — 100 B records pre-filled into one 4-shard stream.
 *    The worker is timed from the moment it holds its first lease (its coordinator's first
 *    `leaseAcquired`) until its handler has been given every record. Not timed: lease-table
 *    creation, shard sync and the lease scan of `start()` (printed alone as
 *    `worker-startup-to-first-lease`). Timed on both sides: GetShardIterator, every GetRecords,
 *    the processing; for the worker also the takes of its other three leases and its checkpoints.
 * 2. KPL-aggregated records (`worker-unlimited-aggregated-vs-raw-deaggregate`): 100 B user records in
 *    ≤ 50 KiB aggregates (ShardAggregator, so each lands on the shard that owns its keys); user
 *    records/s of the worker (which deaggregates) versus the same raw loop deaggregating each
 *    response with `Deaggregator.deaggregateAll` (@shardline/kpl-aggregation) with the checks
 *    the worker applies by default: MD5 trailer verified, every sub-record checked against the
 *    shard's hash-key range (`outOfRange: 'report'`), flagged ones not counted.
 * 3. DynamoDB requests per lease-minute at failoverTimeMs 10,000: one worker holding the 8 leases
 *    of an idle 8-shard stream; requests counted by a middleware (injectFaults) on the DynamoDB
 *    client given to the worker over a window that opens once every lease is held; renewals,
 *    taker scans, shard-sync scans (told apart from taker scans by the ListShards call each sync
 *    makes, counted on the Kinesis client), checkpoints and other writes. Next to the Java KCL's
 *    timer model for the same configuration — renew every F/3 − 25 ms per lease, taker scan every
 *    2 × (F + 25 ms) per worker, as in the dynamo-lease bench — labelled `modelled`; the model
 *    covers the renewer and the taker only.
 *
 * kinesalite and dynalite each run in a child process of their own (`startEmulatorProcess` from testkit)
 * so that neither emulator's CPU sits in the measured process and dynalite's
 * work for the worker does not queue behind kinesalite's (they still share the machine's cores).
 *
 * BENCH_RECORDS (160,000), BENCH_AGGREGATED_RECORDS (400,000), BENCH_ROUNDS (3; aggregated runs are
 * short, one large GetRecords per shard, so they get BENCH_AGGREGATED_ROUNDS, 5), BENCH_WINDOW_MS
 * (60,000; one shard sync falls in a 60 s window) tune the run. Diagnostics: BENCH_PARTS
 * (limits,plain,aggregated,leases), BENCH_ONLY=<contender>, BENCH_TRACE=1 (time, CPU and GC of each run on
 * stderr) or 2 (also a timeline of each worker run), BENCH_RETRIEVAL='<json>' (the worker
 * contenders get `new PollingRetrieval({ client, ...json })`, e.g. `{"maxPrefetchBatches":1}`;
 * not the default worker, so its lines are then not the worker's figures).
 */
import { randomBytes } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, createKinesisClient, type HashKeyRange, listShards, parseHashKeyRange } from '@shardline/core';
import { Deaggregator, type KinesisRecord, ShardAggregator, ShardMap, type UserRecord } from '@shardline/kpl-aggregation';
import { createStream, type EmulatorProcess, injectFaults, listAllShards, median, putAll, startEmulatorProcess, stopEmulatorProcess, uniqueName } from '@shardline/testkit';
import { PollingRetrieval, Worker } from '../src';
import { limitedRecords } from './workerUnderLimits';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const N = Number(process.env.BENCH_RECORDS ?? 160_000);
const AGGREGATED_N = Number(process.env.BENCH_AGGREGATED_RECORDS ?? 400_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** Aggregated runs are short (one large GetRecords per shard), so they get more rounds. */
const AGGREGATED_ROUNDS = Number(process.env.BENCH_AGGREGATED_ROUNDS ?? 5);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 60_000);
const SHARDS = 4;
const IDLE_SHARDS = 8;
const F = 10_000;
const EPSILON = 25;
const RUN_TIMEOUT_MS = 120_000;
const PARTS = new Set((process.env.BENCH_PARTS ?? 'limits,plain,aggregated,leases').split(','));
/** BENCH_TRACE=1: each run's time and parent CPU on stderr; 2: also a timeline of each worker run. */
const TRACE = Number(process.env.BENCH_TRACE ?? 0) >= 1;
const TIMELINE = Number(process.env.BENCH_TRACE ?? 0) >= 2;
/** BENCH_RETRIEVAL='{"maxPrefetchBatches":1}': the worker contenders use a PollingRetrieval with these read options (diagnostics; not the default worker). */
const RETRIEVAL = process.env.BENCH_RETRIEVAL ? (JSON.parse(process.env.BENCH_RETRIEVAL) as Omit<ConstructorParameters<typeof PollingRetrieval>[0], 'client'>) : undefined;

function print(name: string, value: number, unit: string, conditions: string): void {
  const digits = unit === 'x' ? 2 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  console.log(`bench: ${name} ${value.toFixed(digits)} ${unit} -- ${conditions}`);
}

/** What the unlimited parts measure: kinesalite enforces no AWS limit, so these are the client's cost per record. */
const UNLIMITED = 'UNLIMITED kinesalite (no AWS read limits: measures the cost per record in the client, not what AWS allows), kinesalite and dynalite in their own processes';

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

/** Milliseconds of GC pauses so far (BENCH_TRACE only). */
let gcMs = 0;
if (Number(process.env.BENCH_TRACE ?? 0) >= 1) new PerformanceObserver((list) => list.getEntries().forEach((e) => (gcMs += e.duration))).observe({ entryTypes: ['gc'] });

/**
 * The ratio of two contenders: the median over rounds of `peer time / our time` within the same
 * round (runs next to each other share the machine's load, which drifts between rounds).
 */
function pairedRatio(seconds: ReadonlyMap<string, readonly number[]>, peer: string, ours: string): number {
  const p = seconds.get(peer)!;
  const o = seconds.get(ours)!;
  return median(p.map((t, i) => t / o[i]!));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ------------------------------------------------------------------ emulators in child processes

// ------------------------------------------------------------------ setup (not measured)

interface Endpoints {
  readonly kinesis: string;
  readonly dynamodb: string;
}

/** Clients as the worker builds its own: the reader retries per shard, so no SDK retries for Kinesis. */
const kinesisClient = (e: Endpoints): KinesisClient => createKinesisClient({ endpoint: e.kinesis, env: {}, maxAttempts: 1 });
const dynamoDbClient = (e: Endpoints) => createDynamoDbClient({ endpoint: e.dynamodb, env: {} });

/** `count` records of 100 random bytes with random 16-hex-digit partition keys (cut from one random buffer). */
function randomRecords(count: number): (UserRecord & { readonly data: Buffer })[] {
  const pool = randomBytes(count * 108);
  return Array.from({ length: count }, (_, i) => ({ partitionKey: pool.toString('hex', i * 108 + 100, i * 108 + 108), data: pool.subarray(i * 108, i * 108 + 100) }));
}

// ------------------------------------------------------------------ contenders

/**
 * The raw loop: per shard, concurrently, GetShardIterator then GetRecords back-to-back until the
 * shard's `expected` Kinesis records are read. With `ranges` (the shards' hash-key ranges), each
 * response goes through `Deaggregator.deaggregateAll` with the range check the worker applies by
 * default (`outOfRange: 'report'`), and sub-records flagged outside the shard are not counted, as
 * the worker skips them. Returns seconds and the user records seen.
 */
async function rawLoop(kinesis: KinesisClient, streamName: string, perShard: Map<string, number>, ranges?: ReadonlyMap<string, HashKeyRange>): Promise<{ seconds: number; userRecords: number }> {
  let userRecords = 0;
  const cpu = process.cpuUsage();
  const gcBefore = gcMs;
  const started = performance.now();
  await Promise.all(
    [...perShard].map(async ([shardId, expected]) => {
      const deaggregator = ranges ? new Deaggregator({ shardRange: ranges.get(shardId), outOfRange: 'report' }) : undefined;
      let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      let n = 0;
      while (n < expected) {
        const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const records = out.Records ?? [];
        n += records.length;
        if (!deaggregator) userRecords += records.length;
        else for (const r of deaggregator.deaggregateAll(records)) if (!r.outOfShardRange) userRecords++;
        iterator = out.NextShardIterator;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (TRACE) console.error(`  raw: ${(seconds * 1000).toFixed(0)} ms, parent CPU ${cpuMs(process.cpuUsage(cpu)).toFixed(0)} ms, GC ${(gcMs - gcBefore).toFixed(0)} ms`);
  return { seconds, userRecords };
}

interface WorkerRun {
  /** From the first lease held to the last record handed to the handler. */
  readonly seconds: number;
  /** From start() to the first lease held. */
  readonly startupMs: number;
  /** Checkpoint writes while it ran. */
  readonly checkpoints: number;
  readonly batches: number;
}

/** One Worker, no-op handler, fresh lease table, from TRIM_HORIZON until `expected` user records came. */
async function workerRun(endpoints: Endpoints, streamName: string, expected: number, autoCheckpoint: boolean): Promise<WorkerRun> {
  const kinesis = kinesisClient(endpoints);
  const dynamo = dynamoDbClient(endpoints);
  let checkpoints = 0;
  injectFaults(dynamo, {
    before: ({ commandName, input }) => {
      if (commandName === 'UpdateItemCommand' && classifyUpdate(input) === 'checkpoint') checkpoints++;
    },
  });
  const t0 = performance.now();
  const trace = (what: string): void => void (TIMELINE && console.error(`  +${(performance.now() - t0).toFixed(1)} ms ${what}`));
  if (TIMELINE) {
    injectFaults(kinesis, {
      before: ({ commandName, input }) => trace(`> ${commandName} ${(input.ShardId as string | undefined) ?? ''}`),
      after: ({ commandName }, output) => trace(`< ${commandName} ${(output.Records as unknown[] | undefined)?.length ?? ''}`),
    });
    injectFaults(dynamo, { before: ({ commandName, input }) => trace(`> ${commandName} ${commandName === 'UpdateItemCommand' ? classifyUpdate(input) : ''}`) });
  }
  let n = 0;
  let batches = 0;
  let firstHeldAt: number | undefined;
  let doneAt: number | undefined;
  let cpuAtFirstLease: NodeJS.CpuUsage | undefined;
  let cpuUntilDone = 0;
  let gcAtFirstLease = 0;
  let gcUntilDone = 0;
  let delivered!: () => void;
  const allDelivered = new Promise<void>((resolve) => (delivered = resolve));
  const worker = new Worker({
    applicationName: uniqueName('bench-app'),
    streamName,
    initialPosition: 'TRIM_HORIZON',
    kinesisClient: kinesis,
    dynamoDbClient: dynamo,
    autoCheckpoint,
    // Unlimited kinesalite: no read pacing either (it would hold each shard to Kinesis's 2 MiB/s), as the raw loop has none.
    readBytesPerSecond: 'unlimited',
    ...(RETRIEVAL ? { retrieval: new PollingRetrieval({ client: kinesis, readBytesPerSecond: 'unlimited', ...RETRIEVAL }) } : {}),
    handler: (records, { shardId }) => {
      trace(`handler ${shardId} ${records.length}`);
      n += records.length;
      batches++;
      if (n >= expected && doneAt === undefined) {
        doneAt = performance.now();
        cpuUntilDone = cpuMs(process.cpuUsage(cpuAtFirstLease));
        gcUntilDone = gcMs - gcAtFirstLease;
        delivered();
      }
    },
  });
  worker.coordinator.on('leaseAcquired', (lease) => {
    if (firstHeldAt === undefined) {
      firstHeldAt = performance.now();
      cpuAtFirstLease = process.cpuUsage();
      gcAtFirstLease = gcMs;
    }
    trace(`leaseAcquired ${lease.leaseKey}`);
  });
  const startedAt = performance.now();
  try {
    await worker.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([allDelivered, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`worker delivered ${n} of ${expected} records`)), RUN_TIMEOUT_MS)))]);
    clearTimeout(timer);
  } finally {
    await worker.stop();
    kinesis.destroy();
    dynamo.destroy();
  }
  if (n !== expected) throw new Error(`worker delivered ${n} records, expected ${expected}`);
  if (TRACE) console.error(`  worker: ${(doneAt! - firstHeldAt!).toFixed(0)} ms, parent CPU ${cpuUntilDone.toFixed(0)} ms, GC ${gcUntilDone.toFixed(0)} ms`);
  return { seconds: (doneAt! - firstHeldAt!) / 1000, startupMs: firstHeldAt! - startedAt, checkpoints, batches };
}

// ------------------------------------------------------------------ request classification

type UpdateKind = 'renewal' | 'checkpoint' | 'other-update';

/** Which lease write an UpdateItem is, from its expression (see LeaseTable). */
function classifyUpdate(input: Record<string, unknown>): UpdateKind {
  const expression = (input.UpdateExpression as string | undefined) ?? '';
  if (/#checkpoint = /.test(expression) || /#pendingCheckpoint = /.test(expression)) return 'checkpoint';
  // A renewal writes only the counter (conditioned on owner and counter).
  if (/^SET #leaseCounter = :v\d+$/.test(expression)) return 'renewal';
  return 'other-update';
}

// ------------------------------------------------------------------ parts

type Contender = { readonly name: string; readonly run: () => Promise<number> };

/** Runs every contender once per round, rotating who goes first; returns seconds per contender. */
async function alternate(all: readonly Contender[], label: string, records: number, rounds = ROUNDS): Promise<Map<string, number[]>> {
  // BENCH_ONLY=<name>: that contender alone (for profiling); its ratio lines are then meaningless.
  const contenders = process.env.BENCH_ONLY ? all.filter((c) => c.name === process.env.BENCH_ONLY) : all;
  const seconds = new Map<string, number[]>(all.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const c of order) seconds.get(c.name)!.push(await c.run());
    const first = seconds.get(contenders[0]!.name)![round]!;
    console.error(
      `${label} round ${round + 1}: ${contenders.map((c) => `${c.name} ${(records / seconds.get(c.name)![round]!).toFixed(0)}/s (${(first / seconds.get(c.name)![round]!).toFixed(2)}x)`).join(', ')}`,
    );
  }
  return seconds;
}

async function plainRecords(endpoints: Endpoints, setup: KinesisClient): Promise<void> {
  const streamName = uniqueName('bench-plain');
  await createStream(setup, streamName, SHARDS);
  const putStarted = performance.now();
  const perShard = await putAll(
    setup,
    streamName,
    randomRecords(N).map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
  );
  console.error(`put ${N} plain records in ${((performance.now() - putStarted) / 1000).toFixed(1)} s: ${[...perShard.values()].join(', ')} per shard`);
  const startup: number[] = [];
  const checkpointsPerRun: number[] = [];
  const batchesPerRun: number[] = [];
  const worker = (autoCheckpoint: boolean) => async (): Promise<number> => {
    const r = await workerRun(endpoints, streamName, N, autoCheckpoint);
    startup.push(r.startupMs);
    if (autoCheckpoint) {
      checkpointsPerRun.push(r.checkpoints);
      batchesPerRun.push(r.batches);
    }
    return r.seconds;
  };
  const seconds = await alternate(
    [
      {
        name: 'raw',
        run: async () => {
          const k = kinesisClient(endpoints);
          try {
            const r = await rawLoop(k, streamName, perShard);
            if (r.userRecords !== N) throw new Error(`raw loop read ${r.userRecords} of ${N}`);
            return r.seconds;
          } finally {
            k.destroy();
          }
        },
      },
      { name: 'worker', run: worker(true) },
      { name: 'worker-no-checkpoint', run: worker(false) },
    ],
    'plain',
    N,
  );
  const raw = median(seconds.get('raw')!);
  const ours = median(seconds.get('worker')!);
  const noCheckpoint = median(seconds.get('worker-no-checkpoint')!);
  const c = `${N} records of 100 B over ${SHARDS} shards from TRIM_HORIZON, Limit 10,000, median of ${ROUNDS} rotating rounds; ${UNLIMITED}`;
  print('worker-unlimited-plain', N / ours, 'records/s', `one Worker, handler + auto-checkpoint; ${c}`);
  print('worker-unlimited-plain-raw-getrecords', N / raw, 'records/s', `raw GetRecords loop, one per shard, back-to-back; ${c}`);
  print('worker-unlimited-plain-vs-raw-getrecords', pairedRatio(seconds, 'raw', 'worker'), 'x', `raw GetRecords loop at the same concurrency (one per shard); ${c}`);
  print('worker-unlimited-no-checkpoint-plain', N / noCheckpoint, 'records/s', `one Worker without checkpoints; ${c}`);
  print('worker-unlimited-no-checkpoint-plain-vs-raw-getrecords', pairedRatio(seconds, 'raw', 'worker-no-checkpoint'), 'x', `raw GetRecords loop at the same concurrency; ${c}`);
  print('worker-checkpoints-per-run', median(checkpointsPerRun), 'writes', `checkpoint writes in one plain run; ${c}`);
  print('worker-batches-per-run', median(batchesPerRun), 'batches', `batches handed to the handler in one plain run; ${c}`);
  print('worker-startup-to-first-lease', median(startup), 'ms', `start() to the first lease held (table creation, shard sync, first scan); ${c}`);
}

async function aggregatedRecords(endpoints: Endpoints, setup: KinesisClient): Promise<void> {
  const streamName = uniqueName('bench-aggregated');
  await createStream(setup, streamName, SHARDS);
  const aggregator = new ShardAggregator<UserRecord>(new ShardMap(await listShards(setup, { streamName }, true)), { maxAggregateBytes: 51_200 });
  const kinesisRecords: KinesisRecord[] = [];
  for (const r of randomRecords(AGGREGATED_N)) {
    const done = aggregator.add(r);
    if (done) kinesisRecords.push(done);
  }
  kinesisRecords.push(...aggregator.flushAll());
  const ranges = new Map((await listAllShards(setup, streamName)).map((shard) => [shard.ShardId!, parseHashKeyRange(shard.HashKeyRange)]));
  const perShard = await putAll(
    setup,
    streamName,
    kinesisRecords.map((k) => ({ PartitionKey: k.partitionKey, ExplicitHashKey: k.explicitHashKey, Data: k.data })),
  );
  console.error(`put ${AGGREGATED_N} user records in ${kinesisRecords.length} aggregates (~${Math.round(AGGREGATED_N / kinesisRecords.length)} each): ${[...perShard.values()].join(', ')} per shard`);
  const seconds = await alternate(
    [
      {
        name: 'raw-deaggregate',
        run: async () => {
          const k = kinesisClient(endpoints);
          try {
            const r = await rawLoop(k, streamName, perShard, ranges);
            if (r.userRecords !== AGGREGATED_N) throw new Error(`raw loop deaggregated ${r.userRecords} of ${AGGREGATED_N}`);
            return r.seconds;
          } finally {
            k.destroy();
          }
        },
      },
      { name: 'worker', run: async () => (await workerRun(endpoints, streamName, AGGREGATED_N, true)).seconds },
    ],
    'aggregated',
    AGGREGATED_N,
    AGGREGATED_ROUNDS,
  );
  const raw = median(seconds.get('raw-deaggregate')!);
  const ours = median(seconds.get('worker')!);
  const c = `${AGGREGATED_N} user records of 100 B in <= 50 KiB KPL aggregates over ${SHARDS} shards, MD5 and range checks on both sides, median of ${AGGREGATED_ROUNDS} rotating rounds; ${UNLIMITED}`;
  print('worker-unlimited-aggregated', AGGREGATED_N / ours, 'user-records/s', `one Worker (deaggregates); ${c}`);
  print('worker-unlimited-aggregated-raw-deaggregate', AGGREGATED_N / raw, 'user-records/s', `raw GetRecords loop + Deaggregator.deaggregateAll; ${c}`);
  print('worker-unlimited-aggregated-vs-raw-deaggregate', pairedRatio(seconds, 'raw-deaggregate', 'worker'), 'x', `raw GetRecords loop deaggregating with the same checks; ${c}`);
}

async function leaseRequests(endpoints: Endpoints, setup: KinesisClient): Promise<void> {
  const streamName = uniqueName('bench-idle');
  await createStream(setup, streamName, IDLE_SHARDS);
  const kinesis = kinesisClient(endpoints);
  const dynamo = dynamoDbClient(endpoints);
  const counts = new Map<string, number>();
  const count = (key: string): void => void counts.set(key, (counts.get(key) ?? 0) + 1);
  injectFaults(dynamo, {
    before: ({ commandName, input }) => {
      count('dynamodb');
      count(commandName === 'UpdateItemCommand' ? classifyUpdate(input) : commandName);
    },
  });
  injectFaults(kinesis, { before: ({ commandName }) => count(commandName) });
  const worker = new Worker({
    applicationName: uniqueName('bench-leases'),
    streamName,
    initialPosition: 'TRIM_HORIZON',
    kinesisClient: kinesis,
    dynamoDbClient: dynamo,
    failoverTimeMs: F,
    handler: () => undefined,
  });
  try {
    await worker.start();
    const deadline = performance.now() + 60_000;
    while (worker.coordinator.heldLeases().length < IDLE_SHARDS || worker.shards.length < IDLE_SHARDS) {
      if (performance.now() > deadline) throw new Error('the worker did not take every lease');
      await sleep(20);
    }
    await sleep(2_000); // past the first GetShardIterator and GetRecords of each shard
    const before = new Map(counts);
    const from = performance.now();
    await sleep(WINDOW_MS);
    const minutes = (performance.now() - from) / 60_000;
    const after = new Map(counts);
    const held = worker.coordinator.heldLeases().length;
    const delta = (key: string): number => (after.get(key) ?? 0) - (before.get(key) ?? 0);
    const leaseMinutes = IDLE_SHARDS * minutes;
    const syncScans = delta('ListShardsCommand');
    const takerScans = delta('ScanCommand') - syncScans;
    const other = delta('dynamodb') - delta('renewal') - delta('ScanCommand') - delta('checkpoint');
    const kclRenewals = 60_000 / (Math.floor(F / 3) - EPSILON);
    const kclScans = 60_000 / (2 * (F + EPSILON)) / IDLE_SHARDS;
    const c = `one Worker holding the ${IDLE_SHARDS} leases of an idle ${IDLE_SHARDS}-shard stream, failoverTimeMs ${F}, requests counted on its DynamoDB client over ${(minutes * 60).toFixed(0)} s; dynalite in its own process`;
    const model = `modelled from the KCL timers: renew every F/3 - eps = ${Math.floor(F / 3) - EPSILON} ms per lease, a taker scan every 2(F + eps) = ${2 * (F + EPSILON)} ms per worker (renewer and taker only)`;
    print('lease-window', minutes * 60, 's', c);
    print('leases-held', held, 'leases', c);
    print('dynamodb-requests-per-lease-minute', delta('dynamodb') / leaseMinutes, 'req', c);
    print('dynamodb-requests-per-lease-minute-kcl-modelled', kclRenewals + kclScans, 'req', model);
    print('dynamodb-requests-per-lease-minute-vs-kcl-modelled', delta('dynamodb') / leaseMinutes / (kclRenewals + kclScans), 'x', 'ours / modelled KCL (lower is cheaper)');
    print('renewals-per-lease-minute', delta('renewal') / leaseMinutes, 'req', c);
    print('renewals-per-lease-minute-kcl-modelled', kclRenewals, 'req', model);
    print('renewals-per-lease-minute-vs-kcl-modelled', delta('renewal') / leaseMinutes / kclRenewals, 'x', 'ours / modelled KCL');
    print('taker-scans-per-lease-minute', takerScans / leaseMinutes, 'req', c);
    print('taker-scans-per-lease-minute-kcl-modelled', kclScans, 'req', model);
    print('taker-scans-per-lease-minute-vs-kcl-modelled', takerScans / leaseMinutes / kclScans, 'x', 'ours / modelled KCL: our takerIntervalMs is F/4, the price of failover within F + F/4');
    print('shard-sync-scans-per-lease-minute', syncScans / leaseMinutes, 'req', c);
    print('checkpoints-per-lease-minute', delta('checkpoint') / leaseMinutes, 'req', c);
    print('other-dynamodb-requests-per-lease-minute', other / leaseMinutes, 'req', c);
  } finally {
    await worker.stop();
    kinesis.destroy();
    dynamo.destroy();
  }
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  let kinesalite: EmulatorProcess | undefined;
  let dynalite: EmulatorProcess | undefined;
  let limited: EmulatorProcess | undefined;
  try {
    [kinesalite, dynalite, limited] = await Promise.all([
      startEmulatorProcess('kinesis'),
      startEmulatorProcess('dynamodb'),
      PARTS.has('limits') ? startEmulatorProcess('kinesis', { limits: true }) : undefined,
    ]);
    const endpoints = { kinesis: kinesalite.endpoint, dynamodb: dynalite.endpoint };
    const setup = createKinesisClient({ endpoint: endpoints.kinesis, env: {}, maxAttempts: 3 });
    try {
      if (limited) await limitedRecords({ kinesis: limited.endpoint, kinesisUnlimited: limited.unlimitedEndpoint, dynamodb: dynalite.endpoint }, print);
      if (PARTS.has('plain')) await plainRecords(endpoints, setup);
      if (PARTS.has('aggregated')) await aggregatedRecords(endpoints, setup);
      if (PARTS.has('leases')) await leaseRequests(endpoints, setup);
    } finally {
      setup.destroy();
    }
  } finally {
    await Promise.all([stopEmulatorProcess(kinesalite), stopEmulatorProcess(dynalite), stopEmulatorProcess(limited)]);
  }
  console.error(`bench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
