export * from './Producer';
export * from './resolveProducerOptions';
export * from './PutResult';
export * from './RecordExpiredError';
export * from './BufferFullError';
export * from './Putter';
export * from './KinesisPutter';
export * from './ShardMapSource';
export * from './ProducerWritable';
export type { FailureIteratorOptions } from './FailureChannel';
export * from './producerMetrics';
// The core types and classes in this package's API, so that an application imports only this package.
export {
  AccessDeniedError,
  AwsServiceError,
  ClockSkewError,
  createKinesisClient,
  createLogger,
  createNoopLogger,
  createNoopMetrics,
  createPromMetrics,
  createSystemClock,
  InternalError,
  InvalidArgumentError,
  InvalidExplicitHashKeyError,
  InvalidPartitionKeyError,
  listShards,
  ManualClock,
  MemoryMetrics,
  RecordTooLargeError,
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
  type SdkShard,
  type ShardInfo,
  type ShardlineErrorOptions,
  type StreamRef,
} from '@shardline/core';
