import type { Counter, Gauge, Metrics } from '@shardline/core';

/**
 * The instruments of enhanced fan-out retrieval. Per-shard series are labelled `stream` and
 * `shard_id`.
 *
 * | name | kind | meaning |
 * | --- | --- | --- |
 * | `kcl_fanout_events_received_total` | counter | SubscribeToShardEvents received |
 * | `kcl_fanout_records_received_total` | counter | Kinesis records in them (before deaggregation) |
 * | `kcl_fanout_bytes_received_total` | counter | their data bytes |
 * | `kcl_fanout_millis_behind_latest` | gauge | `MillisBehindLatest` of the last event |
 * | `kcl_fanout_subscriptions_total` | counter | SubscribeToShard calls answered |
 * | `kcl_fanout_subscription_restarts_total` | counter | resubscriptions, by `reason` (see `SubscriptionRestartReason`) |
 * | `kcl_fanout_buffered_events` | gauge | events received and not yet handed to the processor |
 * @public
 */
export interface FanOutInstruments {
  readonly events: Counter;
  readonly records: Counter;
  readonly bytes: Counter;
  readonly millisBehindLatest: Gauge;
  readonly subscriptions: Counter;
  readonly restarts: Counter;
  readonly bufferedEvents: Gauge;
}

/** Registers (or looks up) the fan-out instruments. @public */
export function createFanOutInstruments(metrics: Metrics): FanOutInstruments {
  const labelNames = ['stream', 'shard_id'] as const;
  return {
    events: metrics.counter({ name: 'kcl_fanout_events_received_total', help: 'SubscribeToShard events received', labelNames }),
    records: metrics.counter({ name: 'kcl_fanout_records_received_total', help: 'Kinesis records received over SubscribeToShard (before deaggregation)', labelNames }),
    bytes: metrics.counter({ name: 'kcl_fanout_bytes_received_total', help: 'Data bytes received over SubscribeToShard', labelNames }),
    millisBehindLatest: metrics.gauge({ name: 'kcl_fanout_millis_behind_latest', help: 'MillisBehindLatest of the last SubscribeToShard event', labelNames }),
    subscriptions: metrics.counter({ name: 'kcl_fanout_subscriptions_total', help: 'SubscribeToShard calls answered', labelNames }),
    restarts: metrics.counter({ name: 'kcl_fanout_subscription_restarts_total', help: 'SubscribeToShard resubscriptions, by reason', labelNames: ['stream', 'shard_id', 'reason'] }),
    bufferedEvents: metrics.gauge({ name: 'kcl_fanout_buffered_events', help: 'Events received and not yet handed to the processor', labelNames }),
  };
}
