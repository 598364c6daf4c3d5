import type { Counter, Gauge, Metrics } from '@shardline/core';

const LABELS = ['stream', 'shard_id'] as const;

/**
 * The per-shard instruments of the poller. Every series is labelled `stream` and `shard_id`:
 *
 * | name | kind | meaning |
 * | --- | --- | --- |
 * | `poller_records_total` | counter | user records delivered (after deaggregation and resume filtering) |
 * | `poller_bytes_total` | counter | data bytes of the Kinesis records fetched |
 * | `poller_get_records_total` | counter | successful GetRecords calls |
 * | `poller_millis_behind_latest` | gauge | `MillisBehindLatest` of the last GetRecords |
 * | `poller_iterator_age_ms` | gauge | now minus the arrival time of the last record fetched (Kinesis' "iterator age"); `millisBehindLatest` when a call returned nothing |
 * | `poller_throttles_total` | counter | ProvisionedThroughputExceeded answers |
 * | `poller_expired_iterators_total` | counter | ExpiredIterator answers (each followed by a fresh iterator) |
 * | `poller_retries_total` | counter | retried transient failures (network, 5xx, timeouts) |
 * | `poller_handler_errors_total` | counter | batches whose handler threw |
 * @public
 */
export interface PollerInstruments {
  readonly records: Counter;
  readonly bytes: Counter;
  readonly getRecords: Counter;
  readonly millisBehindLatest: Gauge;
  readonly iteratorAgeMs: Gauge;
  readonly throttles: Counter;
  readonly expiredIterators: Counter;
  readonly retries: Counter;
  readonly handlerErrors: Counter;
}

/** Registers (or looks up) the poller's instruments on `metrics`. @public */
export function createPollerInstruments(metrics: Metrics): PollerInstruments {
  const labelNames = LABELS;
  return {
    records: metrics.counter({ name: 'poller_records_total', help: 'User records delivered to the handler', labelNames }),
    bytes: metrics.counter({ name: 'poller_bytes_total', help: 'Data bytes of the Kinesis records fetched', labelNames }),
    getRecords: metrics.counter({ name: 'poller_get_records_total', help: 'Successful GetRecords calls', labelNames }),
    millisBehindLatest: metrics.gauge({ name: 'poller_millis_behind_latest', help: 'MillisBehindLatest of the last GetRecords call', labelNames }),
    iteratorAgeMs: metrics.gauge({ name: 'poller_iterator_age_ms', help: 'Age of the last record fetched, in milliseconds', labelNames }),
    throttles: metrics.counter({ name: 'poller_throttles_total', help: 'ProvisionedThroughputExceeded answers', labelNames }),
    expiredIterators: metrics.counter({ name: 'poller_expired_iterators_total', help: 'Expired shard iterators replaced', labelNames }),
    retries: metrics.counter({ name: 'poller_retries_total', help: 'Transient failures retried', labelNames }),
    handlerErrors: metrics.counter({ name: 'poller_handler_errors_total', help: 'Batches whose handler threw', labelNames }),
  };
}
