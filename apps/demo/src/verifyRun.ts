/**
 * The demo's verification (pure): from what the processors reported and what the producer's puts
 * acknowledged, whether every record was consumed, in order per shard, children after parents,
 * where each duplicate came from, and how long the failover and the handover took.
 */
import type { Shard } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber } from '@shardline/core';
import type { PutResult } from '@shardline/producer';
import { byTime, type SeenLine } from './Recorder';
import type { LineOf, SeenRecord } from './workerLine';

type Seen<T extends SeenLine['type']> = LineOf<T> & { readonly index: number };

/** A worker the demo SIGKILLed or SIGTERMed: when, the open leases it held, and ms until others had them all. */
export interface Takeover {
  readonly workerId: string;
  readonly at: number;
  readonly leases: readonly string[];
  readonly ms: number | undefined;
}

/** Everything the verification looks at. */
export interface RunEvidence {
  readonly lines: readonly SeenLine[];
  readonly produced: ReadonlyMap<string, PutResult>;
  readonly failedPuts: ReadonlyMap<string, string>;
  /** Every shard, open and closed, listed at the end. */
  readonly shards: readonly Shard[];
  readonly failover: Takeover | undefined;
  readonly handover: Takeover | undefined;
  readonly failoverTimeMs: number;
  /** `Date.now()` of the first put and of the last acknowledgement. */
  readonly producing: { readonly startedAt: number; readonly lastAckAt: number };
  /** Other problems the run found (workers that did not start or exit), in words. */
  readonly problems: readonly string[];
}

/** What {@link verifyRun} found. */
export interface Verification {
  readonly passed: boolean;
  readonly failures: readonly string[];
  readonly produced: number;
  readonly aggregated: number;
  readonly failedPuts: number;
  readonly consumed: number;
  readonly deliveries: number;
  readonly missing: readonly string[];
  readonly duplicates: { readonly total: number; readonly fromKilledWorker: number; readonly fromLeaseLoss: number; readonly fromProducer: number; readonly unexplained: readonly string[] };
  readonly killedMidBatch: boolean;
  readonly orderViolations: readonly string[];
  readonly shardsChecked: number;
  readonly lineage: readonly string[];
  readonly lineageViolations: readonly string[];
  readonly failoverMs: number | undefined;
  readonly failoverBoundMs: number;
  readonly handoverMs: number | undefined;
  readonly handoverBoundMs: number;
  readonly producedPerSecond: number;
  readonly consumedPerSecond: number;
}

const position = (r: SeenRecord): ExtendedSequenceNumber => new ExtendedSequenceNumber(r[1], r[2]);
const parsePosition = (text: string): ExtendedSequenceNumber => {
  const [sequenceNumber, sub] = text.split(':');
  return new ExtendedSequenceNumber(sequenceNumber!, sub === undefined ? 0 : Number(sub));
};
const highest = (ps: readonly ExtendedSequenceNumber[]): ExtendedSequenceNumber | undefined =>
  ps.reduce<ExtendedSequenceNumber | undefined>((m, p) => (m ? ExtendedSequenceNumber.max(m, p) : p), undefined);
const processorOf = (l: { worker: string; pi: number }): string => `${l.worker}/${l.pi}`;

/** Per shard: each processor's batches strictly increase and start after the shard's last completed checkpoint; no processor delivers again after another started. */
function checkOrder(batches: readonly Seen<'batch'>[], checkpoints: readonly Seen<'checkpointed'>[]): string[] {
  const violations: string[] = [];
  for (const shardId of new Set(batches.map((b) => b.shardId))) {
    const runs: Seen<'batch'>[][] = [];
    for (const b of batches.filter((x) => x.shardId === shardId)) {
      const last = runs.at(-1);
      if (last && processorOf(last[0]!) === processorOf(b)) last.push(b);
      else runs.push([b]);
    }
    const seen = new Set<string>();
    for (const run of runs) {
      const who = processorOf(run[0]!);
      if (seen.has(who)) violations.push(`${shardId}: ${who} delivered again after another processor had started on the shard`);
      seen.add(who);
      const before = highest(checkpoints.filter((c) => c.shardId === shardId && c.t < run[0]!.t).map((c) => parsePosition(c.position)));
      const start = position(run[0]!.records[0]!);
      if (before && !before.isSentinel && start.compareTo(before) <= 0) violations.push(`${shardId}: ${who} started at ${start.toString()}, not after the checkpoint ${before.toString()}`);
      let previous: ExtendedSequenceNumber | undefined;
      for (const r of run.flatMap((b) => b.records)) {
        if (previous && position(r).compareTo(previous) <= 0) violations.push(`${shardId}: ${who} delivered ${r[0]} at ${position(r).toString()} after ${previous.toString()}`);
        previous = position(r);
      }
    }
  }
  return violations;
}

/** Checks the run (pure); see the module comment. */
export function verifyRun(e: RunEvidence): Verification {
  const batches = e.lines.filter((l): l is Seen<'batch'> => l.type === 'batch' && l.records.length > 0).sort(byTime);
  const checkpoints = e.lines.filter((l): l is Seen<'checkpointed'> => l.type === 'checkpointed' && l.position !== '');
  const deliveries = new Map<string, { batch: Seen<'batch'>; record: SeenRecord }[]>();
  for (const batch of batches) for (const record of batch.records) deliveries.set(record[0], [...(deliveries.get(record[0]) ?? []), { batch, record }]);
  const missing = [...e.produced.keys()].filter((id) => !deliveries.has(id));
  const unexpected = [...deliveries.keys()].filter((id) => !e.produced.has(id) && !e.failedPuts.has(id));
  const orderViolations = checkOrder(batches, checkpoints);

  // Children after parents: a child's first batch comes after each parent reported shardEnded.
  const lineage: string[] = [];
  const lineageViolations: string[] = [];
  for (const shard of e.shards) {
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined && e.shards.some((s) => s.ShardId === p));
    const first = batches.find((b) => b.shardId === shard.ShardId);
    if (!parents.length || !first) continue;
    lineage.push(`${shard.ShardId} after ${parents.join(' + ')}`);
    for (const p of parents)
      if (!e.lines.some((l) => l.type === 'shardEnded' && l.shardId === p && l.t <= first.t)) lineageViolations.push(`${shard.ShardId} was consumed before its parent ${p} ended`);
  }

  // Duplicates and their source: the killed worker's uncheckpointed batches, a lease that expired, the producer.
  const killed = e.failover;
  const lost = new Set(e.lines.filter((l) => l.type === 'leaseLost' || l.type === 'checkpointFailed').map((l) => processorOf(l as Seen<'leaseLost'>)));
  const coveredUpTo = (worker: string, shardId: string, pi?: number): ExtendedSequenceNumber | undefined =>
    highest(checkpoints.filter((c) => c.worker === worker && c.shardId === shardId && (pi === undefined || c.pi === pi)).map((c) => parsePosition(c.position)));
  const dup = { total: 0, fromKilledWorker: 0, fromLeaseLoss: 0, fromProducer: 0, unexplained: [] as string[] };
  for (const [id, list] of deliveries) {
    if (list.length < 2) continue;
    dup.total += list.length - 1;
    const byPosition = new Map<string, typeof list>();
    for (const d of list) byPosition.set(`${d.batch.shardId}/${position(d.record).toString()}`, [...(byPosition.get(`${d.batch.shardId}/${position(d.record).toString()}`) ?? []), d]);
    dup.fromProducer += byPosition.size - 1; // written twice: a put retried after it had landed
    for (const [where, same] of byPosition) {
      if (same.length < 2) continue;
      const { batch, record } = same[0]!;
      const byKilled = killed !== undefined && batch.worker === killed.workerId && batch.t <= killed.at && same.slice(1).every((d) => d.batch.t > killed.at);
      const covered = coveredUpTo(batch.worker, batch.shardId, byKilled ? undefined : batch.pi);
      const uncheckpointed = covered === undefined || covered.compareTo(position(record)) < 0;
      if (byKilled && uncheckpointed) dup.fromKilledWorker += same.length - 1;
      else if (uncheckpointed && lost.has(processorOf(batch))) dup.fromLeaseLoss += same.length - 1;
      else dup.unexplained.push(`${id} at ${where}: ${same.map((d) => processorOf(d.batch)).join(', ')}`);
    }
  }
  const lastOfKilled = killed && e.lines.filter((l) => l.worker === killed.workerId).at(-1);
  const killedMidBatch = lastOfKilled?.type === 'batch' && lastOfKilled.records.length > 0;

  const failoverBoundMs = 1.5 * e.failoverTimeMs;
  const handoverBoundMs = e.failoverTimeMs; // a graceful stop must hand over faster than a crash fails over
  const lastFirstDelivery = [...deliveries.values()].reduce((m, l) => Math.max(m, l[0]!.batch.t), 0);
  const seconds = (ms: number): number => Math.max(ms, 1) / 1000;
  const consumed = e.produced.size - missing.length;
  const failures = [
    ...e.problems,
    ...(e.failedPuts.size ? [`${e.failedPuts.size} puts failed: ${[...new Set(e.failedPuts.values())].join(', ')}`] : []),
    ...(missing.length ? [`${missing.length} records never consumed, e.g. ${missing.slice(0, 5).join(', ')}`] : []),
    ...(unexpected.length ? [`${unexpected.length} consumed records were never produced, e.g. ${unexpected.slice(0, 5).join(', ')}`] : []),
    ...orderViolations.slice(0, 10).map((v) => `order: ${v}`),
    ...lineageViolations.map((v) => `lineage: ${v}`),
    ...dup.unexplained.slice(0, 10).map((v) => `duplicate with no explanation: ${v}`),
    ...(killedMidBatch && dup.fromKilledWorker === 0 ? [`${killed!.workerId} was SIGKILLed mid-batch, yet none of its uncheckpointed records was delivered again`] : []),
    ...(!killed
      ? ['no worker was SIGKILLed: failover not measured']
      : killed.ms === undefined || killed.ms > failoverBoundMs
        ? [`failover after SIGKILL took ${killed.ms ?? 'forever'} ms (bound ${failoverBoundMs} ms)`]
        : []),
    ...(!e.handover
      ? ['no worker was stopped gracefully: handover not measured']
      : e.handover.ms === undefined || e.handover.ms > handoverBoundMs
        ? [`handover after SIGTERM took ${e.handover.ms ?? 'forever'} ms (bound ${handoverBoundMs} ms)`]
        : []),
  ];
  return {
    passed: failures.length === 0,
    failures,
    produced: e.produced.size,
    aggregated: [...e.produced.values()].filter((r) => r.aggregated).length,
    failedPuts: e.failedPuts.size,
    consumed,
    deliveries: batches.reduce((n, b) => n + b.records.length, 0),
    missing,
    duplicates: dup,
    killedMidBatch,
    orderViolations,
    shardsChecked: new Set(batches.map((b) => b.shardId)).size,
    lineage,
    lineageViolations,
    failoverMs: killed?.ms,
    failoverBoundMs,
    handoverMs: e.handover?.ms,
    handoverBoundMs,
    producedPerSecond: Math.round(e.produced.size / seconds(e.producing.lastAckAt - e.producing.startedAt)),
    consumedPerSecond: Math.round(consumed / seconds(lastFirstDelivery - e.producing.startedAt)),
  };
}
