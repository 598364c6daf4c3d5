import { ExtendedSequenceNumber, MemoryMetrics, resolveBackoffOptions } from '@shardline/core';
import { aggregateRecords } from '@shardline/kpl-aggregation';
import { resolveWorkerOptions } from '../resolveWorkerOptions';
import { EventBatcher } from './EventBatcher';
import { MIN_RESOURCE_IN_USE_BACKOFF_MS, resolveFanOutOptions } from './resolveFanOutOptions';
import { classifySubscriptionError, resubscribeDelayMs } from './resubscribePlan';
import { SubscriptionPosition } from './SubscriptionPosition';

const NOW = 1_700_000_000_000;
const named = (name: string, message = name): Error => Object.assign(new Error(message), { name });

describe('SubscriptionPosition', () => {
  it('starts a checkpoint AT its sequence number and skips the checkpointed record itself', () => {
    const p = new SubscriptionPosition(new ExtendedSequenceNumber('100'));
    expect(p.next(NOW)).toEqual({ Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: '100' });
    expect(p.accepts('100', 0)).toBe(false);
    expect(p.accepts('101', 0)).toBe(true);
  });

  it('resumes inside an aggregate: AT that sequence number, skipping the sub-records up to the checkpoint', () => {
    const p = new SubscriptionPosition(new ExtendedSequenceNumber('200', 2));
    expect(p.next(NOW)).toEqual({ Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: '200' });
    expect([0, 1, 2, 3, 4].map((sub) => p.accepts('200', sub))).toEqual([false, false, false, true, true]);
    // Once a record passed, every later one does (they come in order).
    expect(p.accepts('201', 0)).toBe(true);
  });

  it('maps the sentinels and timestamps to SubscribeToShard positions', () => {
    expect(new SubscriptionPosition(ExtendedSequenceNumber.TRIM_HORIZON).next(NOW)).toEqual({ Type: 'TRIM_HORIZON' });
    expect(new SubscriptionPosition('LATEST').next(NOW)).toEqual({ Type: 'LATEST' });
    expect(new SubscriptionPosition({ type: 'AT_TIMESTAMP', timestamp: 5_000 }).next(NOW)).toEqual({ Type: 'AT_TIMESTAMP', Timestamp: new Date(5_000) });
    expect(new SubscriptionPosition({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '7' }).next(NOW)).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '7' });
    expect(new SubscriptionPosition(ExtendedSequenceNumber.SHARD_END).atShardEnd).toBe(true);
  });

  it('resubscribes AFTER the last continuation sequence number, keeping an unpassed floor', () => {
    const p = new SubscriptionPosition(new ExtendedSequenceNumber('300', 1));
    p.next(NOW);
    p.advance('299');
    expect(p.next(NOW)).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '299' });
    expect(p.accepts('300', 1)).toBe(false);
    expect(p.accepts('300', 2)).toBe(true);
    p.advance(null);
    expect(p.continuationSequenceNumber).toBe('299');
  });

  it('a LATEST subscription that ended before its first event restarts AT_TIMESTAMP of that subscription', () => {
    const p = new SubscriptionPosition('LATEST');
    expect(p.next(NOW)).toEqual({ Type: 'LATEST' });
    expect(p.next(NOW + 60_000)).toEqual({ Type: 'AT_TIMESTAMP', Timestamp: new Date(NOW) });
    p.advance('5');
    expect(p.next(NOW + 90_000)).toEqual({ Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '5' });
  });
});

describe('resubscribe decisions', () => {
  const timings = { resourceInUseBackoffMs: MIN_RESOURCE_IN_USE_BACKOFF_MS, resubscribeBackoff: resolveBackoffOptions({ baseDelayMs: 200, maxDelayMs: 5_000, jitter: 'none' }) };

  it('resubscribes at once after a normal end and after a first failure, then backs off', () => {
    expect(resubscribeDelayMs('completed', 0, timings)).toBe(0);
    expect(resubscribeDelayMs('exception', 1, timings)).toBe(0);
    expect(resubscribeDelayMs('silent', 1, timings)).toBe(0);
    expect([2, 3, 4, 10].map((n) => resubscribeDelayMs('error', n, timings))).toEqual([200, 400, 800, 5_000]);
  });

  it('waits at least 5 s after ResourceInUseException and 1 s after LimitExceededException', () => {
    expect(resubscribeDelayMs('resource-in-use', 1, timings)).toBe(5_000);
    expect(resubscribeDelayMs('resource-in-use', 3, timings, () => 0.99)).toBe(5_000);
    expect(resubscribeDelayMs('throttled', 1, timings)).toBe(1_000);
    expect(() => resolveFanOutOptions({ resourceInUseBackoffMs: 4_999 }, 'app')).toThrow('fanout.resourceInUseBackoffMs must be an integer between 5000 and');
  });

  it('classifies what ended a subscription', () => {
    expect(classifySubscriptionError(named('ResourceInUseException'), false)).toEqual({ reason: 'resource-in-use' });
    expect(classifySubscriptionError(named('ResourceNotFoundException'), false)).toEqual({ reason: 'consumer-missing' });
    expect(classifySubscriptionError(named('LimitExceededException'), false)).toEqual({ reason: 'throttled' });
    expect(classifySubscriptionError(named('InternalFailureException'), true)).toEqual({ reason: 'exception' });
    expect(classifySubscriptionError(named('TimeoutError', 'Stream timed out because of no activity for 300 ms'), true)).toEqual({ reason: 'read-timeout' });
    expect(classifySubscriptionError(new Error('HTTP/2 stream is abnormally aborted in mid-communication with result code 2.'), true)).toEqual({ reason: 'error' });
    expect(classifySubscriptionError(named('AccessDeniedException'), false).final?.code).toBe('SHARDLINE_ACCESS_DENIED');
    expect(classifySubscriptionError(named('KMSDisabledException'), true).final).toBeDefined();
  });
});

describe('resolveFanOutOptions', () => {
  it('fills the defaults, the consumer name from the application', () => {
    expect(resolveFanOutOptions(undefined, 'orders-app')).toMatchObject({
      consumerName: 'orders-app',
      consumerArn: undefined,
      healthCheckTimeoutMs: 60_000,
      maxBufferedEventsPerShard: 10,
      resourceInUseBackoffMs: 5_000,
      resubscribeBackoff: { baseDelayMs: 200, maxDelayMs: 5_000, multiplier: 2, jitter: 'full' },
      registrationTimeoutMs: 60_000,
      registrationPollMs: 1_000,
    });
  });

  it.each([
    [{ consumerName: 'has space' }, /^worker\.fanout\.consumerName must match/],
    [{ consumerArn: 'arn:aws:kinesis:us-east-1:1:stream/s' }, /^worker\.fanout\.consumerArn must match/],
    [{ maxBufferedEventsPerShard: 0 }, /^worker\.fanout\.maxBufferedEventsPerShard must be an integer between 1 and/],
    [{ healthCheckTimeoutMs: 5 }, /^worker\.fanout\.healthCheckTimeoutMs must be an integer between 100 and/],
    [{ retryBackoffMillis: 5 }, 'worker.fanout.retryBackoffMillis is not an option; did you mean worker.fanout.registrationPollMs?'],
    [{ kinesisClient: {} }, 'worker.fanout.kinesisClient must be an object with a send() method'],
  ])('rejects %j', (input, message) => {
    expect(() => resolveFanOutOptions(input as never, 'app', 'worker.fanout')).toThrow(message);
  });

  it('names the application when it cannot be a consumer name', () => {
    expect(() => resolveFanOutOptions({}, 'orders app', 'worker.fanout')).toThrow(/application name\); set worker.fanout.consumerName/);
  });
});

describe('EventBatcher', () => {
  const aggregate = aggregateRecords(['a', 'b', 'c', 'd'].map((d) => ({ partitionKey: `pk-${d}`, data: d })))[0]!;

  it('deaggregates as polling does, skipping the sub-records up to a checkpoint inside the aggregate', () => {
    const metrics = new MemoryMetrics();
    const batcher = new EventBatcher('shardId-0', new SubscriptionPosition(new ExtendedSequenceNumber('10', 1)), { outOfRange: 'report' }, undefined, metrics);
    const batch = batcher.toBatch({
      Records: [
        { SequenceNumber: '10', PartitionKey: 'a', Data: aggregate.data, ApproximateArrivalTimestamp: new Date(NOW) },
        { SequenceNumber: '11', PartitionKey: 'plain', Data: Buffer.from('e') },
      ],
      ContinuationSequenceNumber: '11',
      MillisBehindLatest: 0,
    });
    expect(batch.records.map((r) => [r.data.toString(), r.sequenceNumber, r.subSequenceNumber, r.aggregated])).toEqual([
      ['c', '10', 2, true],
      ['d', '10', 3, true],
      ['e', '11', 0, false],
    ]);
    expect(batch.shardEnded).toBe(false);
    expect(batch.lastPosition?.toString()).toBe(new ExtendedSequenceNumber('11', 0).toString());
    expect(metrics.total('kpl_deaggregated_records_total')).toBe(4);
    // An empty event keeps the last position.
    expect(batcher.toBatch({ Records: [], ContinuationSequenceNumber: '12', MillisBehindLatest: 0 }).lastPosition?.toString()).toBe(batch.lastPosition?.toString());
  });

  it('turns the event without a continuation into the shard-end batch, with the child shards', () => {
    const batcher = new EventBatcher('shardId-0', new SubscriptionPosition('TRIM_HORIZON'), { outOfRange: 'report' }, undefined, new MemoryMetrics());
    const end = batcher.toBatch({
      Records: [],
      ContinuationSequenceNumber: undefined,
      MillisBehindLatest: 0,
      ChildShards: [{ ShardId: 'shardId-1', ParentShards: ['shardId-0'], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '100' } }],
    });
    expect(end).toMatchObject({ shardEnded: true, lastPosition: ExtendedSequenceNumber.SHARD_END });
    expect(end.childShards?.map((c) => [c.shardId, c.parentShardIds])).toEqual([['shardId-1', ['shardId-0']]]);
  });

  it('refuses a shard end without children, and children without a shard end, before changing any state', () => {
    const position = new SubscriptionPosition(new ExtendedSequenceNumber('10'));
    const batcher = new EventBatcher('shardId-0', position, { outOfRange: 'report' }, undefined, new MemoryMetrics());
    const record = { SequenceNumber: '11', PartitionKey: 'p', Data: Buffer.from('x') };
    expect(() => batcher.toBatch({ Records: [record], ContinuationSequenceNumber: undefined, MillisBehindLatest: 0 })).toThrow(/no ContinuationSequenceNumber and no ChildShards/);
    expect(() =>
      batcher.toBatch({
        Records: [record],
        ContinuationSequenceNumber: '11',
        MillisBehindLatest: 0,
        ChildShards: [{ ShardId: 's1', ParentShards: ['shardId-0'], HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' } }],
      }),
    ).toThrow(/a ContinuationSequenceNumber and ChildShards/);
    expect(position.continuationSequenceNumber).toBeUndefined();
    expect(position.accepts('10', 0)).toBe(false);
  });
});

describe('the worker options retrieval and fanout', () => {
  const base = { applicationName: 'orders-app', streamName: 'orders', handler: () => undefined };

  it("defaults to polling and resolves fanout options eagerly with retrieval: 'fanout'", () => {
    expect(resolveWorkerOptions(base)).toMatchObject({ retrieval: 'polling', fanout: undefined });
    expect(resolveWorkerOptions({ ...base, retrieval: 'fanout' }).fanout).toMatchObject({ consumerName: 'orders-app', maxBufferedEventsPerShard: 10 });
    expect(resolveWorkerOptions({ ...base, retrieval: 'fanout', fanout: { consumerName: 'other' } }).fanout?.consumerName).toBe('other');
  });

  it.each([
    [{ retrieval: 'push' }, 'worker.retrieval must be one of "polling", "fanout" (got "push")'],
    [{ fanout: {} }, "worker.fanout is set but worker.retrieval is not 'fanout'"],
    [{ retrieval: 'fanout', fanout: { healthCheckTimeoutMs: 1 } }, /^worker\.fanout\.healthCheckTimeoutMs must be an integer between 100/],
    [{ retrievalMode: 'FANOUT' }, 'worker.retrievalMode is not an option; did you mean worker.retrieval?'],
    [
      { streamName: undefined, streams: ['a', 'b'], retrieval: 'fanout', fanout: { consumerArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/a/consumer/c:1' } },
      /^worker\.fanout\.consumerArn names the consumer of one stream/,
    ],
  ])('rejects %j', (input, message) => {
    expect(() => resolveWorkerOptions({ ...base, ...input } as never)).toThrow(message);
  });
});
