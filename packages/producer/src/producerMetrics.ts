import type { Counter, Gauge, Histogram, Metrics } from '@shardline/core';

/**
 * The producer's instruments. Names mirror the KPL's metrics (UserRecordsPut, KinesisRecordsPut,
 * UserRecordsPerKinesisRecord, RequestTime, …) in Prometheus style; `producer_records_total` carries
 * kinesis-pusher's success / failed / recovered counts and the PutRecords duration histogram is its
 * "push delay".
 * @public
 */
export interface ProducerMetrics {
  /** `producer_user_records_received_total`: records accepted by put/send/writable. */
  readonly userRecordsReceived: Counter;
  /** `producer_user_records_put_total`: user records written. */
  readonly userRecordsPut: Counter;
  /** `producer_user_records_failed_total{error_code}`: user records given up on (final failures, expiries included). */
  readonly userRecordsFailed: Counter;
  /** `producer_user_records_retried_total{error_code}`: retries of user records, by the error that caused them. */
  readonly userRecordsRetried: Counter;
  /** `producer_user_records_expired_total`: user records failed with `Expired` (TTL). */
  readonly userRecordsExpired: Counter;
  /** `producer_kinesis_records_put_total`: Kinesis records (aggregates or raw) written. */
  readonly kinesisRecordsPut: Counter;
  /** `producer_user_records_per_kinesis_record`: histogram of aggregation density. */
  readonly userRecordsPerKinesisRecord: Histogram;
  /** `producer_put_records_duration_seconds{outcome}`: PutRecords latency (kinesis-pusher's push delay). */
  readonly putRecordsDuration: Histogram;
  /** `producer_records_total{outcome="success|failed|recovered"}`: kinesis-pusher's counts; failed − recovered = records given up on after a failed attempt. */
  readonly records: Counter;
  /** `producer_buffered_records`: records accepted and not settled. */
  readonly bufferedRecords: Gauge;
  /** `producer_buffered_bytes`: their bytes (data + partition key). */
  readonly bufferedBytes: Gauge;
  /** `producer_oldest_record_age_seconds`. */
  readonly oldestRecordAge: Gauge;
  /** `producer_throttles_total{shard_id}`: ProvisionedThroughputExceeded results per shard. */
  readonly throttles: Counter;
  /** `producer_rate_limit_cuts_total{shard_id}`: AIMD rate cuts per shard. */
  readonly rateLimitCuts: Counter;
  /** `producer_mispredictions_total`: user records that landed on a shard not owning their hash key (retried, KPL "Wrong Shard"). */
  readonly mispredictions: Counter;
  /** `producer_shard_map_refreshes_total{outcome}`. */
  readonly shardMapRefreshes: Counter;
  /** `producer_failure_notifications_dropped_total`: failures a full `failures()` iterator could not take. */
  readonly failureNotificationsDropped: Counter;
  /** `producer_failures_unobserved_total`: failures of `send()` records nobody listened for (logged at error level). */
  readonly failuresUnobserved: Counter;
}

/** Creates the producer's instruments on a metrics seam. @public */
export function createProducerMetrics(metrics: Metrics): ProducerMetrics {
  const counter = (name: string, help: string, labelNames?: string[]): Counter => metrics.counter({ name, help, labelNames });
  return {
    userRecordsReceived: counter('producer_user_records_received_total', 'User records accepted by the producer'),
    userRecordsPut: counter('producer_user_records_put_total', 'User records written to Kinesis'),
    userRecordsFailed: counter('producer_user_records_failed_total', 'User records that failed for good', ['error_code']),
    userRecordsRetried: counter('producer_user_records_retried_total', 'User record retries, by cause', ['error_code']),
    userRecordsExpired: counter('producer_user_records_expired_total', 'User records that expired (recordTtlMs)'),
    kinesisRecordsPut: counter('producer_kinesis_records_put_total', 'Kinesis records (aggregated or not) written'),
    userRecordsPerKinesisRecord: metrics.histogram({
      name: 'producer_user_records_per_kinesis_record',
      help: 'User records per Kinesis record written',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    }),
    putRecordsDuration: metrics.histogram({
      name: 'producer_put_records_duration_seconds',
      help: 'PutRecords call duration (push delay)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    records: counter('producer_records_total', 'User records by outcome: success, failed (an attempt failed), recovered (written after a failed attempt)', ['outcome']),
    bufferedRecords: metrics.gauge({ name: 'producer_buffered_records', help: 'User records accepted and not settled' }),
    bufferedBytes: metrics.gauge({ name: 'producer_buffered_bytes', help: 'Bytes of user records accepted and not settled' }),
    oldestRecordAge: metrics.gauge({ name: 'producer_oldest_record_age_seconds', help: 'Age of the oldest unsettled user record' }),
    throttles: counter('producer_throttles_total', 'ProvisionedThroughputExceeded results, per shard', ['shard_id']),
    rateLimitCuts: counter('producer_rate_limit_cuts_total', 'Adaptive rate-limit cuts, per shard', ['shard_id']),
    mispredictions: counter('producer_mispredictions_total', 'User records that landed on a shard not owning their hash key (retried)'),
    shardMapRefreshes: counter('producer_shard_map_refreshes_total', 'Shard map loads, by outcome', ['outcome']),
    failureNotificationsDropped: counter('producer_failure_notifications_dropped_total', 'Failure notifications a full failures() iterator dropped'),
    failuresUnobserved: counter('producer_failures_unobserved_total', 'Failures of send() records with no failure listener or iterator'),
  };
}
