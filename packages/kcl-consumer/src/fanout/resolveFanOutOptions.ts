import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type BackoffOptions, InvalidArgumentError, integerOption, rejectUnknownOptions, resolveBackoffOptions, type ResolvedBackoffOptions, stringOption } from '@shardline/core';

/** The shortest wait after a ResourceInUseException on SubscribeToShard: Kinesis refuses a second subscription of a consumer to a shard within 5 s. */
export const MIN_RESOURCE_IN_USE_BACKOFF_MS = 5_000;

/**
 * Options of enhanced fan-out retrieval (`retrieval: 'fanout'`), the worker's `fanout` option.
 * Every field is optional.
 * @public
 */
export interface FanOutOptions {
  /** The stream consumer to register or look up (the KCL's `fanoutConfig.consumerName`). Default: the application name. */
  readonly consumerName?: string;
  /**
   * The ARN of a consumer registered beforehand: no RegisterStreamConsumer call is made (for
   * roles without `kinesis:RegisterStreamConsumer`). One stream only. If that consumer is
   * deleted, subscriptions fail with a non-retryable ResourceNotFoundError instead of
   * re-registering it. Default: registered or looked up by `consumerName`.
   */
  readonly consumerArn?: string;
  /** The client of SubscribeToShard and the consumer calls; it must use an HTTP/2 handler (the stock `KinesisClient` does in Node). The caller keeps ownership. Default: a stock client built from the worker's `clientOptions`, destroyed on stop. */
  readonly kinesisClient?: KinesisClient;
  /** No event for this long on an open subscription → it is cancelled and a new one made (the KCL's `MAX_TIME_BETWEEN_REQUEST_RESPONSE`), in ms. Only counts while the retriever waits for an event, not while the processor is busy. Default 60,000. */
  readonly healthCheckTimeoutMs?: number;
  /** Most events received and not yet handed to the processor, per shard; beyond it the stream is not read, so HTTP/2 flow control stops the service. Default 10 (the KCL's burst of 10 events). */
  readonly maxBufferedEventsPerShard?: number;
  /** Wait after a ResourceInUseException (a subscription of this consumer to the shard made less than 5 s before), in ms; at least 5,000. Default 5,000. */
  readonly resourceInUseBackoffMs?: number;
  /** Backoff between resubscriptions after consecutive failures (the first retry is immediate, as the KCL's). Default 200 ms doubling to 5 s, full jitter. */
  readonly resubscribeBackoff?: BackoffOptions;
  /** Longest wait for a registered consumer to become ACTIVE, in ms. Default 60,000. */
  readonly registrationTimeoutMs?: number;
  /** Pause between DescribeStreamConsumer polls while the consumer is CREATING (the KCL's `retryBackoffMillis`), in ms. Default 1,000. */
  readonly registrationPollMs?: number;
  /** Longest wait for SubscribeToShard to answer, in ms. Default 10,000. */
  readonly subscribeTimeoutMs?: number;
  /** How long {@link FanOutRetrieval.close} and a retriever's `stop()` wait for the subscriptions to end, in ms. Default 2,000. */
  readonly closeTimeoutMs?: number;
}

/** {@link FanOutOptions} after validation. @public */
export interface ResolvedFanOutOptions {
  readonly consumerName: string;
  readonly consumerArn: string | undefined;
  readonly kinesisClient: KinesisClient | undefined;
  readonly healthCheckTimeoutMs: number;
  readonly maxBufferedEventsPerShard: number;
  readonly resourceInUseBackoffMs: number;
  readonly resubscribeBackoff: ResolvedBackoffOptions;
  readonly registrationTimeoutMs: number;
  readonly registrationPollMs: number;
  readonly subscribeTimeoutMs: number;
  readonly closeTimeoutMs: number;
}

const KNOWN = [
  'consumerName',
  'consumerArn',
  'kinesisClient',
  'healthCheckTimeoutMs',
  'maxBufferedEventsPerShard',
  'resourceInUseBackoffMs',
  'resubscribeBackoff',
  'registrationTimeoutMs',
  'registrationPollMs',
  'subscribeTimeoutMs',
  'closeTimeoutMs',
] as const;

const KCL_NAMES: Readonly<Record<string, string>> = {
  retryBackoffMillis: 'registrationPollMs',
  maxDescribeStreamConsumerRetries: 'registrationTimeoutMs',
  registerStreamConsumerRetries: 'registrationTimeoutMs',
};

/** Consumer names as Kinesis accepts them. */
const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const CONSUMER_ARN = /^arn:[^:]+:kinesis:[^:]*:[^:]*:stream\/[^/]+\/consumer\/[^/]+$/;

/**
 * Fills defaults and validates {@link FanOutOptions} before any I/O; `path` names the field in
 * errors (`worker.fanout.healthCheckTimeoutMs`).
 * @public
 */
export function resolveFanOutOptions(input: FanOutOptions | undefined, defaultConsumerName: string, path = 'fanout'): ResolvedFanOutOptions {
  const o = input ?? {};
  if (o === null || typeof o !== 'object') throw new InvalidArgumentError(`${path} must be an object`);
  rejectUnknownOptions(path, o, KNOWN, KCL_NAMES);
  const consumerName = stringOption(`${path}.consumerName`, o.consumerName, defaultConsumerName, { pattern: CONSUMER_NAME });
  if (!CONSUMER_NAME.test(consumerName))
    throw new InvalidArgumentError(`${path}.consumerName must match ${CONSUMER_NAME} (got ${JSON.stringify(consumerName)}, the application name); set ${path}.consumerName`);
  const consumerArn = o.consumerArn === undefined ? undefined : stringOption(`${path}.consumerArn`, o.consumerArn, '', { pattern: CONSUMER_ARN });
  const client = o.kinesisClient;
  if (client !== undefined && (client === null || typeof client !== 'object' || typeof (client as { send?: unknown }).send !== 'function')) {
    throw new InvalidArgumentError(`${path}.kinesisClient must be an object with a send() method`);
  }
  return {
    consumerName,
    consumerArn,
    kinesisClient: client,
    healthCheckTimeoutMs: integerOption(`${path}.healthCheckTimeoutMs`, o.healthCheckTimeoutMs, 60_000, { min: 100, max: 3_600_000 }),
    maxBufferedEventsPerShard: integerOption(`${path}.maxBufferedEventsPerShard`, o.maxBufferedEventsPerShard, 10, { min: 1, max: 10_000 }),
    resourceInUseBackoffMs: integerOption(`${path}.resourceInUseBackoffMs`, o.resourceInUseBackoffMs, MIN_RESOURCE_IN_USE_BACKOFF_MS, { min: MIN_RESOURCE_IN_USE_BACKOFF_MS, max: 3_600_000 }),
    resubscribeBackoff: resolveBackoffOptions(o.resubscribeBackoff, `${path}.resubscribeBackoff`, { baseDelayMs: 200, maxDelayMs: 5_000, jitter: 'full' }),
    registrationTimeoutMs: integerOption(`${path}.registrationTimeoutMs`, o.registrationTimeoutMs, 60_000, { min: 100, max: 3_600_000 }),
    registrationPollMs: integerOption(`${path}.registrationPollMs`, o.registrationPollMs, 1_000, { min: 10, max: 60_000 }),
    subscribeTimeoutMs: integerOption(`${path}.subscribeTimeoutMs`, o.subscribeTimeoutMs, 10_000, { min: 100, max: 600_000 }),
    closeTimeoutMs: integerOption(`${path}.closeTimeoutMs`, o.closeTimeoutMs, 2_000, { min: 0, max: 60_000 }),
  };
}
