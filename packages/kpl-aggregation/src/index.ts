// The record format's constants; its varint and size helpers are the codec's own.
export { KPL_DIGEST_BYTES, KPL_FIXED_OVERHEAD_BYTES, KPL_MAGIC } from './AggregatedRecordFormat';
export * from './UserRecord';
export * from './resolveAggregatorOptions';
export * from './Aggregator';
export * from './ShardMap';
export * from './ShardAggregator';
export * from './decodeAggregatedRecord';
export * from './deaggregate';
// The core types and classes in this package's API, so that an application imports only this package.
export {
  createNoopMetrics,
  createPromMetrics,
  InvalidArgumentError,
  InvalidExplicitHashKeyError,
  InvalidPartitionKeyError,
  MemoryMetrics,
  parseHashKeyRange,
  RecordTooLargeError,
  shardInfoFromSdk,
  ShardlineError,
  type Counter,
  type Gauge,
  type HashKeyRange,
  type Histogram,
  type MetricDefinition,
  type MetricLabels,
  type Metrics,
  type PromMetricsOptions,
  type PromRegistry,
  type SdkShard,
  type ShardInfo,
} from '@shardline/core/base';
