/**
 * The chaos acceptance test of the worker: three worker processes (`workerProcess.ts`) consume a
 * 4-shard stream that a KPL-aggregating producer writes to at a steady rate, while the stream is
 * split and merged, one worker is SIGKILLed, a new one joins and another is stopped with SIGTERM.
 * Everything the processors report is then checked (`verify.ts`): every record processed, in
 * sequence order per shard, children after their parents, duplicates only from the SIGKILLed
 * worker's uncheckpointed batches, leases balanced over the live workers, failover and handover
 * within their bounds.
 *
 * Real emulators only (kinesalite + dynalite in this process); every child process, timer, client
 * and port is released before {@link runChaos} settles, whether it passes, fails or is aborted.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, createKinesisClient, createLogger } from '@shardline/core';
import { LeaseTable } from '@shardline/dynamo-lease';
import { Producer } from '@shardline/producer';
import { createStream, type Emulators, type FanOutFront, listAllShards, startEmulators, startFanOutFront, uniqueName } from '@shardline/testkit';
import { writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { mergeShards, splitShard } from '../helpers';
import { type ChaosOptions, HANDOVER_MARGIN_MS, resolveChaosOptions } from './chaosOptions';
import type { ChaosResult, ChaosStep } from './chaosResult';
import { LeaseWatch, openShards } from './leaseTable';
import { Recorder } from './recording';
import { SteadyProducer } from './steadyProducer';
import { verdictFailures, verifyRecording } from './verify';
import { WorkerFleet, type WorkerProcess } from './workerFleet';

/**
 * Runs the chaos scenario against emulators started here and returns what it found. Rejects only
 * when the scenario could not be set up or was aborted; a failed check is in `failures`.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const o = resolveChaosOptions(options);
  const { signal } = o;
  signal?.throwIfAborted();
  const runStartedAt = Date.now();
  const steps: ChaosStep[] = [];
  const failures: string[] = [];
  const step = (name: string, detail = ''): void => {
    const atMs = Date.now() - runStartedAt;
    steps.push({ atMs, step: name, detail });
    o.onProgress(`${(atMs / 1000).toFixed(1)}s ${name}${detail ? ` ${detail}` : ''}`);
  };
  // Not `waitFor` (test/helpers.ts): a timeout here is a finding, not an error, and the abort signal must end the wait.
  const sleep = (ms: number): Promise<void> => delay(ms, undefined, { signal });
  const waitUntil = async (condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await condition()) return true;
      if (Date.now() > deadline) return false;
      await sleep(100);
    }
  };

  const recorder = new Recorder();
  const streamName = uniqueName('chaos');
  const applicationName = uniqueName('chaos-app');
  const failoverBoundMs = 1.5 * o.failoverTimeMs;
  const handoverBoundMs = Math.floor(o.failoverTimeMs / 4) + HANDOVER_MARGIN_MS;
  const exitAfterSigtermMs: Record<string, number | undefined> = {};
  let emulators: Emulators | undefined;
  let front: FanOutFront | undefined;
  let kinesis: KinesisClient | undefined;
  let dynamo: ReturnType<typeof createDynamoDbClient> | undefined;
  let fleet: WorkerFleet | undefined;
  let steady: SteadyProducer | undefined;
  let producing = false;

  try {
    emulators = await startEmulators();
    const env = emulators.env;
    // Fan-out: the workers subscribe through an HTTP/2 front served from this process (kinesalite behind it).
    if (o.retrieval === 'fanout') front = await startFanOutFront({ kinesisEndpoint: emulators.kinesisEndpoint!, region: env.AWS_REGION, subscriptionMs: o.fanOutSubscriptionMs });
    kinesis = createKinesisClient({ env });
    dynamo = createDynamoDbClient({ env });
    const leases = new LeaseWatch(new LeaseTable({ tableName: applicationName, client: dynamo }), sleep);
    const workers = new WorkerFleet(
      {
        ...env,
        SHARDLINE_CHAOS_STREAM: streamName,
        SHARDLINE_CHAOS_APP: applicationName,
        SHARDLINE_CHAOS_FAILOVER_MS: String(o.failoverTimeMs),
        SHARDLINE_CHAOS_IDLE_MS: String(o.idleTimeBetweenReadsMs),
        SHARDLINE_CHAOS_WORK_MS: String(o.workMs),
        ...(front ? { SHARDLINE_CHAOS_RETRIEVAL: 'fanout', SHARDLINE_CHAOS_FANOUT_ENDPOINT: front.endpoint } : {}),
      },
      recorder,
    );
    fleet = workers;
    const client = kinesis;
    const listShards = (): ReturnType<typeof listAllShards> => listAllShards(client, streamName);
    const balanced = (): Promise<boolean> => leases.balanced(workers.liveIds());
    const takeover = (keys: readonly string[], from: string, at: number): Promise<number | undefined> => leases.takeover(keys, from, at, at + 6 * o.failoverTimeMs);
    const pauseMs = Math.floor(o.durationMs / 6);
    const stepTimeoutMs = Math.max(30_000, 10 * o.failoverTimeMs);

    // Set up: the stream, the producer, three workers, leases balanced.
    await createStream(kinesis, streamName, 4);
    const producer = new Producer({ streamName, clientOptions: { env }, logger: createLogger({ level: 'warn', name: 'chaos-producer', destination: 2 }) });
    await producer.start();
    steady = new SteadyProducer(producer, o.recordsPerSecond);
    steady.start();
    producing = true;
    step('producing', `${o.recordsPerSecond} records/s to ${streamName} (4 shards), workers ${o.retrieval === 'fanout' ? `on fan-out through ${front!.endpoint}` : 'polling'}`);
    const initial = ['w0', 'w1', 'w2'].map((id) => workers.start(id));
    const ready = (w: WorkerProcess): boolean => workers.ready(w);
    if (!(await waitUntil(() => initial.every(ready) || initial.some((w) => !w.alive), 120_000)) || !initial.every(ready)) {
      throw new Error(`worker processes did not start: ${workers.stderrSummary()}`);
    }
    step('workers ready', workers.liveIds().join(', '));
    if (!(await waitUntil(balanced, stepTimeoutMs))) failures.push('the initial leases did not balance over the three workers');
    step('leases balanced', JSON.stringify(await leases.counts(workers.liveIds())));

    // 1. Split a shard.
    await sleep(pauseMs);
    const toSplit = openShards(await listShards())[0]!.ShardId!;
    await splitShard(kinesis, streamName, toSplit);
    const splitChildren = (await listShards()).filter((s) => s.ParentShardId === toSplit && s.AdjacentParentShardId === undefined).map((s) => s.ShardId!);
    step('split', `${toSplit} into ${splitChildren.join(' + ')}`);
    if (!(await waitUntil(() => recorder.shardEnded(toSplit) && splitChildren.every((c) => recorder.hasBatch(c)), stepTimeoutMs))) {
      failures.push(`after the split, ${toSplit} did not end or its children ${splitChildren.join(', ')} were not processed within ${stepTimeoutMs} ms`);
    }
    step('split processed');

    // 2. Merge two adjacent open shards (not the split's children, when there is such a pair).
    await sleep(pauseMs);
    const byRange = openShards(await listShards()).sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
    const pairs = byRange
      .slice(1)
      .map((s, i) => [byRange[i]!, s] as const)
      .filter(([a, b]) => BigInt(a.HashKeyRange!.EndingHashKey!) + 1n === BigInt(b.HashKeyRange!.StartingHashKey!));
    const [left, right] = pairs.find(([a, b]) => !splitChildren.includes(a.ShardId!) && !splitChildren.includes(b.ShardId!)) ?? pairs[0]!;
    await mergeShards(kinesis, streamName, left.ShardId!, right.ShardId!);
    const merged = (await listShards()).find((s) => s.ParentShardId === left.ShardId && s.AdjacentParentShardId === right.ShardId)!.ShardId!;
    step('merge', `${left.ShardId} + ${right.ShardId} into ${merged}`);
    if (!(await waitUntil(() => recorder.shardEnded(left.ShardId!) && recorder.shardEnded(right.ShardId!) && recorder.hasBatch(merged), stepTimeoutMs))) {
      failures.push(`after the merge, ${left.ShardId} and ${right.ShardId} did not both end or ${merged} was not processed within ${stepTimeoutMs} ms`);
    }
    step('merge processed');

    // 3. SIGKILL the worker holding the most open leases; time the failover.
    await sleep(pauseMs);
    await waitUntil(balanced, stepTimeoutMs);
    const victim = await leases.mostLoaded(workers.live());
    victim.worker.fate = 'killed';
    // Mid-batch: right after the victim reports a batch, while it works on it and before it checkpoints.
    const killedAt = await new Promise<number>((resolve) => {
      const kill = (): void => {
        off();
        clearTimeout(fallback);
        signal?.removeEventListener('abort', kill);
        resolve(victim.worker.signal('SIGKILL'));
      };
      const off = recorder.onLine((l) => {
        if (l.type === 'batch' && l.worker === victim.worker.workerId && l.records.length > 0) kill();
      });
      const fallback = setTimeout(kill, 10_000);
      signal?.addEventListener('abort', kill, { once: true });
    });
    step('SIGKILL', `${victim.worker.workerId} holding ${victim.leases.join(', ') || 'no open lease'}`);
    if (!victim.leases.length) failures.push(`the SIGKILLed worker ${victim.worker.workerId} held no open lease: failover was not exercised`);
    const failoverMs = await takeover(victim.leases, victim.worker.workerId, killedAt);
    await waitUntil(() => recorder.acquiredAfter(victim.leases, victim.worker.workerId, killedAt) !== undefined, o.failoverTimeMs);
    const failoverAcquiredMs = recorder.acquiredAfter(victim.leases, victim.worker.workerId, killedAt);
    step('failover done', `${failoverMs ?? 'never'} ms (reported by the takers: ${failoverAcquiredMs ?? 'never'} ms)`);
    if (failoverMs === undefined || failoverMs > failoverBoundMs) failures.push(`failover after SIGKILL took ${failoverMs ?? 'forever'} ms (bound ${failoverBoundMs} ms)`);
    await victim.worker.closed;
    // Read once all its output is in: mid-batch when the victim's last report is a batch it never checkpointed.
    const victimLast = recorder.lines.filter((l) => l.worker === victim.worker.workerId).at(-1);
    const killedMidBatch = victimLast?.type === 'batch' && victimLast.records.length > 0;
    step(
      'killed worker gone',
      killedMidBatch ? `mid-batch: its last report was a batch of ${victimLast.records.length} on ${victimLast.shardId}` : `not mid-batch: its last report was ${victimLast?.type ?? 'nothing'}`,
    );

    // 4. A new worker joins.
    await sleep(pauseMs);
    const joiner = workers.start('w3');
    if (!(await waitUntil(() => ready(joiner) || !joiner.alive, 120_000)) || !ready(joiner)) throw new Error(`worker w3 did not start: ${joiner.stderrTail.slice(-5).join(' | ')}`);
    step('w3 ready');
    if (!(await waitUntil(balanced, stepTimeoutMs))) failures.push('the leases did not balance after w3 joined');
    step('leases balanced', JSON.stringify(await leases.counts(workers.liveIds())));

    // 5. SIGTERM another worker (the most loaded of the original ones); time the handover.
    await sleep(pauseMs);
    const stopped = await leases.mostLoaded(workers.live().filter((w) => w !== joiner));
    const termAt = workers.terminate([stopped.worker]);
    step('SIGTERM', `${stopped.worker.workerId} holding ${stopped.leases.join(', ') || 'no open lease'}`);
    if (!stopped.leases.length) failures.push(`the SIGTERMed worker ${stopped.worker.workerId} held no open lease: the handover was not exercised`);
    const handoverPolledMs = await takeover(stopped.leases, stopped.worker.workerId, termAt);
    // The lease table (served by this process) can show a take before the taker's report of it arrives.
    await waitUntil(() => recorder.acquiredAfter(stopped.leases, stopped.worker.workerId, termAt) !== undefined, o.failoverTimeMs);
    const handoverMs = recorder.acquiredAfter(stopped.leases, stopped.worker.workerId, termAt);
    step('handover done', `${handoverMs ?? 'never'} ms (polling the lease table: ${handoverPolledMs ?? 'never'} ms)`);
    if (handoverMs === undefined || handoverMs > handoverBoundMs) failures.push(`handover after SIGTERM took ${handoverMs ?? 'forever'} ms (bound ${handoverBoundMs} ms)`);
    const stoppedExit = await stopped.worker.awaitCleanExit(termAt, 20_000);
    exitAfterSigtermMs[stopped.worker.workerId] = stoppedExit.afterMs;
    if (stoppedExit.problem) failures.push(stoppedExit.problem);
    const releases = recorder.of('lease').filter((l) => l.worker === stopped.worker.workerId && l.event === 'released' && l.t >= termAt);
    const handoverReleasedMs = releases.length ? Math.max(...releases.map((l) => l.t)) - termAt : undefined;

    // 6. Keep producing a while, then drain.
    await sleep(pauseMs);
    await steady.stop();
    producing = false;
    step('producer closed', `${steady.results.size} records acknowledged, ${steady.failures.size} failed`);
    const expected = [...steady.results.keys()];
    if (!(await waitUntil(() => expected.every((id) => recorder.hasProcessed(id)), o.drainTimeoutMs)))
      failures.push(`not every record was processed within ${o.drainTimeoutMs} ms of the producer's close`);
    step('drained', `${recorder.processedCount} distinct records processed`);
    await waitUntil(balanced, stepTimeoutMs);
    const final = await leases.final(workers.liveIds(), listShards);
    failures.push(...final.problems);
    const finalLeaseCounts = final.counts;
    step('final leases', JSON.stringify(finalLeaseCounts));

    // The live workers stop gracefully and must exit by themselves.
    const survivors = workers.live();
    const stopAt = workers.terminate(survivors);
    for (const w of survivors) {
      const exit = await w.awaitCleanExit(stopAt, 20_000, ' at the end');
      exitAfterSigtermMs[w.workerId] = exit.afterMs;
      if (exit.problem) failures.push(exit.problem);
    }
    step('workers stopped');
    if (front) step('fan-out front', JSON.stringify(front.stats()));

    const killed = { workerId: victim.worker.workerId, at: killedAt };
    const verdict = verifyRecording({ lines: recorder.lines, produced: steady.results, failedPuts: new Set(steady.failures.keys()), shards: final.shards, killed, startedAt: runStartedAt });
    if (steady.failures.size) failures.push(`${steady.failures.size} puts failed: ${[...new Set(steady.failures.values())].join(', ')}`);
    failures.push(...verdictFailures(verdict));
    // The kill left an uncheckpointed batch, so its records must have been delivered again.
    if (killedMidBatch && verdict.duplicatesFromKilledWorker === 0) failures.push(`${killed.workerId} was SIGKILLed mid-batch, yet none of its records was delivered again`);
    for (const f of recorder.of('failed')) failures.push(`${f.worker} failed to start: ${f.message}`);

    return {
      ...verdict,
      passed: failures.length === 0,
      failures,
      streamName,
      applicationName,
      runMs: Date.now() - runStartedAt,
      produced: steady.results.size,
      producedAggregated: [...steady.results.values()].filter((r) => r.aggregated).length,
      produceFailures: steady.failures.size,
      producedWrongShard: [...steady.results.values()].filter((r) => r.attempts.some((a) => a.errorCode === 'Wrong Shard')).length,
      failoverTimeMs: o.failoverTimeMs,
      failoverMs,
      failoverBoundMs,
      failoverAcquiredMs,
      handoverMs,
      handoverBoundMs,
      handoverPolledMs,
      handoverReleasedMs,
      exitAfterSigtermMs,
      finalLeaseCounts,
      killedWorker: victim.worker.workerId,
      killedMidBatch,
      terminatedWorker: stopped.worker.workerId,
      steps,
      workerStderr: workers.stderrTails(),
      unparsedLines: recorder.unparsed.length,
    };
  } finally {
    if (producing) await steady?.abandon();
    await fleet?.destroy();
    if (o.recordingFile) await writeFile(o.recordingFile, recorder.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    kinesis?.destroy();
    dynamo?.destroy();
    await front?.close();
    await emulators?.stop();
  }
}
