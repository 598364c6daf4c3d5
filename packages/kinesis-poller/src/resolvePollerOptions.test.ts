import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber, InvalidArgumentError, ManualClock } from '@shardline/core';
import { MemoryPositionStore } from './MemoryPositionStore';
import { resolvePollerOptions } from './resolvePollerOptions';
import { resolveShardReaderOptions } from './resolveShardReaderOptions';

describe('resolvePollerOptions', () => {
  it('fills the documented defaults', () => {
    const o = resolvePollerOptions({ streamName: 'orders' });
    expect(o).toMatchObject({
      streamName: 'orders',
      streamLabel: 'orders',
      limit: 10_000,
      idleTimeBetweenReadsMs: 1_000,
      maxPrefetchBatches: 0,
      deaggregate: {},
      deliverEmptyBatches: false,
      // A long-running consumer rides out an outage unless told otherwise.
      maxAttempts: Infinity,
      requestTimeoutMs: 30_000,
      followChildShards: true,
      namespace: 'orders',
      saveEveryBatches: 1,
      saveIntervalMs: 0,
      shardSyncIntervalMs: 60_000,
      handlerRetries: 0,
      handlerGraceMs: 30_000,
      throttleBackoff: { baseDelayMs: 500, maxDelayMs: 10_000, jitter: 'equal' },
      readBytesPerSecond: 2_097_152,
    });
    expect(resolvePollerOptions({ streamName: 's', readBytesPerSecond: 'unlimited' }).readBytesPerSecond).toBe(Infinity);
    expect(o.store).toBeInstanceOf(MemoryPositionStore);
    expect(o.startingPosition('shardId-000000000000')).toBe('TRIM_HORIZON');
  });

  it('namespaces positions by application and stream, also for an ARN', () => {
    expect(resolvePollerOptions({ streamName: 'orders', appName: 'billing' }).namespace).toBe('billing/orders');
    expect(resolvePollerOptions({ streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/orders' }).namespace).toBe('orders');
  });

  it.each([
    [{ streamName: 's', limit: 0 }, 'poller.limit must be an integer between 1 and 10000 (got 0)'],
    [{ streamName: 's', limit: 10_001 }, 'poller.limit must be an integer between 1 and 10000 (got 10001)'],
    [{ streamName: 's', idleTimeBetweenReadsMs: 100 }, 'poller.idleTimeBetweenReadsMs must be an integer between 200 and 3600000 (got 100)'],
    [{ streamName: 's', maxPrefetchBatches: -1 }, 'poller.maxPrefetchBatches must be an integer between 0 and 100 (got -1)'],
    [{ streamName: 's', saveEveryBatches: 0 }, 'poller.saveEveryBatches is 0 and poller.saveIntervalMs is 0: positions would be saved only at stop; set one of them'],
    [{ streamName: 's', interval: 1000 }, 'poller.interval is not an option; did you mean poller.idleTimeBetweenReadsMs?'],
    [{ streamName: 's', maxRecords: 5 }, 'poller.maxRecords is not an option; did you mean poller.limit?'],
    [{}, 'poller needs exactly one of streamName and streamArn'],
    [{ streamName: 's', streamArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' }, 'poller needs exactly one of streamName and streamArn'],
    [{ streamArn: 'orders' }, 'poller.streamArn must be a Kinesis stream ARN (got "orders")'],
    [{ streamName: 's', store: {} }, 'poller.store must be a PositionStore (load, save and close methods)'],
    [{ streamName: 's', shardIds: [] }, 'poller.shardIds must be a non-empty array of shard ids'],
    [{ streamName: 's', deaggregate: 'yes' }, 'poller.deaggregate must be a boolean or deaggregation options (got yes)'],
    [{ streamName: 's', client: {} }, 'poller.client must be a KinesisClient (got object)'],
    [{ streamName: 's', aws: { endpoint: 'ftp://x' } }, 'poller.aws.endpoint must use http or https (got "ftp://x")'],
    [{ streamName: 's', appName: 'a/b' }, 'poller.appName must match /^[^/]*$/ (got "a/b")'],
    [{ streamName: 's', clock: { now: () => 0 } }, 'poller.clock must be an object with now, monotonicNow, sleep methods'],
    [{ streamName: 's', throttleBackoff: { baseDelayMs: -1 } }, 'poller.throttleBackoff.baseDelayMs must be an integer between 0 and 3600000 (got -1)'],
    [{ streamName: 's', maxAttempts: 0 }, 'poller.maxAttempts must be an integer between 1 and 100 (got 0)'],
    [{ streamName: 's', readBytesPerSecond: 100 }, 'poller.readBytesPerSecond must be an integer between 1024 and 1073741824 (got 100)'],
    [{ streamName: 's', readBytesPerSecond: 'fast' }, `poller.readBytesPerSecond must be an integer between 1024 and 1073741824, or 'unlimited' (got "fast")`],
    [{ streamName: 's', maxAttempts: 'forever' }, `poller.maxAttempts must be an integer between 1 and 100, or 'unlimited' (got "forever")`],
    [{ streamName: 's', onRetry: 'log' }, 'poller.onRetry must be a function (got "log")'],
    [{ streamName: 's', handlerGraceMs: -1 }, 'poller.handlerGraceMs must be an integer between 0 and 3600000 (got -1)'],
  ])('rejects %j', (input, message) => {
    let error: unknown;
    try {
      resolvePollerOptions(input as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe(message);
  });

  it('accepts a sequence-number start only for one shard, or per shard from a function', () => {
    const at = { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: '123' } as const;
    expect(() => resolvePollerOptions({ streamName: 's', startingPosition: at })).toThrow(/a sequence number belongs to one shard/);
    expect(resolvePollerOptions({ streamName: 's', startingPosition: at, shardIds: ['shardId-000000000001'] }).startingPosition('x')).toBe(at);
    const perShard = (id: string) => (id.endsWith('1') ? new ExtendedSequenceNumber('5') : 'LATEST');
    const o = resolvePollerOptions({ streamName: 's', startingPosition: perShard });
    expect(o.startingPosition('shardId-000000000001')).toEqual(new ExtendedSequenceNumber('5'));
    expect(o.startingPosition('shardId-000000000002')).toBe('LATEST');
  });

  it('takes maxAttempts as a number or unlimited', () => {
    expect(resolvePollerOptions({ streamName: 's', maxAttempts: 3 }).maxAttempts).toBe(3);
    expect(resolvePollerOptions({ streamName: 's', maxAttempts: 'unlimited' }).maxAttempts).toBe(Infinity);
  });

  it('keeps injected seams', () => {
    const clock = new ManualClock();
    const client = new KinesisClient({ region: 'us-east-1' });
    const o = resolvePollerOptions({ streamName: 's', clock, client });
    expect(o.clock).toBe(clock);
    expect(o.client).toBe(client);
    client.destroy();
  });
});

describe('resolveShardReaderOptions', () => {
  const client = { send: async () => ({}) } as unknown as KinesisClient;
  it('defaults the start to TRIM_HORIZON and names its fields', () => {
    expect(resolveShardReaderOptions({ client, streamName: 's', shardId: 'shardId-000000000000' }).startingPosition).toEqual({ type: 'TRIM_HORIZON' });
    // A reader surfaces a lasting outage to its owner (the KCL consumer restarts it); it may be told to ride it out.
    expect(resolveShardReaderOptions({ client, streamName: 's', shardId: 'x' }).maxAttempts).toBe(10);
    expect(resolveShardReaderOptions({ client, streamName: 's', shardId: 'x', maxAttempts: 'unlimited' }).maxAttempts).toBe(Infinity);
    expect(() => resolveShardReaderOptions({ client, streamName: 's' } as never)).toThrow('shardReader.shardId is required');
    expect(() => resolveShardReaderOptions({ client, streamName: 's', shardId: 'x', limit: 1.5 })).toThrow('shardReader.limit must be an integer (got 1.5)');
    expect(() => resolveShardReaderOptions({ client, streamName: 's', shardId: 'x', signal: {} as AbortSignal })).toThrow('shardReader.signal must be an AbortSignal (got an object)');
  });
});
