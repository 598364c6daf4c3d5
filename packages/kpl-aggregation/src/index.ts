export * from './AggregatedRecordFormat';
export * from './UserRecord';
export * from './resolveAggregatorOptions';
export * from './Aggregator';
export * from './ShardMap';
export * from './ShardAggregator';
export * from './decodeAggregatedRecord';
export * from './deaggregate';
