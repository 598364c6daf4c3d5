import type { Counter, Gauge, Histogram, Metrics } from '@shardline/core';

/** The lease coordinator's instruments (`dynamo_lease_*`). @internal */
export interface CoordinatorInstruments {
  readonly held: Gauge;
  readonly renewals: Counter;
  readonly takes: Counter;
  readonly lost: Counter;
  readonly released: Counter;
  readonly checkpoints: Counter;
  readonly takerRuns: Counter;
  readonly takerFailures: Counter;
  readonly duplicates: Counter;
  readonly duplicateIdLeases: Gauge;
  readonly scanMs: Histogram;
  readonly totalLeases: Gauge;
  readonly workers: Gauge;
  readonly spillover: Gauge;
}

/** Registers (or looks up) the coordinator's instruments on `m`. @internal */
export function createCoordinatorInstruments(m: Metrics): CoordinatorInstruments {
  return {
    held: m.gauge({ name: 'dynamo_lease_held', help: 'Leases this worker holds' }),
    renewals: m.counter({ name: 'dynamo_lease_renewals_total', help: 'Lease renewals by result', labelNames: ['result'] }),
    takes: m.counter({ name: 'dynamo_lease_takes_total', help: 'Lease takes by kind and result', labelNames: ['kind', 'result'] }),
    lost: m.counter({ name: 'dynamo_lease_lost_total', help: 'Leases lost by reason', labelNames: ['reason'] }),
    released: m.counter({ name: 'dynamo_lease_released_total', help: 'Leases released in DynamoDB' }),
    checkpoints: m.counter({ name: 'dynamo_lease_checkpoints_total', help: 'Checkpoint writes by kind and result', labelNames: ['kind', 'result'] }),
    takerRuns: m.counter({ name: 'dynamo_lease_taker_runs_total', help: 'Taker runs (table scans)' }),
    takerFailures: m.counter({ name: 'dynamo_lease_taker_failures_total', help: 'Taker runs that failed (the taker then backs off)' }),
    duplicates: m.counter({ name: 'dynamo_lease_duplicate_worker_id_total', help: 'Writes that found another process using this worker id', labelNames: ['operation'] }),
    duplicateIdLeases: m.gauge({ name: 'dynamo_lease_duplicate_id_leases', help: 'Leases another live process holds under this worker id, at the last scan' }),
    scanMs: m.histogram({ name: 'dynamo_lease_taker_scan_ms', help: 'Duration of the taker scan in milliseconds' }),
    totalLeases: m.gauge({ name: 'dynamo_lease_table_leases', help: 'Leases in the table at the last scan' }),
    workers: m.gauge({ name: 'dynamo_lease_workers', help: 'Workers seen at the last scan' }),
    spillover: m.gauge({ name: 'dynamo_lease_spillover', help: 'Leases the target lost to maxLeasesForWorker' }),
  };
}
