import type { ShardlineError } from '@shardline/core';

/**
 * One PutRecords call that carried a user record, as the KPL's `Attempt` reports it.
 * @public
 */
export interface Attempt {
  /** Milliseconds from the record's `put` (first attempt) or from the end of the previous attempt, to this attempt's start. */
  readonly delayMs: number;
  /** Milliseconds the PutRecords call took (until its response, error or timeout). */
  readonly durationMs: number;
  /** True when the record was written by this attempt. */
  readonly successful: boolean;
  /**
   * Why the attempt failed: the PutRecords entry's `ErrorCode`
   * (`ProvisionedThroughputExceededException`, `InternalFailure`, `KMSThrottlingException`, …), the AWS
   * error name of a whole-request failure (`TimeoutError`, `ECONNRESET`, …), or one of the
   * producer's own codes: `Wrong Shard` (the record landed in an aggregate on a shard that does not
   * own its hash key; retried), `Record Count Mismatch` (the response had a different number of
   * entries; retried), `Expired` (the record's TTL ran out; final) and `Shutdown` (final).
   */
  readonly errorCode?: string;
  /** The error message that came with {@link errorCode}. */
  readonly errorMessage?: string;
}

/** A successful `put`: where the record landed and how many attempts it took. @public */
export interface PutResult {
  readonly shardId: string;
  /**
   * The Kinesis sequence number. Every user record aggregated into one Kinesis record shares it;
   * {@link subSequenceNumber} tells them apart.
   */
  readonly sequenceNumber: string;
  /** Position inside the aggregated Kinesis record (0 for a record sent unaggregated). */
  readonly subSequenceNumber: number;
  /** True when the record was sent inside a KPL aggregate. */
  readonly aggregated: boolean;
  /** Every attempt, in order; the last one succeeded. */
  readonly attempts: readonly Attempt[];
}

/** The record a failure is about, as it was put. @public */
export interface FailedRecord {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
}

/**
 * A record that will not be written: delivered as the rejection of its `put` promise (the `error`)
 * and, for every record, to `producer.on('failure')` and `producer.failures()`.
 * @public
 */
export interface PutFailure {
  /**
   * The typed reason: `RecordExpiredError` (TTL ran out while retrying a retryable error, which is
   * its `cause`), `ShutdownError`, or the non-retryable service error (`AccessDeniedError`,
   * `ResourceNotFoundError`, `InvalidArgumentError`, `AwsServiceError` for KMS errors, or
   * `ThrottledError` with `failIfThrottled`).
   */
  readonly error: ShardlineError;
  readonly record: FailedRecord;
  /** Every attempt made, in order. */
  readonly attempts: readonly Attempt[];
}
