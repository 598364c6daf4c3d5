import type { Counter, Gauge, Histogram, Metrics } from '@shardline/core';

/**
 * The worker's instruments, named after the KCL's metrics where it has them. Per-shard series are
 * labelled `stream` and `shard_id`.
 *
 * | name | kind | KCL metric |
 * | --- | --- | --- |
 * | `kcl_records_processed_total` | counter | `ProcessTask.RecordsProcessed` |
 * | `kcl_bytes_processed_total` | counter | `ProcessTask.DataBytesProcessed` |
 * | `kcl_millis_behind_latest` | gauge | `ProcessTask.MillisBehindLatest` |
 * | `kcl_get_records_ms` | histogram | `KinesisDataFetcher.getRecords.Time` (wait for the next batch) |
 * | `kcl_process_records_ms` | histogram | `RecordProcessor.processRecords.Time` |
 * | `kcl_current_leases` | gauge | `RenewAllLeases.CurrentLeases` (shards being processed) |
 * | `kcl_processor_errors_total` | counter | calls that threw, by `call` |
 * | `kcl_processor_timeouts_total` | counter | calls given up after `processingTimeoutMs`, by `call` |
 * | `kcl_shard_end_not_checkpointed_total` | counter | `shardEnded` returned without checkpointing `SHARD_END` |
 * | `kcl_shard_releases_total` | counter | leases given back by `reason` (`shard_end`, `failed`, `hung`) |
 * | `kcl_leases_deleted_total` | counter | lease cleanup deletions by `reason` |
 *
 * Lease renewals, takes and checkpoints are the coordinator's `dynamo_lease_*` series; GetRecords
 * calls, throttles and retries are the reader's `poller_*` series.
 * @public
 */
export interface WorkerInstruments {
  readonly records: Counter;
  readonly bytes: Counter;
  readonly millisBehindLatest: Gauge;
  readonly getRecordsMs: Histogram;
  readonly processRecordsMs: Histogram;
  readonly currentLeases: Gauge;
  readonly processorErrors: Counter;
  readonly processorTimeouts: Counter;
  readonly shardEndNotCheckpointed: Counter;
  readonly releases: Counter;
  readonly leasesDeleted: Counter;
}

/** Registers (or looks up) the worker's instruments. @public */
export function createWorkerInstruments(metrics: Metrics): WorkerInstruments {
  const labelNames = ['stream', 'shard_id'] as const;
  return {
    records: metrics.counter({ name: 'kcl_records_processed_total', help: 'User records handed to processRecords', labelNames }),
    bytes: metrics.counter({ name: 'kcl_bytes_processed_total', help: 'Data bytes of the user records handed to processRecords', labelNames }),
    millisBehindLatest: metrics.gauge({ name: 'kcl_millis_behind_latest', help: 'MillisBehindLatest of the last batch processed', labelNames }),
    getRecordsMs: metrics.histogram({ name: 'kcl_get_records_ms', help: 'Milliseconds waited for the next batch', labelNames }),
    processRecordsMs: metrics.histogram({ name: 'kcl_process_records_ms', help: 'Milliseconds spent in processRecords', labelNames }),
    currentLeases: metrics.gauge({ name: 'kcl_current_leases', help: 'Shards this worker is processing' }),
    processorErrors: metrics.counter({ name: 'kcl_processor_errors_total', help: 'Processor calls that threw', labelNames: ['stream', 'shard_id', 'call'] }),
    processorTimeouts: metrics.counter({ name: 'kcl_processor_timeouts_total', help: 'Processor calls given up after processingTimeoutMs', labelNames: ['stream', 'shard_id', 'call'] }),
    shardEndNotCheckpointed: metrics.counter({ name: 'kcl_shard_end_not_checkpointed_total', help: 'shardEnded calls that returned without checkpointing SHARD_END', labelNames }),
    releases: metrics.counter({ name: 'kcl_shard_releases_total', help: 'Leases given back by the worker, by reason', labelNames: ['reason'] }),
    leasesDeleted: metrics.counter({ name: 'kcl_leases_deleted_total', help: 'Leases deleted by lease cleanup, by reason', labelNames: ['reason'] }),
  };
}
