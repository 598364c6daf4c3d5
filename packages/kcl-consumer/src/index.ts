export { Worker, type ShardStatus, type WorkerEvents, type WorkerLifecycle } from './Worker';
export { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './resolveWorkerOptions';
export type {
  InitializationInput,
  KinesisClientRecord,
  LeaseLostInput,
  ProcessRecordsInput,
  RecordHandler,
  RecordHandlerContext,
  RecordProcessor,
  RecordProcessorFactory,
  ShardCheckpointer,
  ShardContext,
  ShardEndedInput,
  ShutdownRequestedInput,
} from './RecordProcessor';
export { RecordProcessorCheckpointer, type CheckpointPosition, type PreparedCheckpointer } from './RecordProcessorCheckpointer';
export { kclExceptionName, type KclExceptionName } from './kclExceptionName';
export { ProcessorFailedError, ProcessorTimeoutError, type ProcessorCall } from './ProcessorErrors';
export { PollingRetrieval, type PollingRetrievalOptions, type RecordsRetriever, type Retrieval, type RetrievalTarget, type RetrievedBatch } from './Retrieval';
export type { ShardConsumerOutcome, ShardConsumerState } from './ShardConsumer';
export { planShardLeases, type ExistingLease, type ListedShard, type PlannedLease } from './planShardLeases';
export { leasesToCleanUp, type CleanupReason } from './LeaseCleanup';
export { leaseKeyOf, shardIdOf, type InitialPosition, type StreamConfig, type TrackedStream } from './streams';
export { createWorkerInstruments, type WorkerInstruments } from './workerMetrics';
export { handleShutdownSignals, type ShutdownSignalsOptions, type Stoppable } from './shutdownSignals';
export {
  createStatusHandler,
  resolveStatusHandlerOptions,
  type PrometheusRegistry,
  type ResolvedStatusHandlerOptions,
  type StatusHandler,
  type StatusHandlerOptions,
} from './status/createStatusHandler';
export { resolveStatusServerOptions, StatusServer, type ResolvedStatusServerOptions, type StatusServerOptions } from './status/StatusServer';
export {
  buildLineage,
  buildStatusSnapshot,
  StatusSnapshotter,
  type StatusLease,
  type StatusLineage,
  type StatusLineageNode,
  type StatusOwner,
  type StatusShard,
  type StatusSnapshot,
  type StatusSnapshotInput,
  type StatusSnapshotterOptions,
  type StatusSource,
} from './status/statusSnapshot';
export { STATUS_PAGE_HTML, statusPageContentSecurityPolicy } from './status/statusPage';
export { WorkerEventLog, type EventLogSource, type StatusEvent, type StatusEventInput, type StatusEventKind, type WorkerEventLogOptions } from './status/WorkerEventLog';
export {
  CheckpointOutOfRangeError,
  ExtendedSequenceNumber,
  InvalidArgumentError,
  InvalidStateError,
  LeaseLostError,
  ShardlineError,
  ShutdownError,
  ThrottledError,
  createPromMetrics,
  createLogger,
  MemoryMetrics,
} from '@shardline/core';
