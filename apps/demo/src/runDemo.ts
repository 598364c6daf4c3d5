import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, createKinesisClient, createLogger, MemoryMetrics } from '@shardline/core';
import { Producer } from '@shardline/producer';
import { type Emulators, listAllShards, startEmulators, uniqueName } from '@shardline/testkit';
import { writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { createDemoStream, deleteDemoResources, splitWidestShard } from './demoStream';
import { Display } from './Display';
import { type DemoSummary, formatSummary } from './formatSummary';
import { LoadGenerator } from './LoadGenerator';
import type { DemoArgs } from './parseDemoArgs';
import { demoView } from './progressView';
import { Recorder } from './Recorder';
import { runScenario } from './runScenario';
import { verifyRun } from './verifyRun';
import { waitFor } from './waitFor';
import { WorkerFleet } from './WorkerFleet';

/** How {@link runDemo} writes and when it stops. */
export interface RunDemoOptions {
  /** Redraw a progress panel in place (stdout is a terminal). Default false: plain lines only. */
  readonly tty?: boolean;
  /** Terminal width, for the panel. Default 100. */
  readonly columns?: number;
  /** Between progress lines when not a TTY, in ms. Default 5,000. */
  readonly progressIntervalMs?: number;
  /** Interrupts the run (Ctrl-C): everything is cleaned up and the promise rejects with the reason; with `keepRunning`, ends it. */
  readonly signal?: AbortSignal;
}

/** The workers' `failoverTimeMs`: short, so that the failover after the SIGKILL is quick. */
const FAILOVER_TIME_MS = 3_000;
/** Simulated work per batch, between a processor reporting it and checkpointing it: the SIGKILL lands in it. */
const WORK_MS = 50;
const DRAIN_TIMEOUT_MS = 60_000;

/**
 * Shardline demo: a producer (KPL aggregation) writes at a steady rate while worker processes share
 * the stream's shards through a KCL-compatible lease table. Midway a shard is split, a worker is
 * SIGKILLed, a new one starts and another stops gracefully; at the end the run is verified from what
 * the processors reported. Embedded kinesalite and dynalite run in this process for every service
 * without an AWS_ENDPOINT_URL* variable. Every process, port, stream and table it started is gone
 * when the promise settles.
 */
export async function runDemo(args: DemoArgs, say: (line: string) => void = (line) => void process.stdout.write(`${line}\n`), options: RunDemoOptions = {}): Promise<DemoSummary> {
  const { signal } = options;
  signal?.throwIfAborted();
  const startedAt = Date.now();
  const sleep = (ms: number): Promise<void> => delay(ms, undefined, { signal });
  const log = createLogger({ name: 'demo', level: (process.env.SHARDLINE_LOG_LEVEL as 'warn' | undefined) ?? 'warn', destination: 2 });
  const e = process.env;
  const externalKinesis = Boolean(e.AWS_ENDPOINT_URL || e.AWS_ENDPOINT_URL_KINESIS);
  const externalDynamo = Boolean(e.AWS_ENDPOINT_URL || e.AWS_ENDPOINT_URL_DYNAMODB);
  const streamName = uniqueName('shardline-demo');
  const tableName = `${streamName}-leases`;
  const targetMs = args.records === undefined ? args.durationSeconds * 1000 : (args.records / args.rate) * 1000;
  const target = args.records === undefined ? `${args.durationSeconds} s` : `${args.records} records`;
  const recorder = new Recorder();
  let emulators: Emulators | undefined;
  let kinesis: KinesisClient | undefined;
  let dynamo: DynamoDBClient | undefined;
  let fleet: WorkerFleet | undefined;
  const loads: LoadGenerator[] = [];
  let streamCreated = false;
  let statusUrl: string | undefined;
  const display = new Display(say, { tty: options.tty ?? false, columns: options.columns, progressIntervalMs: options.progressIntervalMs }, () =>
    demoView({ recorder, fleet, loads, startedAt, target, statusUrl }),
  );
  const lastHolder = new Map<string, string>();
  const stopEvents = recorder.onLine((l) => {
    if (l.type === 'lease' && l.event === 'acquired') {
      const from = lastHolder.get(l.leaseKey);
      lastHolder.set(l.leaseKey, l.worker);
      display.event(`lease ${l.leaseKey} → ${l.worker}${from && from !== l.worker ? ` (from ${from})` : ''}`);
    } else if (l.type === 'shardEnded') display.event(`${l.shardId} read to its end by ${l.worker}`);
    else if (l.type === 'failed') display.event(`${l.worker} failed to start: ${l.message}`);
    else if (l.type === 'ready') {
      display.event(`${l.worker} ready (pid ${l.pid})`);
      if (l.worker === 'worker-1') {
        statusUrl = l.statusUrl;
        display.event(statusUrl ? `status page: ${statusUrl}  (served by worker-1: open it in a browser while the demo runs)` : 'status page: not available');
      }
    }
  });
  const onAbort = (): void => display.event(`${(signal?.reason as Error | undefined)?.message ?? 'interrupted'}: stopping the workers, the producer and the emulators`);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    emulators = externalKinesis && externalDynamo ? undefined : await startEmulators({ kinesis: !externalKinesis, dynamodb: !externalDynamo });
    const env = demoEnv(emulators, externalKinesis || externalDynamo);
    const where = (external: boolean, name: string, variable: string): string => (external ? `${name} at ${env[variable] ?? env.AWS_ENDPOINT_URL}` : `embedded ${name}`);
    say(
      `shardline demo: ${where(externalKinesis, 'Kinesis', 'AWS_ENDPOINT_URL_KINESIS')}, ${where(externalDynamo, 'DynamoDB', 'AWS_ENDPOINT_URL_DYNAMODB')}${emulators ? ' (kinesalite/dynalite in this process)' : ''}`,
    );
    kinesis = createKinesisClient({ env });
    dynamo = createDynamoDbClient({ env });
    await createDemoStream(kinesis, streamName, args.shards);
    streamCreated = true;
    say(
      `stream ${streamName}: ${args.shards} shards; lease table ${tableName}; ${args.workers} worker processes (failoverTimeMs ${FAILOVER_TIME_MS}); producing ${target} at ${args.rate} records/s of ${args.recordBytes} B`,
    );

    const workers = new WorkerFleet(env, recorder);
    fleet = workers;
    const startWorker = (): ReturnType<WorkerFleet['start']> => {
      const n = workers.workers.length + 1;
      return workers.start({ workerId: `worker-${n}`, streamName, applicationName: tableName, failoverTimeMs: FAILOVER_TIME_MS, workMs: WORK_MS, ...(n === 1 ? { statusServer: true } : {}) });
    };
    const initial = Array.from({ length: args.workers }, startWorker);
    const metrics = new MemoryMetrics();
    const producer = new Producer({ streamName, clientOptions: { env }, logger: log, metrics });
    const steady = new LoadGenerator(producer, args.rate, args.recordBytes, args.records);
    loads.push(steady);
    await producer.start();
    steady.start();
    const started = await waitFor(() => initial.every((w) => recorder.isReady(w.workerId)) || initial.some((w) => !w.alive), 60_000, sleep);
    if (!started || !initial.every((w) => recorder.isReady(w.workerId))) throw new Error(`worker processes did not start: ${workers.stderrSummary()}`);
    display.start();

    const scenario = await runScenario({
      fleet: workers,
      recorder,
      startWorker,
      splitShard: () => splitWidestShard(kinesis!, streamName),
      sleep,
      signal,
      event: (t) => display.event(t),
      pauseMs: Math.min(Math.max(Math.round(targetMs / 6), 500), 15_000),
      failoverTimeMs: FAILOVER_TIME_MS,
    });
    if (args.records === undefined) await sleep(Math.max(0, targetMs - (Date.now() - steady.startedAt)));
    else await waitFor(() => steady.exhausted, Infinity, sleep);
    await steady.stop();
    display.event(`producer closed: ${steady.results.size} records acknowledged, ${steady.failures.size} failed`);
    const expected = [...steady.results.keys()];
    let checked = 0;
    const drained = await waitFor(
      () => {
        while (checked < expected.length && recorder.hasConsumed(expected[checked]!)) checked++;
        return checked === expected.length;
      },
      DRAIN_TIMEOUT_MS,
      sleep,
    );
    display.event(drained ? 'drained: every acknowledged record consumed' : `not drained within ${DRAIN_TIMEOUT_MS / 1000} s`);

    const problems = [...scenario.problems, ...recorder.of('failed').map((f) => `${f.worker} failed to start: ${f.message}`)];
    if (!args.keepRunning) problems.push(...(await stopGracefully(workers, display)));
    const verification = verifyRun({
      lines: recorder.lines,
      produced: steady.results,
      failedPuts: steady.failures,
      shards: await listAllShards(kinesis, streamName),
      failover: scenario.failover,
      handover: scenario.handover,
      failoverTimeMs: FAILOVER_TIME_MS,
      producing: { startedAt: steady.startedAt, lastAckAt: steady.lastAckAt },
      problems,
    });
    display.stop();
    const summary: DemoSummary = {
      ...verification,
      streamName,
      tableName,
      statusUrl,
      runMs: Date.now() - startedAt,
      kinesisRecordsPut: metrics.total('producer_kinesis_records_put_total'),
      killedWorker: scenario.failover?.workerId,
      stoppedWorker: scenario.handover?.workerId,
      failoverTimeMs: FAILOVER_TIME_MS,
    };
    for (const line of formatSummary(summary)) say(line);
    if (args.keepRunning) {
      const more = new LoadGenerator(new Producer({ streamName, clientOptions: { env }, logger: log }), args.rate, args.recordBytes, undefined, 'k');
      loads.push(more);
      more.start();
      display.start();
      display.line(`keep-running: the workers, a producer and the status page stay up${statusUrl ? ` (${statusUrl})` : ''}; Ctrl-C stops them`);
      await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
    }
    return summary;
  } finally {
    // SHARDLINE_DEMO_RECORD=<file.jsonl> keeps every line the workers reported, to look into a run.
    if (e.SHARDLINE_DEMO_RECORD) writeFileSync(e.SHARDLINE_DEMO_RECORD, recorder.lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    stopEvents();
    signal?.removeEventListener('abort', onAbort);
    display.stop();
    for (const l of loads) await l.abandon();
    await fleet?.destroy();
    const problems =
      streamCreated && kinesis && dynamo && (externalKinesis || externalDynamo)
        ? await deleteDemoResources(externalKinesis ? kinesis : undefined, externalDynamo ? dynamo : undefined, streamName, tableName)
        : [];
    kinesis?.destroy();
    dynamo?.destroy();
    await emulators?.stop();
    const deleted = [externalKinesis && 'stream', externalDynamo && 'lease table'].filter(Boolean).join(' and ');
    say(
      `cleaned up: ${fleet?.workers.length ?? 0} worker processes ended${emulators ? ', emulators stopped' : ''}${deleted && streamCreated ? `, ${deleted} deleted` : ''}${problems.length ? `; ${problems.join('; ')}` : ''}`,
    );
  }
}

/** The clients' and workers' environment: the user's, pointed at the emulators (all their variables when nothing is external, else only their endpoints). */
function demoEnv(emulators: Emulators | undefined, someExternal: boolean): Record<string, string | undefined> {
  if (!emulators) return { ...process.env };
  const added = someExternal ? Object.fromEntries(Object.entries(emulators.env).filter(([k]) => k.startsWith('AWS_ENDPOINT_URL'))) : emulators.env;
  return { ...process.env, ...added };
}

/** SIGTERMs every live worker and waits for each to exit by itself; returns what went wrong, in words. */
async function stopGracefully(fleet: WorkerFleet, display: Display): Promise<string[]> {
  const live = fleet.live();
  const at = Date.now();
  for (const w of live) w.signal('SIGTERM');
  const problems: string[] = [];
  for (const w of live) {
    if (!(await w.waitForExit(20_000))) problems.push(`${w.workerId} did not exit within 20 s of SIGTERM at the end`);
    else if (w.exit!.code !== 0) problems.push(`${w.workerId} exited with ${w.exit!.code ?? w.exit!.signal} after SIGTERM at the end`);
  }
  display.event(`stopped ${live.map((w) => w.workerId).join(', ')} gracefully in ${Date.now() - at} ms`);
  return problems;
}
