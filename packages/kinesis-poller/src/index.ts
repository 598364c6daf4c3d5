export { Poller, type BatchHandler, type PollerState } from './Poller';
export { type PollerOptions, type ResolvedPollerOptions, resolvePollerOptions } from './resolvePollerOptions';
export { ShardReader } from './ShardReader';
export {
  type DeaggregationOptions,
  MAX_GET_RECORDS_LIMIT,
  MIN_TIME_BETWEEN_READS_MS,
  type ReadOptions,
  type ResolvedReadOptions,
  type ResolvedShardReaderOptions,
  resolveShardReaderOptions,
  type RetryReport,
  type ShardReaderOptions,
} from './resolveShardReaderOptions';
export type { ChildShard, ShardBatch } from './ShardBatch';
export { type IteratorType, type ResolvedStartingPosition, resolveStartingPosition, type StartingPosition } from './StartingPosition';
export { type PositionStore, type StoredPosition, fromStoredPosition, toStoredPosition } from './PositionStore';
export { MemoryPositionStore } from './MemoryPositionStore';
export { FilePositionStore, type FilePositionStoreOptions } from './FilePositionStore';
export { DynamoDbPositionStore, type DynamoDbPositionStoreOptions } from './DynamoDbPositionStore';
export { PositionTracker, type PositionTrackerOptions } from './PositionTracker';
export { ShardGraph, type ShardLineage, type ShardNode, type ShardPlanInput, type ShardState } from './ShardGraph';
export { createPollerInstruments, type PollerInstruments } from './PollerMetrics';
// The core types and classes in this package's API, so that an application imports only this package.
export {
  AccessDeniedError,
  AwsServiceError,
  ClockSkewError,
  createDynamoDbClient,
  createKinesisClient,
  createLogger,
  createNoopLogger,
  createNoopMetrics,
  createPromMetrics,
  createSystemClock,
  ExpiredIteratorError,
  ExtendedSequenceNumber,
  InternalError,
  InvalidArgumentError,
  listShards,
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
  type ShardInfo,
  type ShardlineErrorOptions,
  type StreamRef,
} from '@shardline/core';
