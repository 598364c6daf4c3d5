/** What a chaos run found, and its printed form. */
import type { RecordingVerdict } from './verify';

/** One thing the run did, with when (ms since the start). */
export interface ChaosStep {
  readonly atMs: number;
  readonly step: string;
  readonly detail: string;
}

/** What `runChaos` (`chaos.ts`) found. `passed` is false when any entry of `failures` is present. */
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
  /** True when the SIGKILL landed between the victim reporting a batch and checkpointing it: its last report, output read to the end, is a batch. */
  readonly killedMidBatch: boolean;
  readonly terminatedWorker: string | undefined;
  readonly steps: readonly ChaosStep[];
  /** The last stderr lines of each worker process. */
  readonly workerStderr: Readonly<Record<string, readonly string[]>>;
  readonly unparsedLines: number;
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
    ['handoffs', r.handoffs],
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
