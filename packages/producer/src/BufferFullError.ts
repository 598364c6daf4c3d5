import { brandErrorClass, ShardlineError } from '@shardline/core';

/**
 * `put` found the buffer full (`maxBufferedRecords` or `maxBufferedBytes`) with
 * `onBackpressure: 'reject'`. Retryable: try again once records have settled.
 * @public
 */
export class BufferFullError extends ShardlineError {
  static {
    brandErrorClass(this, 'producer.BufferFullError');
  }

  constructor(message: string) {
    super('SHARDLINE_BUFFER_FULL', message, { defaultRetryable: true });
  }
}
