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

/** Static key of a class's brand string (a registered symbol: the same in every copy of core). */
const CLASS_BRAND: unique symbol = Symbol.for('shardline.error.classBrand');

/**
 * Brands an error class: its prototype gets the registered symbol `shardline.error.<name>`, which
 * every instance of it and of its subclasses inherits, in whichever copy of the package it was
 * made. {@link ShardlineError}'s `Symbol.hasInstance` looks for it, so that `instanceof` holds
 * across two copies of `@shardline/core` in one application (as undici and the AWS SDK do).
 * An error class of another package brands itself the same way, with a name of its own
 * (`brandErrorClass(this, 'producer.BufferFullError')` in a `static` block), so that its
 * `instanceof` survives two copies of that package too.
 * @public
 */
export function brandErrorClass(ctor: abstract new (...args: never[]) => ShardlineError, name: string): void {
  const key = Symbol.for(`shardline.error.${name}`);
  Object.defineProperty(ctor, CLASS_BRAND, { value: key, enumerable: false });
  Object.defineProperty(ctor.prototype, key, { value: true, enumerable: false });
}

/**
 * Base class of every error Shardline throws or reports. `instanceof` works across duplicate
 * copies of the package (a `Symbol.for` brand, see `Symbol.hasInstance` below), for this class
 * and every branded subclass.
 * @public
 */
export class ShardlineError extends Error {
  static {
    brandErrorClass(this, 'ShardlineError');
  }

  /**
   * True for instances of this class (or a subclass) from this copy of the package and, for a
   * branded class, from any other copy: the prototype chain is checked first, then the brand.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    if (typeof value !== 'object' || value === null || !Object.prototype.hasOwnProperty.call(this, CLASS_BRAND)) return false;
    return (value as Record<symbol, unknown>)[(this as unknown as Record<typeof CLASS_BRAND, symbol>)[CLASS_BRAND]] === true;
  }

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

  /** True for a Shardline error from any copy of the package (the brand), or anything shaped like one. */
  static isShardlineError(value: unknown): value is ShardlineError {
    return (
      value instanceof ShardlineError ||
      (value instanceof Error &&
        typeof (value as { code?: unknown }).code === 'string' &&
        (value as unknown as { code: string }).code.startsWith('SHARDLINE_') &&
        typeof (value as { retryable?: unknown }).retryable === 'boolean')
    );
  }
}

/** An argument or option is invalid; the message names the field. Never retryable. @public */
export class InvalidArgumentError extends ShardlineError {
  static {
    brandErrorClass(this, 'InvalidArgumentError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INVALID_ARGUMENT', message, options);
  }
}

/** A record (data plus partition key) exceeds the stream's maximum record size. @public */
export class RecordTooLargeError extends ShardlineError {
  static {
    brandErrorClass(this, 'RecordTooLargeError');
  }

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
  static {
    brandErrorClass(this, 'InvalidPartitionKeyError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INVALID_PARTITION_KEY', message, options);
  }
}

/** An explicit hash key is not a decimal integer in [0, 2^128 − 1]. @public */
export class InvalidExplicitHashKeyError extends ShardlineError {
  static {
    brandErrorClass(this, 'InvalidExplicitHashKeyError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INVALID_EXPLICIT_HASH_KEY', message, options);
  }
}

/** Kinesis or DynamoDB throttled the request (ProvisionedThroughputExceeded, LimitExceeded, …). @public */
export class ThrottledError extends ShardlineError {
  static {
    brandErrorClass(this, 'ThrottledError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_THROTTLED', message, { ...options, defaultRetryable: true });
  }
}

/** A shard iterator is older than five minutes; get a new one from the last position. @public */
export class ExpiredIteratorError extends ShardlineError {
  static {
    brandErrorClass(this, 'ExpiredIteratorError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_EXPIRED_ITERATOR', message, { ...options, defaultRetryable: true });
  }
}

/** This worker no longer holds the lease (taken, stolen, expired or released). @public */
export class LeaseLostError extends ShardlineError {
  static {
    brandErrorClass(this, 'LeaseLostError');
  }

  /** The lease key (shard id) that was lost. */
  readonly leaseKey: string | undefined;
  constructor(message: string, options?: ShardlineErrorOptions & { leaseKey?: string }) {
    super('SHARDLINE_LEASE_LOST', message, options);
    this.leaseKey = options?.leaseKey;
  }
}

/** The component is shut down (or shutting down) and cannot accept the operation. @public */
export class ShutdownError extends ShardlineError {
  static {
    brandErrorClass(this, 'ShutdownError');
  }

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
  static {
    brandErrorClass(this, 'InvalidStateError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INVALID_STATE', message, options);
  }
}

/** A checkpoint lies before the last checkpoint or beyond the last record handed out. @public */
export class CheckpointOutOfRangeError extends ShardlineError {
  static {
    brandErrorClass(this, 'CheckpointOutOfRangeError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_CHECKPOINT_OUT_OF_RANGE', message, options);
  }
}

/** An operation, or a record's time to live, ran out. Retryable unless it is a TTL expiry. @public */
export class TimeoutError extends ShardlineError {
  static {
    brandErrorClass(this, 'TimeoutError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_TIMEOUT', message, { ...options, defaultRetryable: true });
  }
}

/** A peer sent something that breaks the protocol (a garbage MultiLang line, a bad response). @public */
export class ProtocolError extends ShardlineError {
  static {
    brandErrorClass(this, 'ProtocolError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_PROTOCOL', message, options);
  }
}

/** The named stream, shard or table does not exist. @public */
export class ResourceNotFoundError extends ShardlineError {
  static {
    brandErrorClass(this, 'ResourceNotFoundError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_RESOURCE_NOT_FOUND', message, options);
  }
}

/** Credentials or permissions were refused (AccessDenied, KMS access, expired token). @public */
export class AccessDeniedError extends ShardlineError {
  static {
    brandErrorClass(this, 'AccessDeniedError');
  }

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
  static {
    brandErrorClass(this, 'ClockSkewError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_CLOCK_SKEW', message, { ...options, defaultRetryable: true });
  }
}

/** A transient service-side failure (InternalFailure, 5xx, connection reset). @public */
export class ServiceUnavailableError extends ShardlineError {
  static {
    brandErrorClass(this, 'ServiceUnavailableError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_SERVICE_UNAVAILABLE', message, { ...options, defaultRetryable: true });
  }
}

/** A service error no other class describes; `retryable` follows the SDK's own classification. @public */
export class AwsServiceError extends ShardlineError {
  static {
    brandErrorClass(this, 'AwsServiceError');
  }

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
  static {
    brandErrorClass(this, 'InternalError');
  }

  constructor(message: string, options?: ShardlineErrorOptions) {
    super('SHARDLINE_INTERNAL', message, options);
  }
}
