/** Options of {@link startFanOutFront}. */
export interface FanOutFrontOptions {
  /** kinesalite's endpoint (http://127.0.0.1:port): every operation but the fan-out ones is proxied to it, and subscriptions read from it. */
  readonly kinesisEndpoint: string;
  /** Region used in the placeholder signature sent to kinesalite. Default 'us-east-1'. (Consumer ARNs take region and account from the stream ARN.) */
  readonly region?: string;
  /** How long a subscription lasts before the front ends it (AWS: 300_000). Default 300_000. */
  readonly subscriptionMs?: number;
  /** How often an open subscription polls kinesalite's GetRecords. Default 50. */
  readonly pollIntervalMs?: number;
  /** A SubscribeToShard for the same consumer and shard within this many ms of the previous successful one answers ResourceInUseException (AWS: 5_000). Default 5_000. */
  readonly resubscribeGuardMs?: number;
  /** Time a registered consumer stays CREATING before ACTIVE (and DELETING before gone). Default 500. */
  readonly consumerTransitionMs?: number;
  /** Default: a free port. */
  readonly port?: number;
  /**
   * An idle subscription (no new records) still sends an event with empty Records at least this
   * often, carrying the ContinuationSequenceNumber and MillisBehindLatest (Kinesis sends events on
   * idle shards too; the cadence is not documented). Default 1_000.
   */
  readonly idleEventIntervalMs?: number;
  /** GetRecords Limit of each poll, so the most records one event carries (1–10000). Default 10_000. */
  readonly maxRecordsPerEvent?: number;
}

/** Why a subscription ended. */
export type FanOutEndReason = 'expired' | 'shard-end' | 'exception' | 'cancelled' | 'consumer-deleted' | 'closed';

/** What the front knows of one subscription (a successful SubscribeToShard). */
export interface FanOutSubscriptionInfo {
  readonly consumerArn: string;
  readonly shardId: string;
  readonly startingPosition: { Type: string; SequenceNumber?: string; Timestamp?: Date };
  /** `Date.now()` when the 200 was sent. */
  readonly openedAt: number;
  readonly endedAt?: number;
  readonly endReason?: FanOutEndReason;
  /** For endReason 'exception': the exception type sent on the stream. */
  readonly exceptionType?: string;
  /** SubscribeToShardEvent events sent (the initial-response is not counted). */
  readonly eventsSent: number;
  readonly recordsSent: number;
}

/** Counters of one front. */
export interface FanOutStats {
  /** SubscribeToShard calls answered 200 (subscriptions opened). */
  subscribes: number;
  /** SubscribeToShard calls answered ResourceInUseException (the resubscribe guard or {@link FanOutFront.rejectSubscribes}). */
  rejectedSubscribes: number;
  eventsSent: number;
  recordsSent: number;
  /** Subscriptions open now. */
  open: number;
}

/** A running HTTP/2 cleartext front; see {@link startFanOutFront}. */
export interface FanOutFront {
  /** http://127.0.0.1:<port>; give it to a stock KinesisClient as `endpoint` (its default HTTP/2 handler speaks h2c to it). */
  readonly endpoint: string;
  /** Sends an exception event (default InternalFailureException) on the open subscriptions of one shard (or all) and ends them; returns how many. */
  injectException(options?: { shardId?: string; exceptionType?: string; message?: string }): number;
  /** The next `count` (default 1) SubscribeToShard calls (for one shard, or any) answer ResourceInUseException. */
  rejectSubscribes(options?: { shardId?: string; count?: number }): void;
  /** Open and new subscriptions (of one shard or all) send no events at all until resume(): a silent stream. */
  silence(shardId?: string): void;
  resume(shardId?: string): void;
  /** Every subscription opened so far, oldest first. */
  subscriptions(): readonly FanOutSubscriptionInfo[];
  /** Counters: subscribes, rejectedSubscribes (ResourceInUse), eventsSent, recordsSent, open. */
  stats(): FanOutStats;
  /** Ends every subscription and the server; bounded in time. */
  close(): Promise<void>;
}

/** Thrown by {@link startFanOutFront} for an invalid option; the message names it. */
export class FanOutFrontOptionsError extends Error {
  override readonly name = 'FanOutFrontOptionsError';
}

/** A Kinesis error answer: HTTP status plus `{"__type": type, "message": message}`. */
export class KinesisApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}
