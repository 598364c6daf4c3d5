/**
 * The verification of a chaos run (pure): from the recording of what the processors reported and
 * where the producer's puts landed, whether every record was processed, in order, children after
 * parents, and duplicated only where the SIGKILL left a batch uncheckpointed.
 */
import type { Shard } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber } from '@shardline/core';
import type { PutResult } from '@shardline/producer';
import { byTime, countHandoffs, type LineOf, type ReportedRecord, type SeenLine } from './recording';

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
  /** `Date.now()` that the timings in the findings count from. Default: the first line's `t`. */
  readonly startedAt?: number;
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
   * Of those, re-deliveries of batches a worker processed after its lease had moved (its
   * checkpoint was refused, it got `leaseLost`): the KCL's at-least-once on a steal. Graceful
   * handoff leaves none, so each is a failure.
   */
  readonly duplicatesFromLeaseLoss: number;
  /** The records behind {@link duplicatesFromLeaseLoss}, one line each: ids, workers, timings. */
  readonly leaseLossDuplicates: readonly string[];
  /**
   * Duplicates neither explains, one line per record: the first delivery was checkpointed, its
   * holder kept the lease, or it was delivered again before the SIGKILL.
   */
  readonly unexplainedDuplicates: readonly string[];
  /** Lease moves by graceful handoff (see {@link countHandoffs}). */
  readonly handoffs: number;
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
 * - every duplicate re-delivers, after the SIGKILL, a record that the SIGKILLed worker processed
 *   after its last completed checkpoint on the shard (while it still held the lease): nothing
 *   else, a rebalance included, may deliver a record twice.
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

  // Duplicates and their cause: only the SIGKILL may leave records to deliver again.
  const startedAt = rec.startedAt ?? rec.lines[0]?.t ?? 0;
  const at = (t: number): string => `+${((t - startedAt) / 1000).toFixed(3)}s`;
  const lostLease = new Map<string, SeenLine>();
  for (const l of rec.lines) {
    if ((l.type === 'leaseLost' || l.type === 'checkpointFailed') && !lostLease.has(processorKey(l))) lostLease.set(processorKey(l), l);
  }
  const coveredUpTo = (worker: string, shardId: string, pi: number | undefined): ExtendedSequenceNumber | undefined =>
    maxPosition(checkpoints.filter((c) => c.worker === worker && c.shardId === shardId && (pi === undefined || c.pi === pi)).map((c) => parsePosition(c.position!)));
  let duplicates = 0;
  let fromKilled = 0;
  let fromLeaseLoss = 0;
  const leaseLoss: string[] = [];
  const unexplained: string[] = [];
  for (const [id, list] of deliveries) {
    if (list.length < 2) continue;
    const extra = list.length - 1;
    duplicates += extra;
    const [first, ...again] = [...list].sort((a, b) => byTime(a.batch, b.batch));
    const { batch, position } = first!;
    // A processor of the killed worker that had lost its lease before the kill counts as a lease loss.
    const lost = lostLease.get(processorKey(batch));
    const killed = !lost && rec.killed !== undefined && batch.worker === rec.killed.workerId && batch.t <= rec.killed.at;
    const covered = coveredUpTo(batch.worker, batch.shardId, killed ? undefined : batch.pi);
    const uncheckpointed = covered === undefined || covered.compareTo(position) < 0;
    // Delivered again before the kill: not the kill's doing (two holders at once).
    const againAfterKill = killed && again.every((d) => d.batch.t > rec.killed!.at);
    const finding = (): string => {
      const kill = rec.killed ? `; SIGKILL of ${rec.killed.workerId} at ${at(rec.killed.at)}` : '';
      const lostAt = lost ? `, which reported ${lost.type} (${at(lost.t)})` : '';
      const later = again.map((d) => `${processorKey(d.batch)} on ${d.batch.shardId} (${at(d.batch.t)})`).join(', ');
      return `${id}: first processed by ${processorKey(batch)} on ${batch.shardId} at ${position.toString()} (${at(batch.t)})${lostAt}; checkpointed up to ${covered?.toString() ?? 'nothing'}; again by ${later}${kill}`;
    };
    if (uncheckpointed && killed && againAfterKill) fromKilled += extra;
    else if (uncheckpointed && lost) {
      fromLeaseLoss += extra;
      leaseLoss.push(finding());
    } else unexplained.push(finding());
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
    leaseLossDuplicates: leaseLoss,
    unexplainedDuplicates: unexplained,
    handoffs: countHandoffs(rec.lines),
    runsByShard,
  };
}

/** At most `limit` of `items` as failures, `prefix` first, and how many more there were. */
function listed(prefix: string, items: readonly string[], limit = 10): string[] {
  const shown = items.slice(0, limit).map((v) => `${prefix}: ${v}`);
  return items.length > limit ? [...shown, `${prefix}: … ${items.length - limit} more`] : shown;
}

/** What in `verdict` fails the run, in words; empty when nothing does. */
export function verdictFailures(v: RecordingVerdict): string[] {
  return [
    ...(v.missing.length ? [`${v.missing.length} records never processed, e.g. ${v.missing.slice(0, 5).join(', ')}`] : []),
    ...(v.unexpected.length ? [`${v.unexpected.length} processed records were never produced, e.g. ${v.unexpected.slice(0, 5).join(', ')}`] : []),
    ...(v.misplaced.length ? [`${v.misplaced.length} deliveries not at the position their put reported, e.g. ${v.misplaced.slice(0, 3).join('; ')}`] : []),
    ...listed('order', v.orderViolations),
    ...v.lineageViolations.map((l) => `lineage: ${l}`),
    ...listed('duplicate after a lease loss', v.leaseLossDuplicates),
    ...listed('duplicate', v.unexplainedDuplicates),
  ];
}
