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
export { FanOutRetrieval, type FanOutRetrievalOptions } from './fanout/FanOutRetrieval';
export { MIN_RESOURCE_IN_USE_BACKOFF_MS, resolveFanOutOptions, type FanOutOptions, type ResolvedFanOutOptions } from './fanout/resolveFanOutOptions';
export { SUBSCRIPTION_RESTART_REASONS, type SubscriptionRestartReason } from './fanout/resubscribePlan';
export { createFanOutInstruments, type FanOutInstruments } from './fanout/fanOutMetrics';
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
  // The rest of core that this package's API uses, so that an application imports only this package.
  AccessDeniedError,
  AwsServiceError,
  ClockSkewError,
  createDynamoDbClient,
  createKinesisClient,
  createNoopLogger,
  createNoopMetrics,
  createSystemClock,
  ExpiredIteratorError,
  InternalError,
  ManualClock,
  ProtocolError,
  ResourceNotFoundError,
  ServiceUnavailableError,
  TimeoutError,
  type AwsClientOptions,
  type AwsCredentials,
  type BackoffOptions,
  type Clock,
  type Counter,
  type Gauge,
  type HashKeyRange,
  type Histogram,
  type LogDestination,
  type LogFields,
  type LogFn,
  type Logger,
  type LoggerOptions,
  type MetricDefinition,
  type MetricLabels,
  type Metrics,
  type PromMetricsOptions,
  type PromRegistry,
  type ResolvedBackoffOptions,
  type SentinelCheckpoint,
  type ShardlineErrorOptions,
} from '@shardline/core';
