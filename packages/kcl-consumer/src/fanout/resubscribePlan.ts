import { AccessDeniedError, awsErrorName, backoffDelayMs, classifyAwsError, InvalidArgumentError, type ResolvedBackoffOptions, type ShardlineError } from '@shardline/core';

/**
 * Why a subscription ended and a new one is made (the `reason` label of
 * `kcl_fanout_subscription_restarts_total`):
 *
 * - `completed`: the service ended it normally (every subscription lasts up to 5 minutes);
 * - `exception`: an exception event arrived mid-stream (InternalFailureException, KMS throttling, …);
 * - `resource-in-use`: SubscribeToShard was refused because this consumer subscribed to the shard less than 5 s before;
 * - `throttled`: LimitExceededException (more than one SubscribeToShard per second per consumer and shard);
 * - `silent`: no event within `healthCheckTimeoutMs`: the subscription was cancelled (the KCL's health check);
 * - `read-timeout`: the HTTP/2 stream timed out (the handler's socket or request timeout);
 * - `consumer-missing`: ResourceNotFoundException: the consumer was looked up again (re-registered if it was deleted);
 * - `error`: any other retryable failure (connection reset, stream aborted, 5xx).
 * @public
 */
export type SubscriptionRestartReason = 'completed' | 'exception' | 'resource-in-use' | 'throttled' | 'silent' | 'read-timeout' | 'consumer-missing' | 'error';

/** Every restart reason, for metrics and docs. @public */
export const SUBSCRIPTION_RESTART_REASONS: readonly SubscriptionRestartReason[] = ['completed', 'exception', 'resource-in-use', 'throttled', 'silent', 'read-timeout', 'consumer-missing', 'error'];

/** Errors no resubscription fixes: the retriever fails and the worker's processing retries take over. */
const FINAL_NAMES = new Set(['KMSDisabledException', 'KMSNotFoundException', 'KMSOptInRequired', 'KMSAccessDeniedException', 'KMSInvalidStateException']);
const READ_TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

/** What a failed subscription means: a reason to resubscribe, or a final error. */
export type SubscriptionFailure = { readonly reason: SubscriptionRestartReason; readonly final?: undefined } | { readonly reason?: undefined; readonly final: ShardlineError };

/**
 * Classifies an error of SubscribeToShard or of its event stream. `midStream` is true for an error
 * that came after the subscription was answered (an exception event, a broken stream).
 * @internal
 */
export function classifySubscriptionError(error: unknown, midStream: boolean): SubscriptionFailure {
  const name = awsErrorName(error);
  if (name === 'ResourceInUseException') return { reason: 'resource-in-use' };
  if (name === 'ResourceNotFoundException') return { reason: 'consumer-missing' };
  if (name === 'LimitExceededException') return { reason: 'throttled' };
  if (READ_TIMEOUTS.has(name)) return { reason: 'read-timeout' };
  const classified = classifyAwsError(error);
  if (FINAL_NAMES.has(name) || classified instanceof AccessDeniedError || (classified instanceof InvalidArgumentError && !classified.retryable)) return { final: classified };
  return { reason: midStream && name.endsWith('Exception') ? 'exception' : 'error' };
}

/** What {@link resubscribeDelayMs} needs of the options. */
export interface ResubscribeTimings {
  readonly resourceInUseBackoffMs: number;
  readonly resubscribeBackoff: ResolvedBackoffOptions;
}

/** Least wait after LimitExceededException: SubscribeToShard allows one call per second per consumer and shard. */
const THROTTLED_MIN_MS = 1_000;

/**
 * How long to wait before the next SubscribeToShard. `consecutiveFailures` counts the
 * subscriptions in a row, this one included, that delivered no event or failed; 0 after a
 * subscription that delivered events and completed.
 *
 * - a normal end after events: at once (the KCL resubscribes on completion immediately);
 * - the first failure: at once, as the KCL does; further ones: `resubscribeBackoff`;
 * - ResourceInUseException: at least `resourceInUseBackoffMs` (≥ 5 s);
 * - LimitExceededException: at least 1 s.
 * @internal
 */
export function resubscribeDelayMs(reason: SubscriptionRestartReason, consecutiveFailures: number, timings: ResubscribeTimings, random: () => number = Math.random): number {
  const backoff = consecutiveFailures <= 1 ? 0 : backoffDelayMs(consecutiveFailures - 2, timings.resubscribeBackoff, random);
  if (reason === 'resource-in-use') return Math.max(timings.resourceInUseBackoffMs, backoff);
  if (reason === 'throttled') return Math.max(THROTTLED_MIN_MS, backoff);
  return backoff;
}
