/**
 * MultiLang benchmark. Prints `bench: <name> <value> <unit>` lines; the ratio (unit `x`) compares
 * two contenders measured in the same run, over the same records, at the same concurrency.
 *
 * Contenders, over one 4-shard stream pre-filled with BENCH_RECORDS (100,000) records of 100 B:
 * - `multilang`: shardline's MultiLangDaemon, one TypeScript child process per shard
 *   (bench/countingChild.ts on runMultiLangProcessor, run with `node --import tsx` as the tests
 *   do, so each child compiles its sources at start);
 * - `worker`: the in-process kcl-consumer Worker running the same processor object.
 * Both run bench/countingProcessor.ts: count the batch, then `checkpoint()` it and wait for the
 * write, so each batch costs one checkpoint on both sides. The difference is what MultiLang adds:
 * the child processes' start, the JSON + base64 encoding of each batch on a pipe and its decoding
 * in the child, and the checkpoint's round trip through the child.
 *
 * Method (that of packages/kcl-consumer/bench/worker.bench.ts): rounds, each running every
 * contender once in an order that rotates from round to round, each with fresh SDK clients and a
 * fresh lease table read from TRIM_HORIZON. A run is timed from its worker's first
 * `leaseAcquired` until every record has reached a processor (for `multilang`: until the children
 * have reported every record on stderr). Not timed: lease-table creation, shard sync and the lease
 * scan of `start()`; the `stop()` after. A side's records/s is N over its median time; the ratio
 * is the median over rounds of `worker time / multilang time` within the round (neighbouring runs
 * share the machine's load, which drifts between rounds). `*-first-batch` is the median time from
 * the first lease to the first batch handed to a processor (for `multilang` it includes the
 * children's start). `*-steady` leaves the start out: records/s once every shard has had its first
 * batch (the records after those, over the time after the last of them), with its own paired
 * ratio (`multilang steady / worker steady`).
 *
 * kinesalite and dynalite each run in a child process of their own (`startEmulatorProcess` from testkit)
 * so that neither emulator's CPU sits in the measured process (they, the
 * children and the daemon still share the machine's cores).
 *
 * BENCH_RECORDS (100,000) and BENCH_ROUNDS (5) tune the run; BENCH_ONLY=<contender> runs one alone
 * (its ratio line is then meaningless).
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, createKinesisClient, type LogFields, type Logger } from '@shardline/core';
import { Worker } from '@shardline/kcl-consumer';
import { createStream, type EmulatorProcess, median, putAll, startEmulatorProcess, stopEmulatorProcess, uniqueName } from '@shardline/testkit';
import { MultiLangDaemon } from '../src';
import { countingProcessor } from './countingProcessor';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const N = Number(process.env.BENCH_RECORDS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SHARDS = 4;
const RUN_TIMEOUT_MS = 180_000;
const PACKAGE_DIR = path.join(__dirname, '..');
const CHILD = `${process.execPath} --conditions=shardline-source --import tsx ${path.join(__dirname, 'countingChild.ts')}`;

function print(name: string, value: number, unit: string, conditions: string): void {
  const digits = unit === 'x' ? 2 : Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  console.log(`bench: ${name} ${value.toFixed(digits)} ${unit} -- ${conditions}`);
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

/** Puts `count` records of 100 random bytes with random keys (testkit's putAll: 500 per call, 4 calls in flight). */
async function fill(kinesis: KinesisClient, streamName: string, count: number): Promise<void> {
  const pool = randomBytes(count * 108);
  const entries: PutRecordsRequestEntry[] = Array.from({ length: count }, (_, i) => ({
    PartitionKey: pool.toString('hex', i * 108 + 100, i * 108 + 108),
    Data: pool.subarray(i * 108, i * 108 + 100),
  }));
  await putAll(kinesis, streamName, entries);
}

// ------------------------------------------------------------------ contenders

interface RunResult {
  /** From the first lease to the last record. */
  readonly seconds: number;
  /** From the first lease to the first batch. */
  readonly firstBatchMs: number;
  /** Records per second once every shard has had its first batch: the records after those over the time after the last of them. */
  readonly steady: number;
}

/** Counts records toward `expected`, per shard; resolves `done` once they have all arrived. */
class Tally {
  n = 0;
  doneAt: number | undefined;
  /** When each shard's first batch arrived, and its size. */
  private readonly firsts = new Map<string, { readonly at: number; readonly records: number }>();
  private resolve!: () => void;
  readonly done = new Promise<void>((resolve) => (this.resolve = resolve));

  constructor(private readonly expected: number) {}

  add(records: number, shardId: string): void {
    if (!this.firsts.has(shardId)) this.firsts.set(shardId, { at: performance.now(), records });
    this.n += records;
    if (this.n >= this.expected && this.doneAt === undefined) {
      this.doneAt = performance.now();
      this.resolve();
    }
  }

  result(firstLeaseAt: number): RunResult {
    const firsts = [...this.firsts.values()];
    if (firsts.length !== SHARDS) throw new Error(`records came from ${firsts.length} shards, expected ${SHARDS}`);
    const lastFirst = Math.max(...firsts.map((f) => f.at));
    const afterFirsts = this.n - firsts.reduce((sum, f) => sum + f.records, 0);
    return {
      seconds: (this.doneAt! - firstLeaseAt) / 1000,
      firstBatchMs: Math.min(...firsts.map((f) => f.at)) - firstLeaseAt,
      steady: afterFirsts / ((this.doneAt! - lastFirst) / 1000),
    };
  }
}

/**
 * The daemon's logger: counts the children's `delivered <n>` stderr lines, prints warnings and
 * errors (there should be none), drops the rest.
 */
class TallyLogger implements Logger {
  constructor(
    private readonly tally: Tally,
    private readonly bindings: LogFields = {},
  ) {}

  trace = (): void => undefined;
  debug = (): void => undefined;
  info = (fields: LogFields | string, message?: string): void => {
    if (typeof fields === 'string' || fields.stream !== 'stderr' || message === undefined) return;
    const m = /^delivered (\d+)$/.exec(message);
    if (m) this.tally.add(Number(m[1]), String(this.bindings.shardId));
  };
  warn = (fields: LogFields | string, message?: string): void => this.print('warn', fields, message);
  error = (fields: LogFields | string, message?: string): void => this.print('error', fields, message);

  child(bindings: LogFields): Logger {
    return new TallyLogger(this.tally, { ...this.bindings, ...bindings });
  }

  private print(level: string, fields: LogFields | string, message?: string): void {
    const text = typeof fields === 'string' ? fields : message;
    const err = typeof fields === 'object' ? (fields.err as Error | undefined) : undefined;
    console.error(`  daemon ${level} [${(this.bindings.shardId as string | undefined) ?? ''}] ${text ?? ''}${err ? `: ${err.message}` : ''}`);
  }
}

/** Waits for `tally`, or fails after RUN_TIMEOUT_MS. */
async function delivered(tally: Tally, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([tally.done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} delivered ${tally.n} of ${N} records`)), RUN_TIMEOUT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

function workerOptions(endpoints: Endpoints, streamName: string) {
  return {
    applicationName: uniqueName('bench-ml-app'),
    streamName,
    initialPosition: 'TRIM_HORIZON' as const,
    kinesisClient: kinesisClient(endpoints),
    dynamoDbClient: dynamoDbClient(endpoints),
    // Kinesalite without limits: no read pacing (the same for the daemon and the in-process worker).
    readBytesPerSecond: 'unlimited' as const,
  };
}

async function workerRun(endpoints: Endpoints, streamName: string): Promise<RunResult> {
  const tally = new Tally(N);
  const options = workerOptions(endpoints, streamName);
  const worker = new Worker({ ...options, processor: ({ shardId }) => countingProcessor((n) => tally.add(n, shardId)) });
  let firstLeaseAt: number | undefined;
  worker.coordinator.on('leaseAcquired', () => (firstLeaseAt ??= performance.now()));
  try {
    await worker.start();
    await delivered(tally, 'the worker');
  } finally {
    await worker.stop();
    options.kinesisClient.destroy();
    options.dynamoDbClient.destroy();
  }
  return tally.result(firstLeaseAt!);
}

async function multiLangRun(endpoints: Endpoints, streamName: string): Promise<RunResult> {
  const tally = new Tally(N);
  const options = workerOptions(endpoints, streamName);
  const daemon = new MultiLangDaemon({
    executableName: CHILD,
    cwd: PACKAGE_DIR,
    // The children log warnings only: their stderr carries the counts.
    env: { ...process.env, SHARDLINE_LOG_LEVEL: 'warn' },
    logger: new TallyLogger(tally),
    worker: options,
  });
  let firstLeaseAt: number | undefined;
  daemon.worker.coordinator.on('leaseAcquired', () => (firstLeaseAt ??= performance.now()));
  try {
    await daemon.start();
    await delivered(tally, 'the daemon');
  } finally {
    await daemon.stop();
    options.kinesisClient.destroy();
    options.dynamoDbClient.destroy();
  }
  return tally.result(firstLeaseAt!);
}

type Contender = { readonly name: string; readonly run: () => Promise<RunResult> };

/** Runs every contender once per round, rotating who goes first; returns the results per contender. */
async function alternate(all: readonly Contender[]): Promise<Map<string, RunResult[]>> {
  const contenders = process.env.BENCH_ONLY ? all.filter((c) => c.name === process.env.BENCH_ONLY) : all;
  const results = new Map<string, RunResult[]>(all.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const c of order) results.get(c.name)!.push(await c.run());
    const line = contenders.map((c) => {
      const r = results.get(c.name)![round]!;
      return `${c.name} ${(N / r.seconds).toFixed(0)}/s (first batch after ${r.firstBatchMs.toFixed(0)} ms, then ${r.steady.toFixed(0)}/s)`;
    });
    console.error(`round ${round + 1}: ${line.join(', ')}`);
  }
  return results;
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  let kinesalite: EmulatorProcess | undefined;
  let dynalite: EmulatorProcess | undefined;
  try {
    [kinesalite, dynalite] = await Promise.all([startEmulatorProcess('kinesis'), startEmulatorProcess('dynamodb')]);
    const endpoints = { kinesis: kinesalite.endpoint, dynamodb: dynalite.endpoint };
    const setup = createKinesisClient({ endpoint: endpoints.kinesis, env: {}, maxAttempts: 3 });
    try {
      const streamName = uniqueName('bench-ml');
      await createStream(setup, streamName, SHARDS);
      const putStarted = performance.now();
      await fill(setup, streamName, N);
      console.error(`put ${N} records of 100 B into ${SHARDS} shards in ${((performance.now() - putStarted) / 1000).toFixed(1)} s`);
      const results = await alternate([
        { name: 'multilang', run: () => multiLangRun(endpoints, streamName) },
        { name: 'worker', run: () => workerRun(endpoints, streamName) },
      ]);
      const ml = results.get('multilang')!;
      const worker = results.get('worker')!;
      const same = `${N} records of 100 B pre-filled in ${SHARDS} shards, kinesalite and dynalite in their own processes, no-op processing, median of alternated rounds`;
      const daemon = `shardline-multilang daemon + one TypeScript child per shard over the MultiLang protocol; ${same}`;
      const inProcess = `the in-process Worker with the same processor; ${same}`;
      print('multilang-daemon-ts-child', N / median(ml.map((r) => r.seconds)), 'records/s', `${daemon}; start to last record`);
      print('worker-in-process', N / median(worker.map((r) => r.seconds)), 'records/s', `${inProcess}; start to last record`);
      print(
        'multilang-daemon-ts-child-vs-worker-in-process',
        median(ml.map((r, i) => (worker[i]?.seconds ?? NaN) / r.seconds)),
        'x',
        `daemon records/s / in-process records/s within each round (higher is better); ${same}`,
      );
      print('multilang-first-batch', median(ml.map((r) => r.firstBatchMs)), 'ms', `${daemon}; start to the first processed batch (children spawn here)`);
      print('worker-first-batch', median(worker.map((r) => r.firstBatchMs)), 'ms', `${inProcess}; start to the first processed batch`);
      print('multilang-steady', median(ml.map((r) => r.steady)), 'records/s', `${daemon}; once every child runs`);
      print('worker-steady', median(worker.map((r) => r.steady)), 'records/s', `${inProcess}; after the first batch`);
      print(
        'multilang-steady-vs-worker-steady',
        median(ml.map((r, i) => r.steady / (worker[i]?.steady ?? NaN))),
        'x',
        `daemon / in-process steady records/s within each round (higher is better); ${same}`,
      );
    } finally {
      setup.destroy();
    }
  } finally {
    await Promise.all([stopEmulatorProcess(kinesalite), stopEmulatorProcess(dynalite)]);
  }
  console.error(`bench took ${((performance.now() - benchStarted) / 1000).toFixed(0)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
