export { newLease, type Lease, type LeaseSpec } from './Lease';
export { LEASE_ATTRIBUTES, isLeaseItem, leaseFromItem, leaseToItem, type DynamoItem } from './LeaseSerializer';
export { LeaseTable, type LeaseMetaInfo, type LeaseWriteResult, type ListLeasesOptions } from './LeaseTable';
export { LeaseExpiryTracker } from './LeaseExpiryTracker';
export { decideLeasesToTake, type LeaseTakerDecision, type LeaseTakerPolicy, type LeaseTakerSnapshot } from './LeaseTaker';
export type { LeaseLostReason } from './LeaseRenewer';
export { Checkpointer, type CheckpointChange, type CheckpointWriter, type PreparedCheckpoint } from './Checkpointer';
export { LeaseCoordinator } from './LeaseCoordinator';
export { isFinishedLease, type DuplicateWorkerId, type LeaseCoordinatorEvents, type StopOptions, type StoredCheckpoint } from './LeaseCoordinatorEvents';
export {
  defaultWorkerId,
  resolveLeaseCoordinatorOptions,
  resolveLeaseTableOptions,
  type BillingMode,
  type LeaseCoordinatorOptions,
  type LeaseTableOptions,
  type ResolvedLeaseCoordinatorOptions,
  type ResolvedLeaseTableOptions,
} from './resolveLeaseOptions';
// The core types and classes in this package's API, so that an application imports only this package.
export {
  AccessDeniedError,
  AwsServiceError,
  CheckpointOutOfRangeError,
  ClockSkewError,
  createDynamoDbClient,
  createLogger,
  createNoopLogger,
  createNoopMetrics,
  createPromMetrics,
  createSystemClock,
  ExtendedSequenceNumber,
  InternalError,
  InvalidArgumentError,
  InvalidStateError,
  LeaseLostError,
  ManualClock,
  MemoryMetrics,
  ProtocolError,
  ResourceNotFoundError,
  ServiceUnavailableError,
  ShardlineError,
  ShutdownError,
  ThrottledError,
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
