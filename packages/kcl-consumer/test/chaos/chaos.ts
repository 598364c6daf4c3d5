/**
 * The chaos acceptance test of the worker: three worker processes (`workerProcess.ts`) consume a
 * 4-shard stream that a KPL-aggregating producer writes to at a steady rate, while the stream is
 * split and merged, one worker is SIGKILLed, a new one joins and another is stopped with SIGTERM.
 * Everything the processors report is then checked: every record processed, in sequence order per
 * shard, children after their parents, duplicates only where a checkpoint had not been made,
 * leases balanced over the live workers, failover and handover within their bounds.
 *
 * Real emulators only (kinesalite + dynalite in this process); every child process, timer, client
 * and port is released before {@link runChaos} settles, whether it passes, fails or is aborted.
 */
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, createKinesisClient, createLogger, ExtendedSequenceNumber, InvalidArgumentError } from '@shardline/core';
import { isFinishedLease, type Lease, LeaseTable } from '@shardline/dynamo-lease';
import { Producer, type PutResult } from '@shardline/producer';
import { createStream, type Emulators, listAllShards, startEmulators, uniqueName } from '@shardline/testkit';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { mergeShards, splitShard } from '../helpers';

const FIXTURE = path.join(__dirname, 'workerProcess.ts');
const PACKAGE_DIR = path.join(__dirname, '..', '..');

/**
 * What the graceful handover may take beyond one taker interval, in ms, measured from the signal
 * to the taking workers' own `leaseAcquired` reports. Each part is a few DynamoDB round trips,
 * which take 5–50 ms here and up to ~150 ms when four Node processes and both emulators share two
 * busy cores:
 *
 * - the stopping worker finishes the batch in hand and checkpoints it, calls `shutdownRequested`,
 *   waits for a taker run or renewal in flight and releases its leases (observed 5–100 ms): 150;
 * - a peer's taker interval counts from the end of its previous run, which may have scanned just
 *   before the release and still be taking: 150;
 * - the next run's scan and take write: 150;
 * - timer and event-loop slack: 50.
 *
 * Observed: 345–1030 ms with a 750 ms taker interval.
 */
export const HANDOVER_MARGIN_MS = 500;

/** Options of {@link runChaos}. */
export interface ChaosOptions {
  /** Length of the chaos phase, in ms; the five faults are spread evenly over it. At least 6,000. */
  readonly durationMs: number;
  /** User records produced per second, for the whole run. Default 200. */
  readonly recordsPerSecond?: number;
  /** The workers' `failoverTimeMs`. Default 3,000. */
  readonly failoverTimeMs?: number;
  /** The workers' `idleTimeBetweenReadsMs`. Default 250. */
  readonly idleTimeBetweenReadsMs?: number;
  /**
   * Simulated work per batch, between a processor reporting the batch and checkpointing it, in
   * ms. The SIGKILL is sent right after the victim reports a batch, inside this window, so that
   * the killed worker always leaves an uncheckpointed batch behind. Default 50.
   */
  readonly workMs?: number;
  /** Longest wait, once the producer is closed, for every record to be processed, in ms. Default 60,000. */
  readonly drainTimeoutMs?: number;
  /** Stops the run early: everything is cleaned up and the promise rejects with the abort reason. */
  readonly signal?: AbortSignal;
  /** Progress messages, one line each. Default: none. */
  readonly onProgress?: (message: string) => void;
  /** Writes every line the workers reported to this file (JSON lines), for a closer look. Default: none. */
  readonly recordingFile?: string;
}

interface ResolvedChaosOptions {
  readonly durationMs: number;
  readonly recordsPerSecond: number;
  readonly failoverTimeMs: number;
  readonly idleTimeBetweenReadsMs: number;
  readonly workMs: number;
  readonly drainTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: (message: string) => void;
  readonly recordingFile: string | undefined;
}

function positiveInteger(path: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new InvalidArgumentError(`${path} must be an integer of at least ${min} (got ${String(value)})`);
  return value;
}

function resolveChaosOptions(input: ChaosOptions): ResolvedChaosOptions {
  if (input === null || typeof input !== 'object') throw new InvalidArgumentError('chaos options must be an object');
  if (input.durationMs === undefined) throw new InvalidArgumentError('chaos.durationMs is required');
  return {
    durationMs: positiveInteger('chaos.durationMs', input.durationMs, 0, 6_000),
    recordsPerSecond: positiveInteger('chaos.recordsPerSecond', input.recordsPerSecond, 200, 1),
    failoverTimeMs: positiveInteger('chaos.failoverTimeMs', input.failoverTimeMs, 3_000, 200),
    idleTimeBetweenReadsMs: positiveInteger('chaos.idleTimeBetweenReadsMs', input.idleTimeBetweenReadsMs, 250, 200),
    workMs: positiveInteger('chaos.workMs', input.workMs, 50, 0),
    drainTimeoutMs: positiveInteger('chaos.drainTimeoutMs', input.drainTimeoutMs, 60_000, 1_000),
    signal: input.signal,
    onProgress: input.onProgress ?? (() => undefined),
    recordingFile: input.recordingFile,
  };
}

// ---------------------------------------------------------------- what the fixture reports

/** One user record as a processor saw it: id, sequence number, sub-sequence number. */
type ReportedRecord = readonly [id: string, sequenceNumber: string, subSequenceNumber: number];

/** One line of a worker process's stdout (`workerProcess.ts`); `t` is the child's `Date.now()`. */
export type ChaosLine = { readonly worker: string; readonly t: number } & (
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'failed'; readonly error: string; readonly message: string }
  | { readonly type: 'stopping'; readonly reason: string }
  | { readonly type: 'stopped' }
  | { readonly type: 'lease'; readonly event: 'acquired' | 'lost' | 'released'; readonly leaseKey: string; readonly reason?: string }
  | { readonly type: 'initialize'; readonly pi: number; readonly shardId: string; readonly checkpoint: string }
  | { readonly type: 'batch'; readonly pi: number; readonly shardId: string; readonly records: readonly ReportedRecord[] }
  | { readonly type: 'checkpointed'; readonly pi: number; readonly shardId: string; readonly during: string; readonly position: string | undefined }
  | { readonly type: 'checkpointFailed'; readonly pi: number; readonly shardId: string; readonly during: string; readonly error: string }
  | { readonly type: 'shardEnded'; readonly pi: number; readonly shardId: string }
  | { readonly type: 'shutdownRequested'; readonly pi: number; readonly shardId: string }
  | { readonly type: 'leaseLost'; readonly pi: number; readonly shardId: string }
);

/** A line with when this process saw it (`Date.now()`) and its arrival order. */
export type SeenLine = ChaosLine & { readonly seenAt: number; readonly index: number };

type LineOf<T extends ChaosLine['type']> = Extract<SeenLine, { type: T }>;

/** Every line from every worker process, in arrival order. */
class Recorder {
  readonly lines: SeenLine[] = [];
  readonly unparsed: string[] = [];
  private readonly processedIds = new Set<string>();
  private readonly endedShards = new Set<string>();
  private readonly shardsWithBatches = new Set<string>();
  private readonly listeners = new Set<(line: SeenLine) => void>();

  /** Calls `listener` with every line from now on, synchronously; returns the unsubscribe. */
  onLine(listener: (line: SeenLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(text: string): void {
    let line: ChaosLine;
    try {
      line = JSON.parse(text) as ChaosLine;
    } catch {
      this.unparsed.push(text);
      return;
    }
    const seen = { ...line, seenAt: Date.now(), index: this.lines.length } as SeenLine;
    this.lines.push(seen);
    if (seen.type === 'batch') {
      if (seen.records.length) this.shardsWithBatches.add(seen.shardId);
      for (const r of seen.records) this.processedIds.add(r[0]);
    }
    if (seen.type === 'shardEnded') this.endedShards.add(seen.shardId);
    for (const listener of this.listeners) listener(seen);
  }

  of<T extends ChaosLine['type']>(type: T): LineOf<T>[] {
    return this.lines.filter((l): l is LineOf<T> => l.type === type);
  }

  hasProcessed(id: string): boolean {
    return this.processedIds.has(id);
  }

  get processedCount(): number {
    return this.processedIds.size;
  }

  shardEnded(shardId: string): boolean {
    return this.endedShards.has(shardId);
  }

  hasBatch(shardId: string): boolean {
    return this.shardsWithBatches.has(shardId);
  }
}

// ---------------------------------------------------------------- worker processes

/** One `workerProcess.ts` child. */
class WorkerProcess {
  readonly stderrTail: string[] = [];
  /** Set when the child has exited: `Date.now()` then, and how. */
  exit: { readonly at: number; readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined;
  /** What this run did to it. */
  fate: 'running' | 'killed' | 'terminated' = 'running';
  /** Resolves once the child has exited and its output has been read to the end. */
  readonly closed: Promise<void>;
  private readonly child: ChildProcess;

  constructor(
    readonly workerId: string,
    env: Readonly<Record<string, string>>,
    recorder: Recorder,
  ) {
    this.child = spawn(process.execPath, ['--conditions=shardline-source', '--import', 'tsx', FIXTURE], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SHARDLINE_CHAOS_WORKER: workerId },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.closed = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.stderrTail.push(`spawn failed: ${String(error)}`);
        this.exit ??= { at: Date.now(), code: null, signal: null };
        resolve();
      });
      this.child.once('exit', (code, signal) => (this.exit ??= { at: Date.now(), code, signal }));
      this.child.once('close', () => resolve());
    });
    // stdin stays open: its end tells the child that this process is gone.
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => recorder.add(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
    });
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Sends `signal`; returns `Date.now()` just before. */
  signal(signal: NodeJS.Signals): number {
    const at = Date.now();
    this.child.kill(signal);
    return at;
  }

  /** Resolves true once exited, false if still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    const timer = new AbortController();
    const exited = await Promise.race([this.closed.then(() => true), delay(timeoutMs, false, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    return exited;
  }

  /** SIGKILL unless already gone, then waits for the exit. */
  async destroy(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    this.child.stdin?.destroy();
    await this.closed;
  }
}

// ---------------------------------------------------------------- producing

/** Puts `<prefix>-<n>` records at a steady rate until stopped; remembers where each landed. */
class SteadyProducer {
  readonly results = new Map<string, PutResult>();
  readonly failures = new Map<string, string>();
  private readonly pending = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private sent = 0;
  private startedAt = 0;

  constructor(
    private readonly producer: Producer,
    private readonly recordsPerSecond: number,
  ) {}

  get produced(): number {
    return this.sent;
  }

  start(): void {
    this.startedAt = performance.now();
    this.timer = setInterval(() => this.tick(), 20);
  }

  /** Stops producing, closes the producer (writing everything accepted) and waits for every result. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.producer.close();
    await Promise.allSettled([...this.pending]);
  }

  /** Stops at once on the failure path: unsettled records fail, nothing waits. */
  async abandon(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.producer.close({ timeoutMs: 0 }).catch(() => undefined);
  }

  private tick(): void {
    const due = Math.floor(((performance.now() - this.startedAt) * this.recordsPerSecond) / 1000);
    while (this.sent < due) {
      const id = `rec-${String(this.sent++).padStart(7, '0')}`;
      const put = this.producer.put(id, `pk-${id}`).then(
        (result) => void this.results.set(id, result),
        (error: unknown) => void this.failures.set(id, error instanceof Error ? error.name : String(error)),
      );
      this.pending.add(put);
      void put.finally(() => this.pending.delete(put));
    }
  }
}

// ---------------------------------------------------------------- the lease table

/** Open (not `SHARD_END`) leases by key, with their owners. */
async function openLeases(table: LeaseTable): Promise<Lease[]> {
  return (await table.listLeases()).filter((l) => !isFinishedLease(l));
}

function countsOf(leases: readonly Lease[], workers: readonly string[]): Map<string, number> {
  const counts = new Map(workers.map((w) => [w, 0]));
  for (const l of leases) if (l.leaseOwner !== undefined && counts.has(l.leaseOwner)) counts.set(l.leaseOwner, counts.get(l.leaseOwner)! + 1);
  return counts;
}

/** Why the open leases are not balanced over `live` workers, or an empty list when they are. */
function balanceProblems(leases: readonly Lease[], live: readonly string[]): string[] {
  const problems: string[] = [];
  for (const l of leases) if (l.leaseOwner === undefined || !live.includes(l.leaseOwner)) problems.push(`${l.leaseKey} is owned by ${l.leaseOwner ?? 'nobody'}, not a live worker`);
  const counts = [...countsOf(leases, live).values()];
  if (counts.length && Math.max(...counts) - Math.min(...counts) > 1) problems.push(`open-lease counts differ by more than one: ${JSON.stringify(Object.fromEntries(countsOf(leases, live)))}`);
  return problems;
}

// ---------------------------------------------------------------- verification

/** Everything the verification looks at. */
export interface ChaosRecording {
  readonly lines: readonly SeenLine[];
  /** Where each acknowledged record landed, by id. */
  readonly produced: ReadonlyMap<string, PutResult>;
  /** Ids whose put failed (they may or may not have landed). */
  readonly failedPuts: ReadonlySet<string>;
  /** Every shard, open and closed, from ListShards at the end. */
  readonly shards: readonly Shard[];
  /** The SIGKILLed worker and `Date.now()` just before the signal. */
  readonly killed: { readonly workerId: string; readonly at: number } | undefined;
}

/** What {@link verifyRecording} found. */
export interface RecordingVerdict {
  readonly processedDistinct: number;
  readonly deliveries: number;
  readonly missing: readonly string[];
  readonly unexpected: readonly string[];
  readonly misplaced: readonly string[];
  readonly orderViolations: readonly string[];
  readonly lineageViolations: readonly string[];
  /** Deliveries beyond the first, over all records. */
  readonly duplicates: number;
  /** Of those, re-deliveries of batches the SIGKILLed worker processed after its last completed checkpoint. */
  readonly duplicatesFromKilledWorker: number;
  /**
   * Of those, re-deliveries of batches a live worker processed after its lease had been taken
   * from it (its checkpoint was refused, it got `leaseLost`): the KCL's at-least-once on a steal.
   */
  readonly duplicatesFromLeaseLoss: number;
  /** Duplicates neither explains: the first delivery was checkpointed, or its holder kept the lease. */
  readonly unexplainedDuplicates: readonly string[];
  /** Runs (one processor instance's consecutive batches on a shard) per shard. */
  readonly runsByShard: Readonly<Record<string, number>>;
}

function positionOf(r: ReportedRecord): ExtendedSequenceNumber {
  return new ExtendedSequenceNumber(r[1], r[2]);
}

function parsePosition(text: string): ExtendedSequenceNumber {
  const [sequenceNumber, sub] = text.split(':');
  return new ExtendedSequenceNumber(sequenceNumber!, sub === undefined ? 0 : Number(sub));
}

function byTime(a: SeenLine, b: SeenLine): number {
  return a.t - b.t || a.index - b.index;
}

function maxPosition(positions: readonly ExtendedSequenceNumber[]): ExtendedSequenceNumber | undefined {
  return positions.reduce<ExtendedSequenceNumber | undefined>((m, p) => (m === undefined ? p : ExtendedSequenceNumber.max(m, p)), undefined);
}

/**
 * Checks what the processors reported (pure):
 *
 * - every acknowledged record was processed, at the shard and position its put reported;
 * - per shard, within each run of consecutive batches by one processor instance, extended
 *   sequence numbers strictly increase, and each run starts after the last checkpoint completed on
 *   the shard before it; no processor instance has two runs (two holders at once);
 * - no record of a child shard was processed before each parent reported `shardEnded` (and before
 *   its `SHARD_END` checkpoint completed, where one was reported);
 * - every duplicate re-delivers a record whose first delivery no completed checkpoint covered, by
 *   a worker that was SIGKILLed or lost the lease.
 */
export function verifyRecording(rec: ChaosRecording): RecordingVerdict {
  const batches = rec.lines.filter((l): l is LineOf<'batch'> => l.type === 'batch');
  const checkpoints = rec.lines.filter((l): l is LineOf<'checkpointed'> => l.type === 'checkpointed' && l.position !== undefined);
  const processorKey = (l: { worker: string; pi: number }): string => `${l.worker}/${l.pi}`;

  // Deliveries, and where they happened.
  interface Delivery {
    readonly batch: LineOf<'batch'>;
    readonly position: ExtendedSequenceNumber;
  }
  const deliveries = new Map<string, Delivery[]>();
  const misplaced: string[] = [];
  let deliveryCount = 0;
  for (const batch of batches) {
    for (const r of batch.records) {
      deliveryCount++;
      const list = deliveries.get(r[0]) ?? [];
      list.push({ batch, position: positionOf(r) });
      deliveries.set(r[0], list);
      const put = rec.produced.get(r[0]);
      if (put && (put.shardId !== batch.shardId || put.sequenceNumber !== r[1] || put.subSequenceNumber !== r[2])) {
        misplaced.push(`${r[0]} processed on ${batch.shardId} at ${r[1]}:${r[2]} by ${batch.worker}, but put at ${put.shardId} ${put.sequenceNumber}:${put.subSequenceNumber}`);
      }
    }
  }
  const missing = [...rec.produced.keys()].filter((id) => !deliveries.has(id));
  const unexpected = [...deliveries.keys()].filter((id) => !rec.produced.has(id) && !rec.failedPuts.has(id));

  // Order per shard.
  const orderViolations: string[] = [];
  const runsByShard: Record<string, number> = {};
  const shardIds = [...new Set(batches.map((b) => b.shardId))].sort();
  for (const shardId of shardIds) {
    const shardBatches = batches.filter((b) => b.shardId === shardId && b.records.length > 0).sort(byTime);
    const shardCheckpoints = checkpoints.filter((c) => c.shardId === shardId);
    const runs: LineOf<'batch'>[][] = [];
    for (const b of shardBatches) {
      const last = runs[runs.length - 1];
      if (last && processorKey(last[0]!) === processorKey(b)) last.push(b);
      else runs.push([b]);
    }
    runsByShard[shardId] = runs.length;
    // A processor instance with two runs delivered again after another one had started: both held the shard at once.
    const seenProcessors = new Set<string>();
    for (const run of runs) {
      const key = processorKey(run[0]!);
      if (seenProcessors.has(key)) orderViolations.push(`${shardId}: ${key} processed batches again after another worker had started on the shard`);
      seenProcessors.add(key);
    }
    for (const run of runs) {
      const first = run[0]!;
      let previous: ExtendedSequenceNumber | undefined;
      for (const b of run) {
        for (const r of b.records) {
          const p = positionOf(r);
          if (previous && p.compareTo(previous) <= 0) orderViolations.push(`${shardId}: ${processorKey(b)} processed ${r[0]} at ${p.toString()} after ${previous.toString()}`);
          previous = p;
        }
      }
      const before = shardCheckpoints.filter((c) => c.t < first.t);
      const last = maxPosition(before.map((c) => parsePosition(c.position!)));
      const start = positionOf(first.records[0]!);
      if (last?.equals(ExtendedSequenceNumber.SHARD_END)) orderViolations.push(`${shardId}: ${processorKey(first)} processed records after SHARD_END was checkpointed`);
      else if (last && !last.isSentinel && start.compareTo(last) <= 0) {
        orderViolations.push(`${shardId}: the run of ${processorKey(first)} starts at ${start.toString()}, not after the last checkpoint ${last.toString()}`);
      }
    }
  }

  // Children after parents.
  const lineageViolations: string[] = [];
  const ended = rec.lines.filter((l): l is LineOf<'shardEnded'> => l.type === 'shardEnded');
  for (const shard of rec.shards) {
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined);
    const firstBatch = batches.filter((b) => b.shardId === shard.ShardId && b.records.length > 0).sort(byTime)[0];
    if (!parents.length || !firstBatch) continue;
    for (const parent of parents) {
      const endedBefore = ended.some((e) => e.shardId === parent && e.t <= firstBatch.t);
      const shardEndAt = checkpoints.filter((c) => c.shardId === parent && c.position === 'SHARD_END').map((c) => c.t);
      if (!endedBefore) lineageViolations.push(`${shard.ShardId} was processed (by ${firstBatch.worker}) before its parent ${parent} reported shardEnded`);
      else if (shardEndAt.length && Math.min(...shardEndAt) > firstBatch.t) lineageViolations.push(`${shard.ShardId} was processed before the SHARD_END checkpoint of its parent ${parent} completed`);
    }
  }

  // Duplicates and their cause.
  const lostLease = new Set(rec.lines.filter((l) => l.type === 'leaseLost' || l.type === 'checkpointFailed').map((l) => processorKey(l as LineOf<'leaseLost'>)));
  const coveredUpTo = (worker: string, shardId: string, pi: number | undefined): ExtendedSequenceNumber | undefined =>
    maxPosition(checkpoints.filter((c) => c.worker === worker && c.shardId === shardId && (pi === undefined || c.pi === pi)).map((c) => parsePosition(c.position!)));
  let duplicates = 0;
  let fromKilled = 0;
  let fromLeaseLoss = 0;
  const unexplained: string[] = [];
  for (const [id, list] of deliveries) {
    if (list.length < 2) continue;
    const extra = list.length - 1;
    duplicates += extra;
    const [first] = [...list].sort((a, b) => byTime(a.batch, b.batch));
    const { batch, position } = first!;
    // A processor of the killed worker that had lost its lease before the kill counts as a lease loss.
    const lost = lostLease.has(processorKey(batch));
    const killed = !lost && rec.killed !== undefined && batch.worker === rec.killed.workerId && batch.t <= rec.killed.at;
    const covered = coveredUpTo(batch.worker, batch.shardId, killed ? undefined : batch.pi);
    const uncheckpointed = covered === undefined || covered.compareTo(position) < 0;
    if (uncheckpointed && killed) fromKilled += extra;
    else if (uncheckpointed && lost) fromLeaseLoss += extra;
    else {
      const again = list.filter((d) => d !== first).map((d) => `${d.batch.worker} on ${d.batch.shardId}`);
      unexplained.push(`${id}: first processed by ${processorKey(batch)} on ${batch.shardId} at ${position.toString()} (checkpointed up to ${covered?.toString() ?? 'nothing'}), again by ${again.join(', ')}`);
    }
  }

  return {
    processedDistinct: deliveries.size,
    deliveries: deliveryCount,
    missing,
    unexpected,
    misplaced,
    orderViolations,
    lineageViolations,
    duplicates,
    duplicatesFromKilledWorker: fromKilled,
    duplicatesFromLeaseLoss: fromLeaseLoss,
    unexplainedDuplicates: unexplained,
    runsByShard,
  };
}

// ---------------------------------------------------------------- the run

/** One thing the run did, with when (ms since the start). */
export interface ChaosStep {
  readonly atMs: number;
  readonly step: string;
  readonly detail: string;
}

/** What {@link runChaos} found. `passed` is false when any entry of `failures` is present. */
export interface ChaosResult extends RecordingVerdict {
  readonly passed: boolean;
  /** Every check that failed, in words. */
  readonly failures: readonly string[];
  readonly streamName: string;
  readonly applicationName: string;
  readonly runMs: number;
  /** User records acknowledged by the producer. */
  readonly produced: number;
  /** Of those, how many went inside KPL aggregates. */
  readonly producedAggregated: number;
  readonly produceFailures: number;
  /**
   * Records the producer wrote again because their aggregate had landed on a shard not owning
   * them (`Wrong Shard`, after the split or merge): the consumer must skip the first copy.
   */
  readonly producedWrongShard: number;
  readonly failoverTimeMs: number;
  /** From the SIGKILL until every open lease of the killed worker was owned by another worker, polling the lease table every 100 ms. */
  readonly failoverMs: number | undefined;
  readonly failoverBoundMs: number;
  /** The same, from the taking workers' own `leaseAcquired` reports (no polling delay). */
  readonly failoverAcquiredMs: number | undefined;
  /**
   * From the SIGTERM until every open lease of the stopped worker was owned by another worker, from
   * the taking workers' own `leaseAcquired` reports: the write that made them owners, to the ms.
   */
  readonly handoverMs: number | undefined;
  readonly handoverBoundMs: number;
  /** The same, polling the lease table every 100 ms (adds up to a poll period and a scan, more when this process is busy). */
  readonly handoverPolledMs: number | undefined;
  /** From the SIGTERM until the stopped worker's last `leaseReleased`, as it reported. */
  readonly handoverReleasedMs: number | undefined;
  /** From each SIGTERM (the stopped worker's, and the live ones' at the end) until the process exited by itself. */
  readonly exitAfterSigtermMs: Readonly<Record<string, number | undefined>>;
  /** Open leases per live worker at the end. */
  readonly finalLeaseCounts: Readonly<Record<string, number>>;
  readonly killedWorker: string | undefined;
  /** True when the SIGKILL landed between the victim reporting a batch and checkpointing it. */
  readonly killedMidBatch: boolean;
  readonly terminatedWorker: string | undefined;
  readonly steps: readonly ChaosStep[];
  /** The last stderr lines of each worker process. */
  readonly workerStderr: Readonly<Record<string, readonly string[]>>;
  readonly unparsedLines: number;
}

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
  const workers: WorkerProcess[] = [];
  const streamName = uniqueName('chaos');
  const applicationName = uniqueName('chaos-app');
  const failoverBoundMs = 1.5 * o.failoverTimeMs;
  const handoverBoundMs = Math.floor(o.failoverTimeMs / 4) + HANDOVER_MARGIN_MS;
  const exitAfterSigtermMs: Record<string, number | undefined> = {};
  let emulators: Emulators | undefined;
  let kinesis: KinesisClient | undefined;
  let dynamo: ReturnType<typeof createDynamoDbClient> | undefined;
  let steady: SteadyProducer | undefined;
  let producing = false;

  try {
    emulators = await startEmulators();
    const env = emulators.env;
    kinesis = createKinesisClient({ env });
    dynamo = createDynamoDbClient({ env });
    const table = new LeaseTable({ tableName: applicationName, client: dynamo });
    const workerEnv = {
      ...env,
      SHARDLINE_CHAOS_STREAM: streamName,
      SHARDLINE_CHAOS_APP: applicationName,
      SHARDLINE_CHAOS_FAILOVER_MS: String(o.failoverTimeMs),
      SHARDLINE_CHAOS_IDLE_MS: String(o.idleTimeBetweenReadsMs),
      SHARDLINE_CHAOS_WORK_MS: String(o.workMs),
    };
    const live = (): WorkerProcess[] => workers.filter((w) => w.fate === 'running' && w.alive);
    const liveIds = (): string[] => live().map((w) => w.workerId);
    const startWorker = (workerId: string): WorkerProcess => {
      const w = new WorkerProcess(workerId, workerEnv, recorder);
      workers.push(w);
      return w;
    };
    const ready = (w: WorkerProcess): boolean => recorder.of('ready').some((l) => l.worker === w.workerId);
    const balanced = async (): Promise<boolean> => {
      const leases = await openLeases(table);
      return leases.length > 0 && balanceProblems(leases, liveIds()).length === 0;
    };
    /** Polls the lease table until none of `keys` is owned by `from` or nobody; ms since `at`. */
    const takeover = async (keys: readonly string[], from: string, at: number): Promise<number | undefined> => {
      const deadline = at + 6 * o.failoverTimeMs;
      while (Date.now() < deadline) {
        const byKey = new Map((await table.listLeases()).map((l) => [l.leaseKey, l]));
        if (keys.every((k) => byKey.get(k)?.leaseOwner !== undefined && byKey.get(k)?.leaseOwner !== from)) return Date.now() - at;
        await sleep(100);
      }
      return undefined;
    };
    /** When other workers reported acquiring every one of `keys` after `at`; ms since `at`. */
    const acquiredAfter = (keys: readonly string[], from: string, at: number): number | undefined => {
      const times = keys.map((k) => recorder.of('lease').find((l) => l.event === 'acquired' && l.leaseKey === k && l.worker !== from && l.t >= at)?.t);
      return times.every((t) => t !== undefined) ? Math.max(at, ...(times as number[])) - at : undefined;
    };
    const mostLoaded = async (candidates: readonly WorkerProcess[]): Promise<{ worker: WorkerProcess; leases: string[] }> => {
      const leases = await openLeases(table);
      const ranked = candidates.map((w) => ({ worker: w, leases: leases.filter((l) => l.leaseOwner === w.workerId).map((l) => l.leaseKey) })).sort((a, b) => b.leases.length - a.leases.length);
      return ranked[0]!;
    };
    const pauseMs = Math.floor(o.durationMs / 6);
    const stepTimeoutMs = Math.max(30_000, 10 * o.failoverTimeMs);

    // Set up: the stream, the producer, three workers, leases balanced.
    await createStream(kinesis, streamName, 4);
    const producer = new Producer({ streamName, clientOptions: { env }, logger: createLogger({ level: 'warn', name: 'chaos-producer', destination: 2 }) });
    await producer.start();
    steady = new SteadyProducer(producer, o.recordsPerSecond);
    steady.start();
    producing = true;
    step('producing', `${o.recordsPerSecond} records/s to ${streamName} (4 shards)`);
    const initial = ['w0', 'w1', 'w2'].map(startWorker);
    if (!(await waitUntil(() => initial.every(ready) || initial.some((w) => !w.alive), 120_000)) || !initial.every(ready)) {
      throw new Error(`worker processes did not start: ${workers.map((w) => `${w.workerId}: ${w.stderrTail.slice(-5).join(' | ')}`).join('; ')}`);
    }
    step('workers ready', liveIds().join(', '));
    if (!(await waitUntil(balanced, stepTimeoutMs))) failures.push('the initial leases did not balance over the three workers');
    step('leases balanced', JSON.stringify(Object.fromEntries(countsOf(await openLeases(table), liveIds()))));

    // 1. Split a shard.
    await sleep(pauseMs);
    const openShards = (shards: readonly Shard[]): Shard[] => shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
    const toSplit = openShards(await listAllShards(kinesis, streamName))[0]!.ShardId!;
    await splitShard(kinesis, streamName, toSplit);
    const splitChildren = (await listAllShards(kinesis, streamName)).filter((s) => s.ParentShardId === toSplit && s.AdjacentParentShardId === undefined).map((s) => s.ShardId!);
    step('split', `${toSplit} into ${splitChildren.join(' + ')}`);
    if (!(await waitUntil(() => recorder.shardEnded(toSplit) && splitChildren.every((c) => recorder.hasBatch(c)), stepTimeoutMs))) {
      failures.push(`after the split, ${toSplit} did not end or its children ${splitChildren.join(', ')} were not processed within ${stepTimeoutMs} ms`);
    }
    step('split processed');

    // 2. Merge two adjacent open shards (not the split's children, when there is such a pair).
    await sleep(pauseMs);
    const byRange = openShards(await listAllShards(kinesis, streamName)).sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
    const pairs = byRange.slice(1).map((s, i) => [byRange[i]!, s] as const).filter(([a, b]) => BigInt(a.HashKeyRange!.EndingHashKey!) + 1n === BigInt(b.HashKeyRange!.StartingHashKey!));
    const [left, right] = pairs.find(([a, b]) => !splitChildren.includes(a.ShardId!) && !splitChildren.includes(b.ShardId!)) ?? pairs[0]!;
    await mergeShards(kinesis, streamName, left.ShardId!, right.ShardId!);
    const merged = (await listAllShards(kinesis, streamName)).find((s) => s.ParentShardId === left.ShardId && s.AdjacentParentShardId === right.ShardId)!.ShardId!;
    step('merge', `${left.ShardId} + ${right.ShardId} into ${merged}`);
    if (!(await waitUntil(() => recorder.shardEnded(left.ShardId!) && recorder.shardEnded(right.ShardId!) && recorder.hasBatch(merged), stepTimeoutMs))) {
      failures.push(`after the merge, ${left.ShardId} and ${right.ShardId} did not both end or ${merged} was not processed within ${stepTimeoutMs} ms`);
    }
    step('merge processed');

    // 3. SIGKILL the worker holding the most open leases; time the failover.
    await sleep(pauseMs);
    await waitUntil(balanced, stepTimeoutMs);
    const victim = await mostLoaded(live());
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
    const killedMidBatch = recorder.lines.filter((l) => l.worker === victim.worker.workerId).at(-1)?.type === 'batch';
    step('SIGKILL', `${victim.worker.workerId} holding ${victim.leases.join(', ') || 'no open lease'}${killedMidBatch ? ', mid-batch' : ''}`);
    if (!victim.leases.length) failures.push(`the SIGKILLed worker ${victim.worker.workerId} held no open lease: failover was not exercised`);
    const failoverMs = await takeover(victim.leases, victim.worker.workerId, killedAt);
    await waitUntil(() => acquiredAfter(victim.leases, victim.worker.workerId, killedAt) !== undefined, o.failoverTimeMs);
    const failoverAcquiredMs = acquiredAfter(victim.leases, victim.worker.workerId, killedAt);
    step('failover done', `${failoverMs ?? 'never'} ms (reported by the takers: ${failoverAcquiredMs ?? 'never'} ms)`);
    if (failoverMs === undefined || failoverMs > failoverBoundMs) failures.push(`failover after SIGKILL took ${failoverMs ?? 'forever'} ms (bound ${failoverBoundMs} ms)`);
    await victim.worker.closed;

    // 4. A new worker joins.
    await sleep(pauseMs);
    const joiner = startWorker('w3');
    if (!(await waitUntil(() => ready(joiner) || !joiner.alive, 120_000)) || !ready(joiner)) throw new Error(`worker w3 did not start: ${joiner.stderrTail.slice(-5).join(' | ')}`);
    step('w3 ready');
    if (!(await waitUntil(balanced, stepTimeoutMs))) failures.push('the leases did not balance after w3 joined');
    step('leases balanced', JSON.stringify(Object.fromEntries(countsOf(await openLeases(table), liveIds()))));

    // 5. SIGTERM another worker (the most loaded of the original ones); time the handover.
    await sleep(pauseMs);
    const stopped = await mostLoaded(live().filter((w) => w !== joiner));
    stopped.worker.fate = 'terminated';
    const termAt = stopped.worker.signal('SIGTERM');
    step('SIGTERM', `${stopped.worker.workerId} holding ${stopped.leases.join(', ') || 'no open lease'}`);
    if (!stopped.leases.length) failures.push(`the SIGTERMed worker ${stopped.worker.workerId} held no open lease: the handover was not exercised`);
    const handoverPolledMs = await takeover(stopped.leases, stopped.worker.workerId, termAt);
    // The lease table (served by this process) can show a take before the taker's report of it arrives.
    await waitUntil(() => acquiredAfter(stopped.leases, stopped.worker.workerId, termAt) !== undefined, o.failoverTimeMs);
    const handoverMs = acquiredAfter(stopped.leases, stopped.worker.workerId, termAt);
    step('handover done', `${handoverMs ?? 'never'} ms (polling the lease table: ${handoverPolledMs ?? 'never'} ms)`);
    if (handoverMs === undefined || handoverMs > handoverBoundMs) failures.push(`handover after SIGTERM took ${handoverMs ?? 'forever'} ms (bound ${handoverBoundMs} ms)`);
    const exitedInTime = await stopped.worker.waitForExit(20_000);
    exitAfterSigtermMs[stopped.worker.workerId] = exitedInTime ? stopped.worker.exit!.at - termAt : undefined;
    if (!exitedInTime) failures.push(`${stopped.worker.workerId} did not exit within 20 s of SIGTERM: the stopped worker left a handle open`);
    else if (stopped.worker.exit!.code !== 0) failures.push(`${stopped.worker.workerId} exited with ${stopped.worker.exit!.code ?? stopped.worker.exit!.signal} after SIGTERM`);
    const releases = recorder.of('lease').filter((l) => l.worker === stopped.worker.workerId && l.event === 'released' && l.t >= termAt);
    const handoverReleasedMs = releases.length ? Math.max(...releases.map((l) => l.t)) - termAt : undefined;

    // 6. Keep producing a while, then drain.
    await sleep(pauseMs);
    await steady.stop();
    producing = false;
    step('producer closed', `${steady.results.size} records acknowledged, ${steady.failures.size} failed`);
    const expected = [...steady.results.keys()];
    if (!(await waitUntil(() => expected.every((id) => recorder.hasProcessed(id)), o.drainTimeoutMs))) failures.push(`not every record was processed within ${o.drainTimeoutMs} ms of the producer's close`);
    step('drained', `${recorder.processedCount} distinct records processed`);
    await waitUntil(balanced, stepTimeoutMs);
    const finalLeases = await openLeases(table);
    const shards = await listAllShards(kinesis, streamName);
    failures.push(...balanceProblems(finalLeases, liveIds()).map((p) => `at the end, ${p}`));
    const leaseKeys = new Set(finalLeases.map((l) => l.leaseKey));
    for (const s of openShards(shards)) if (!leaseKeys.has(s.ShardId!)) failures.push(`at the end, open shard ${s.ShardId} has no open lease`);
    const finalLeaseCounts = Object.fromEntries(countsOf(finalLeases, liveIds()));
    step('final leases', JSON.stringify(finalLeaseCounts));

    // The live workers stop gracefully and must exit by themselves.
    const survivors = live();
    const stopAt = Date.now();
    for (const w of survivors) {
      w.fate = 'terminated';
      w.signal('SIGTERM');
    }
    for (const w of survivors) {
      const exited = await w.waitForExit(20_000);
      exitAfterSigtermMs[w.workerId] = exited ? w.exit!.at - stopAt : undefined;
      if (!exited) failures.push(`${w.workerId} did not exit within 20 s of SIGTERM at the end: the stopped worker left a handle open`);
      else if (w.exit!.code !== 0) failures.push(`${w.workerId} exited with ${w.exit!.code ?? w.exit!.signal} after SIGTERM at the end`);
    }
    step('workers stopped');

    const verdict = verifyRecording({ lines: recorder.lines, produced: steady.results, failedPuts: new Set(steady.failures.keys()), shards, killed: { workerId: victim.worker.workerId, at: killedAt } });
    if (steady.failures.size) failures.push(`${steady.failures.size} puts failed: ${[...new Set(steady.failures.values())].join(', ')}`);
    if (verdict.missing.length) failures.push(`${verdict.missing.length} records never processed, e.g. ${verdict.missing.slice(0, 5).join(', ')}`);
    if (verdict.unexpected.length) failures.push(`${verdict.unexpected.length} processed records were never produced, e.g. ${verdict.unexpected.slice(0, 5).join(', ')}`);
    if (verdict.misplaced.length) failures.push(`${verdict.misplaced.length} deliveries not at the position their put reported, e.g. ${verdict.misplaced.slice(0, 3).join('; ')}`);
    for (const v of verdict.orderViolations.slice(0, 10)) failures.push(`order: ${v}`);
    if (verdict.orderViolations.length > 10) failures.push(`order: … ${verdict.orderViolations.length - 10} more`);
    for (const v of verdict.lineageViolations) failures.push(`lineage: ${v}`);
    for (const v of verdict.unexplainedDuplicates.slice(0, 10)) failures.push(`duplicate: ${v}`);
    if (verdict.unexplainedDuplicates.length > 10) failures.push(`duplicate: … ${verdict.unexplainedDuplicates.length - 10} more`);
    const failedToStart = recorder.of('failed');
    for (const f of failedToStart) failures.push(`${f.worker} failed to start: ${f.message}`);

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
      workerStderr: Object.fromEntries(workers.map((w) => [w.workerId, w.stderrTail])),
      unparsedLines: recorder.unparsed.length,
    };
  } finally {
    if (producing) await steady?.abandon();
    await Promise.all(workers.map((w) => w.destroy()));
    if (o.recordingFile) await writeFile(o.recordingFile, recorder.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    kinesis?.destroy();
    dynamo?.destroy();
    await emulators?.stop();
  }
}

/** The result as `chaos: <name> <value>` lines, failures last. */
export function formatChaosResult(r: ChaosResult): string[] {
  const lines: [string, unknown][] = [
    ['passed', r.passed],
    ['runMs', r.runMs],
    ['produced', r.produced],
    ['producedAggregated', r.producedAggregated],
    ['produceFailures', r.produceFailures],
    ['producedWrongShard', r.producedWrongShard],
    ['processedDistinct', r.processedDistinct],
    ['deliveries', r.deliveries],
    ['missing', r.missing.length],
    ['unexpected', r.unexpected.length],
    ['misplaced', r.misplaced.length],
    ['orderViolations', r.orderViolations.length],
    ['lineageViolations', r.lineageViolations.length],
    ['duplicates', r.duplicates],
    ['duplicatesFromKilledWorker', r.duplicatesFromKilledWorker],
    ['duplicatesFromLeaseLoss', r.duplicatesFromLeaseLoss],
    ['duplicatesUnexplained', r.unexplainedDuplicates.length],
    ['runsByShard', JSON.stringify(r.runsByShard)],
    ['killedWorker', r.killedWorker],
    ['killedMidBatch', r.killedMidBatch],
    ['failoverMs', r.failoverMs],
    ['failoverBoundMs', r.failoverBoundMs],
    ['failoverAcquiredMs', r.failoverAcquiredMs],
    ['terminatedWorker', r.terminatedWorker],
    ['handoverMs', r.handoverMs],
    ['handoverBoundMs', r.handoverBoundMs],
    ['handoverPolledMs', r.handoverPolledMs],
    ['handoverReleasedMs', r.handoverReleasedMs],
    ['exitAfterSigtermMs', JSON.stringify(r.exitAfterSigtermMs)],
    ['finalLeaseCounts', JSON.stringify(r.finalLeaseCounts)],
  ];
  return [...lines.map(([name, value]) => `chaos: ${name} ${String(value)}`), ...r.failures.map((f) => `chaos: failure ${f}`)];
}
