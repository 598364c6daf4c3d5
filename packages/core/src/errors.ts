/**
 * The Shardline error hierarchy. Every error a caller may need to handle has a stable string
 * `code` and a `retryable` flag; subclasses exist only where a caller must act differently.
 */

/** Options accepted by every {@link ShardlineError} constructor. */
export interface ShardlineErrorOptions {
  /** The underlying error, kept on `error.cause`. */
  readonly cause?: unknown;
  /** Overrides the class default for {@link ShardlineError.retryable}. */
  readonly retryable?: boolean;
}

/**
 * Base class of every error Shardline throws or reports.
 * Uses a symbol brand so that `instanceof` holds across duplicate copies of the package.
 * @public
 */
export class ShardlineError extends Error {
  /** Stable machine-readable code, e.g. `SHARDLINE_RECORD_TOO_LARGE`. */
  readonly code: string;
  /** Whether repeating the same operation later may succeed. */
  readonly retryable: boolean;

  constructor(code: string, message: string, options: ShardlineErrorOptions & { defaultRetryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? options.defaultRetryable ?? false;
    this.name = new.target.name;
  }

  /** Duck-typed check that works across copies of the package. */
  static isShardlineError(value: unknown): value is ShardlineError {
    return (
      value instanceof Error &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (value as unknown as { code: string }).code.startsWith('SHARDLINE_') &&
      typeof (value as { retryable?: unknown }).retryable === 'boolean'
    );
  }
}

/** An argument or option is invalid; the message names the field. Never retryable. @public */
export class InvalidArgumentError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INVALID_ARGUMENT', message, options);
  }
}

/** A record (data plus partition key) exceeds the stream's maximum record size. @public */
export class RecordTooLargeError extends ShardlineError {
  /** Size of the offending record in bytes. */
  readonly sizeBytes: number;
  /** The limit it exceeded, in bytes. */
  readonly limitBytes: number;
  constructor(sizeBytes: number, limitBytes: number, options?: ShardlineErrorOptions) {
    super('SHARDLINE_RECORD_TOO_LARGE', `record of ${sizeBytes} bytes (data + partition key) exceeds the maximum record size of ${limitBytes} bytes`, options);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** A partition key is empty, longer than 256 characters, or not a string. @public */
export class InvalidPartitionKeyError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INVALID_PARTITION_KEY', message, options);
  }
}

/** An explicit hash key is not a decimal integer in [0, 2^128 − 1]. @public */
export class InvalidExplicitHashKeyError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INVALID_EXPLICIT_HASH_KEY', message, options);
  }
}

/** Kinesis or DynamoDB throttled the request (ProvisionedThroughputExceeded, LimitExceeded, …). @public */
export class ThrottledError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_THROTTLED', message, { ...options, defaultRetryable: true });
  }
}

/** A shard iterator is older than five minutes; get a new one from the last position. @public */
export class ExpiredIteratorError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_EXPIRED_ITERATOR', message, { ...options, defaultRetryable: true });
  }
}

/** This worker no longer holds the lease (taken, stolen, expired or released). @public */
export class LeaseLostError extends ShardlineError {
  /** The lease key (shard id) that was lost. */
  readonly leaseKey: string | undefined;
  constructor(message: string, options?: ShardlineErrorOptions & { leaseKey?: string }) {
    super('SHARDLINE_LEASE_LOST', message, options);
    this.leaseKey = options?.leaseKey;
  }
}

/** The component is shut down (or shutting down) and cannot accept the operation. @public */
export class ShutdownError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_SHUTDOWN', message, options);
  }
}

/**
 * The call is not allowed in the component's current state: a checkpointer used after its
 * processor's lifecycle call returned, or during `initialize`/`leaseLost` (the KCL's
 * `InvalidStateException`).
 * @public
 */
export class InvalidStateError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INVALID_STATE', message, options);
  }
}

/** A checkpoint lies before the last checkpoint or beyond the last record handed out. @public */
export class CheckpointOutOfRangeError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_CHECKPOINT_OUT_OF_RANGE', message, options);
  }
}

/** An operation, or a record's time to live, ran out. Retryable unless it is a TTL expiry. @public */
export class TimeoutError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_TIMEOUT', message, { ...options, defaultRetryable: true });
  }
}

/** A peer sent something that breaks the protocol (a garbage MultiLang line, a bad response). @public */
export class ProtocolError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_PROTOCOL', message, options);
  }
}

/** The named stream, shard or table does not exist. @public */
export class ResourceNotFoundError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_RESOURCE_NOT_FOUND', message, options);
  }
}

/** Credentials or permissions were refused (AccessDenied, KMS access, expired token). @public */
export class AccessDeniedError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_ACCESS_DENIED', message, options);
  }
}

/**
 * The service refused the request's signature because this machine's clock is off by more than
 * five minutes (`Signature expired`, `RequestTimeTooSkewed`, …). Retryable: the SDK corrects its
 * clock offset from the response's Date header, so the next attempt is signed with the server's
 * time. Persisting, it means the host's clock needs fixing (NTP). @public
 */
export class ClockSkewError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_CLOCK_SKEW', message, { ...options, defaultRetryable: true });
  }
}

/** A transient service-side failure (InternalFailure, 5xx, connection reset). @public */
export class ServiceUnavailableError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_SERVICE_UNAVAILABLE', message, { ...options, defaultRetryable: true });
  }
}

/** A service error no other class describes; `retryable` follows the SDK's own classification. @public */
export class AwsServiceError extends ShardlineError {
  /** The AWS error name, e.g. `KMSDisabledException`. */
  readonly awsErrorName: string;
  constructor(awsErrorName: string, message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_AWS_SERVICE', message, options);
    this.awsErrorName = awsErrorName;
  }
}

/**
 * A fault inside Shardline, or in a seam it was given (a clock, logger or metrics object that
 * threw), left an operation in a state the component can no longer vouch for; it is failed with
 * this error rather than left pending. `cause` is the original error. Not retryable by default: a
 * record failed this way may still have been written.
 * @public
 */
export class InternalError extends ShardlineError {
  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INTERNAL', message, options);
  }
}
