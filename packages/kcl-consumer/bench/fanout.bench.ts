/**
 * Enhanced fan-out versus polling benchmark. Prints `bench: <name> <value> <unit> -- <peer and
 * conditions>` lines; both sides run in the same process, in rounds whose order alternates, and
 * each figure is the median over rounds.
 *
 * 1. Latency (`fanout-put-to-process-p50/p99`, `polling-put-to-process-p50/p99`, and the ratios):
 *    one Worker per side, each with a fresh lease table, caught up on an idle 2-shard stream;
 *    then LATENCY_PUTS single PutRecord calls, one every ~PUT_GAP_MS (jittered so that puts fall
 *    anywhere in a poll cycle); latency = from just before PutRecord to the moment the handler
 *    is called with the record. Polling at the worker's default `idleTimeBetweenReadsMs` (1,000);
 *    fan-out through testkit's HTTP/2 front, which serves SubscribeToShard by polling kinesalite
 *    every FRONT_POLL_MS — on this rig that poll, not the network, bounds fan-out latency (AWS
 *    documents ~70 ms for enhanced fan-out).
 * 2. Throughput (`fanout-records-per-s`, `polling-records-per-s`, ratio): THROUGHPUT_RECORDS
 *    100 B records pre-filled into a 4-shard stream, read from TRIM_HORIZON by one Worker with a
 *    no-op handler (auto-checkpoint per batch), timed from its first lease to the last record.
 *    Fan-out events carry up to 10,000 records (as GetRecords); the emulator does not enforce
 *    AWS's 2 MiB/s per shard (fan-out: per consumer; polling: shared by every reader).
 *
 * kinesalite and dynalite run in child processes (`startEmulatorProcess`); the front runs in this
 * process, as the worker's peer would run on AWS's side. BENCH_ROUNDS (5), BENCH_LATENCY_PUTS
 * (40), BENCH_THROUGHPUT_RECORDS (40,000) tune the run.
 */
import { KinesisClient, PutRecordCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '@shardline/core';
import { createStream, type EmulatorProcess, type FanOutFront, startEmulatorProcess, median, percentile, startFanOutFront, stopEmulatorProcess, uniqueName, waitFor } from '@shardline/testkit';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Worker, type WorkerOptions } from '../src';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LATENCY_PUTS = Number(process.env.BENCH_LATENCY_PUTS ?? 40);
const THROUGHPUT_RECORDS = Number(process.env.BENCH_THROUGHPUT_RECORDS ?? 40_000);
const PUT_GAP_MS = 150;
const FRONT_POLL_MS = 50;
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'shardline-local', secretAccessKey: 'shardline-local' };

type Side = 'fanout' | 'polling';

interface Rig {
  readonly env: Record<string, string>;
  readonly kinesis: KinesisClient;
  readonly front: FanOutFront;
  readonly fanOutClient: KinesisClient;
}

function print(name: string, value: number, unit: string, conditions: string): void {
  const digits = unit === 'x' ? 2 : Math.abs(value) >= 100 ? 0 : 1;
  console.log(`bench: ${name} ${value.toFixed(digits)} ${unit} -- ${conditions}`);
}

function workerOptions(rig: Rig, side: Side, streamName: string, handler: WorkerOptions['handler']): WorkerOptions {
  return {
    applicationName: uniqueName(`bench-${side}`),
    streamName,
    initialPosition: 'TRIM_HORIZON',
    clientOptions: { env: rig.env },
    handler,
    ...(side === 'fanout' ? { retrieval: 'fanout' as const, fanout: { kinesisClient: rig.fanOutClient, registrationPollMs: 50 } } : {}),
  };
}

// Polled every 5 ms: a latency run must notice the last record soon after it arrives.
const waitUntil = (condition: () => boolean, timeoutMs: number, what: string): Promise<void> => waitFor(condition, timeoutMs, what, 5);

/** One latency run: put → handler latencies in ms. */
async function latencyRun(rig: Rig, side: Side): Promise<number[]> {
  const streamName = uniqueName(`lat-${side}`);
  await createStream(rig.kinesis, streamName, 2);
  const seenAt = new Map<string, number>();
  let batches = 0;
  const handler: WorkerOptions['handler'] = (records) => {
    batches++;
    const now = performance.now();
    for (const r of records) seenAt.set(r.data.toString(), now);
  };
  // Empty batches too: they show the worker is caught up before the puts start.
  const worker = new Worker({ ...workerOptions(rig, side, streamName, handler), processEmptyBatches: true });
  await worker.start();
  try {
    // Caught up: both shards held and delivering (empty) batches.
    await waitUntil(() => worker.shards.length === 2 && batches >= 4, 30_000, `${side} to catch up`);
    const putAt = new Map<string, number>();
    for (let i = 0; i < LATENCY_PUTS; i++) {
      const id = `${side}-${i}-${randomBytes(4).toString('hex')}`;
      putAt.set(id, performance.now());
      await rig.kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: id, Data: Buffer.from(id) }));
      await delay(PUT_GAP_MS * (0.5 + Math.random()));
    }
    await waitUntil(() => [...putAt.keys()].every((id) => seenAt.has(id)), 30_000, `${side} to process every put`);
    return [...putAt].map(([id, at]) => seenAt.get(id)! - at);
  } finally {
    await worker.stop();
  }
}

/** One throughput run: records/s from the first lease to the last record. */
async function throughputRun(rig: Rig, side: Side): Promise<number> {
  const streamName = uniqueName(`tp-${side}`);
  await createStream(rig.kinesis, streamName, 4);
  const payload = randomBytes(50).toString('hex');
  for (let start = 0; start < THROUGHPUT_RECORDS; start += 500) {
    const n = Math.min(500, THROUGHPUT_RECORDS - start);
    await rig.kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: n }, (_, i) => ({ PartitionKey: `pk-${start + i}`, Data: Buffer.from(payload) })) }));
  }
  let seen = 0;
  let firstLeaseAt: number | undefined;
  const worker = new Worker(workerOptions(rig, side, streamName, (records) => void (seen += records.length)));
  worker.coordinator.once('leaseAcquired', () => (firstLeaseAt = performance.now()));
  await worker.start();
  try {
    await waitUntil(() => seen >= THROUGHPUT_RECORDS, 120_000, `${side} to read ${THROUGHPUT_RECORDS} records`);
    return THROUGHPUT_RECORDS / ((performance.now() - firstLeaseAt!) / 1000);
  } finally {
    await worker.stop();
  }
}

async function main(): Promise<void> {
  let kinesisProcess: EmulatorProcess | undefined;
  let dynamoProcess: EmulatorProcess | undefined;
  let rig: Rig | undefined;
  try {
    [kinesisProcess, dynamoProcess] = await Promise.all([startEmulatorProcess('kinesis'), startEmulatorProcess('dynamodb')]);
    const env = {
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_KINESIS: kinesisProcess.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamoProcess.endpoint,
    };
    const front = await startFanOutFront({ kinesisEndpoint: kinesisProcess.endpoint, region: REGION, pollIntervalMs: FRONT_POLL_MS });
    // The stock client: its default Node handler is the HTTP/2 one SubscribeToShard needs.
    const fanOutClient = new KinesisClient({ region: REGION, endpoint: front.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    rig = { env, kinesis: createKinesisClient({ env }), front, fanOutClient };

    const latency: Record<Side, { p50: number[]; p99: number[] }> = { fanout: { p50: [], p99: [] }, polling: { p50: [], p99: [] } };
    const throughput: Record<Side, number[]> = { fanout: [], polling: [] };
    const ratios = { p50: [] as number[], p99: [] as number[], throughput: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 === 0 ? ['fanout', 'polling'] : ['polling', 'fanout'];
      const lat = {} as Record<Side, number[]>;
      for (const side of order) lat[side] = await latencyRun(rig, side);
      for (const side of order) {
        latency[side].p50.push(percentile(lat[side], 50));
        latency[side].p99.push(percentile(lat[side], 99));
      }
      ratios.p50.push(percentile(lat.polling, 50) / percentile(lat.fanout, 50));
      ratios.p99.push(percentile(lat.polling, 99) / percentile(lat.fanout, 99));
      const tp = {} as Record<Side, number>;
      for (const side of order) tp[side] = await throughputRun(rig, side);
      throughput.fanout.push(tp.fanout);
      throughput.polling.push(tp.polling);
      ratios.throughput.push(tp.fanout / tp.polling);
      process.stderr.write(
        `round ${round + 1}/${ROUNDS}: p50 fanout ${percentile(lat.fanout, 50).toFixed(0)} ms, polling ${percentile(lat.polling, 50).toFixed(0)} ms; records/s fanout ${tp.fanout.toFixed(0)}, polling ${tp.polling.toFixed(0)}\n`,
      );
    }
    const lc = `${LATENCY_PUTS} single PutRecords ~${PUT_GAP_MS} ms apart on an idle 2-shard stream, median of ${ROUNDS} alternated rounds`;
    const fc = `fan-out through testkit's HTTP/2 front polling kinesalite every ${FRONT_POLL_MS} ms`;
    const pc = 'polling at the default idleTimeBetweenReadsMs 1,000';
    print('fanout-put-to-process-p50', median(latency.fanout.p50), 'ms', `${fc}; ${lc}`);
    print('fanout-put-to-process-p99', median(latency.fanout.p99), 'ms', `${fc}; ${lc}`);
    print('polling-put-to-process-p50', median(latency.polling.p50), 'ms', `${pc}; ${lc}`);
    print('polling-put-to-process-p99', median(latency.polling.p99), 'ms', `${pc}; ${lc}`);
    print('fanout-put-to-process-p50-vs-polling-put-to-process-p50', 1 / median(ratios.p50), 'x', `fan-out p50 / polling p50 within each round (lower is better); ${lc}`);
    print('fanout-put-to-process-p99-vs-polling-put-to-process-p99', 1 / median(ratios.p99), 'x', `fan-out p99 / polling p99 within each round (lower is better); ${lc}`);
    const tc = `${THROUGHPUT_RECORDS} records of 100 B pre-filled in 4 shards, one Worker from TRIM_HORIZON, no-op handler, auto-checkpoint, first lease to last record, median of ${ROUNDS} alternated rounds`;
    print('fanout-records-per-s', median(throughput.fanout), 'records/s', `${fc} (the front's GetRecords and event encoding run in the measured process); ${tc}`);
    print('polling-records-per-s', median(throughput.polling), 'records/s', `${pc} (calls 200 ms apart while behind); ${tc}`);
    print('fanout-records-per-s-vs-polling-records-per-s', median(ratios.throughput), 'x', `fan-out / polling records/s within each round; ${tc}`);
  } finally {
    rig?.kinesis.destroy();
    rig?.fanOutClient.destroy();
    await rig?.front.close();
    await stopEmulatorProcess(kinesisProcess);
    await stopEmulatorProcess(dynamoProcess);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
