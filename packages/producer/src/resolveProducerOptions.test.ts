import { InvalidArgumentError } from '@shardline/core';
import { resolveProducerOptions } from './resolveProducerOptions';

describe('resolveProducerOptions', () => {
  it('fills the KPL defaults', () => {
    const o = resolveProducerOptions({ streamName: 's' });
    expect(o).toMatchObject({
      stream: { streamName: 's' },
      aggregation: true,
      aggregator: { maxAggregateBytes: 51_200, maxRecordBytes: 1_048_576 },
      maxBatchRecords: 500,
      maxBatchBytes: 5 * 1024 * 1024,
      maxBufferedTimeMs: 100,
      maxConnections: 24,
      requestTimeoutMs: 6_000,
      recordTtlMs: 30_000,
      rateLimitPercent: 150,
      adaptiveRateLimit: true,
      failIfThrottled: false,
      maxBufferedRecords: 100_000,
      maxBufferedBytes: 64 * 1024 * 1024,
      onBackpressure: 'wait',
      maxWaitingPuts: 10_000,
      ordered: false,
      retryBackoff: { baseDelayMs: 100, maxDelayMs: 5_000, multiplier: 2, jitter: 'full' },
    });
  });

  it.each([
    [{ streamName: 's', maxConnections: 0 }, 'producer.maxConnections must be an integer between 1 and 256 (got 0)'],
    [{ streamName: 's', maxBatchRecords: 501 }, 'producer.maxBatchRecords must be an integer between 1 and 500 (got 501)'],
    [{ streamName: 's', maxBatchBytes: 20 * 1024 * 1024 }, 'producer.maxBatchBytes'],
    [{ streamName: 's', recordTtlMs: 10 }, 'producer.recordTtlMs'],
    [{ streamName: 's', maxAggregateBytes: 10 }, 'producer.maxAggregateBytes'],
    [{ streamName: 's', maxRecordBytes: 2048, maxBufferedBytes: 1024 }, 'producer.maxBufferedBytes'],
    [{ streamName: 's', onBackpressure: 'drop' }, 'producer.onBackpressure must be one of'],
    [{ streamName: 's', maxWaitingPuts: -1 }, 'producer.maxWaitingPuts must be an integer between 0 and 10000000 (got -1)'],
    [{ streamName: 's', retryBackoff: { baseDelayMs: -1 } }, 'producer.retryBackoff.baseDelayMs'],
    [{}, 'producer.streamName or producer.streamArn is required'],
    [{ streamName: 's', streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' }, 'exclusive'],
    [{ streamName: 'bad name' }, 'producer.streamName must match'],
    [{ streamName: 's', recordMaxBufferedTime: 5 }, 'producer.recordMaxBufferedTime is not an option; did you mean producer.maxBufferedTimeMs?'],
    [{ streamName: 's', region: 'eu-west-1' }, 'did you mean producer.clientOptions?'],
    [{ streamName: 's', putter: {} }, 'producer.putter must be an object with a putRecords() method'],
    [{ streamName: 's', client: {}, clientOptions: {} }, 'producer.client must be an object with a send() method'],
  ])('rejects %j', (input, message) => {
    expect(() => resolveProducerOptions(input as never)).toThrow(InvalidArgumentError);
    expect(() => resolveProducerOptions(input as never)).toThrow(message);
  });

  it('turns aggregation off by sending one user record per Kinesis record', () => {
    expect(resolveProducerOptions({ streamName: 's', aggregation: false }).aggregator.maxAggregateRecords).toBe(1);
  });

  it('raises size defaults for 10 MiB records', () => {
    const o = resolveProducerOptions({ streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s', maxRecordBytes: 10 * 1024 * 1024 });
    expect(o.stream).toEqual({ streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' });
    expect(o.maxBatchBytes).toBe(10 * 1024 * 1024);
    expect(o.maxBufferedBytes).toBe(64 * 1024 * 1024);
  });
});
