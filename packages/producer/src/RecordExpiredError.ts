import { brandErrorClass, type ShardlineError, TimeoutError } from '@shardline/core';

/**
 * A record's time to live (`recordTtlMs`) ran out before it could be written: the KPL's `Expired`.
 * A {@link TimeoutError} that is not retryable (the producer already retried until the TTL); `cause`
 * is the last attempt's error, if there was an attempt.
 * @public
 */
export class RecordExpiredError extends TimeoutError {
  static {
    brandErrorClass(this, 'producer.RecordExpiredError');
  }

  /** The attempt error code the KPL reports for this case. */
  static readonly ERROR_CODE = 'Expired';
  /** The TTL that ran out, in milliseconds. */
  readonly recordTtlMs: number;

  constructor(recordTtlMs: number, lastError?: ShardlineError) {
    super(`record not written within its TTL of ${recordTtlMs} ms${lastError ? ` (last error: ${lastError.message})` : ''}`, { cause: lastError, retryable: false });
    this.recordTtlMs = recordTtlMs;
  }
}
