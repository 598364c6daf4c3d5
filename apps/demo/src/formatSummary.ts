/** The verification summary the demo prints at the end. */
import type { Verification } from './verifyRun';

/** What a demo run found: the verification, and what it ran on. */
export interface DemoSummary extends Verification {
  readonly streamName: string;
  readonly tableName: string;
  readonly statusUrl: string | undefined;
  readonly runMs: number;
  /** Kinesis records the producer put (user records are aggregated into them). */
  readonly kinesisRecordsPut: number;
  readonly killedWorker: string | undefined;
  readonly stoppedWorker: string | undefined;
  readonly failoverTimeMs: number;
}

const n = (value: number): string => value.toLocaleString('en-US');

/** The summary, one line per check, failures listed last. */
export function formatSummary(s: DemoSummary): string[] {
  const d = s.duplicates;
  const sources = [
    `${n(d.fromKilledWorker)} from ${s.killedWorker ?? 'the killed worker'}'s uncheckpointed batches (SIGKILL${s.killedMidBatch ? ' mid-batch' : ''})`,
    `${n(d.fromLeaseLoss)} after lease losses`,
    `${n(d.fromProducer)} written twice by the producer`,
    `${n(d.unexplained.length)} unexplained`,
  ];
  const ms = (value: number | undefined): string => (value === undefined ? 'not measured' : `${n(value)} ms`);
  return [
    '',
    `verification: ${s.passed ? 'PASSED' : 'FAILED'}  (${(s.runMs / 1000).toFixed(1)} s, stream ${s.streamName}, lease table ${s.tableName})`,
    `  produced     ${n(s.produced)} user records (${n(s.aggregated)} aggregated into ${n(s.kinesisRecordsPut)} Kinesis records), ${n(s.failedPuts)} failed puts`,
    `  consumed     ${n(s.consumed)} of ${n(s.produced)} at least once (${s.missing.length ? `${n(s.missing.length)} MISSING` : 'no loss'}), ${n(s.deliveries)} deliveries`,
    `  duplicates   ${n(d.total)}: ${sources.join(', ')}`,
    `  order        ${s.orderViolations.length ? `${s.orderViolations.length} VIOLATIONS` : 'in sequence order'} on each of ${s.shardsChecked} shards`,
    `  lineage      ${s.lineageViolations.length ? `${s.lineageViolations.length} VIOLATIONS` : 'children after parents'}: ${s.lineage.join('; ') || 'no child shard consumed'}`,
    `  failover     ${ms(s.failoverMs)} after SIGKILL of ${s.killedWorker ?? '-'} (bound ${n(s.failoverBoundMs)} ms = 1.5 × failoverTimeMs ${n(s.failoverTimeMs)})`,
    `  handover     ${ms(s.handoverMs)} after SIGTERM of ${s.stoppedWorker ?? '-'} (bound ${n(s.handoverBoundMs)} ms, graceful handoff)`,
    `  throughput   produced ${n(s.producedPerSecond)} records/s, consumed ${n(s.consumedPerSecond)} records/s`,
    ...s.failures.map((f) => `  FAILED: ${f}`),
  ];
}
