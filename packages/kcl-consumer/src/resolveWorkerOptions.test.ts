import { createSystemClock, InvalidArgumentError } from '@shardline/core';
import type { RecordHandler, RecordProcessorFactory } from './RecordProcessor';
import { resolveWorkerOptions, type WorkerOptions } from './resolveWorkerOptions';

const handler: RecordHandler = () => undefined;
const processor: RecordProcessorFactory = () => ({ processRecords: () => undefined });
const base = { applicationName: 'orders-app', streamName: 'orders', handler } as const;

/** Resolves `base` with `changes` (an `undefined` value removes a key). */
const resolve = (changes: Record<string, unknown> = {}) => {
  const input: Record<string, unknown> = { ...base, ...changes };
  for (const [k, v] of Object.entries(changes)) if (v === undefined) delete input[k];
  return resolveWorkerOptions(input as unknown as WorkerOptions);
};
const rejects = (changes: Record<string, unknown>, message: string | RegExp): void => {
  expect(() => resolve(changes)).toThrow(InvalidArgumentError);
  expect(() => resolve(changes)).toThrow(message);
};

describe('resolveWorkerOptions', () => {
  it('fills the defaults', () => {
    const o = resolve();
    expect(o).toMatchObject({
      applicationName: 'orders-app',
      tableName: 'orders-app',
      streams: [{ streamName: 'orders', initialPosition: 'LATEST' }],
      multiStream: false,
      processor: undefined,
      handler,
      autoCheckpoint: true,
      processEmptyBatches: false,
      maxRecords: 10_000,
      idleTimeBetweenReadsMs: 1_000,
      readBytesPerSecond: 2_097_152,
      retrieval: 'polling',
      failoverTimeMs: 10_000,
      takerIntervalMs: undefined,
      maxLeasesForWorker: undefined,
      maxLeasesToStealAtOneTime: undefined,
      billingMode: undefined,
      shardSyncIntervalMs: 60_000,
      leaseCleanupDelayMs: 300_000,
      processingTimeoutMs: 300_000,
      maxProcessingAttempts: 5,
      processingRetryBackoff: { baseDelayMs: 500, maxDelayMs: 30_000, multiplier: 2, jitter: 'equal' },
      shutdownTimeoutMs: 30_000,
      kinesisClient: undefined,
      dynamoDbClient: undefined,
      clientOptions: {},
      signal: undefined,
    });
    expect(o.workerId).toMatch(/.-[0-9a-f]{8}$/);
    expect(resolve().workerId).not.toBe(o.workerId);
    for (const method of ['now', 'monotonicNow', 'sleep'] as const) expect(typeof o.clock[method]).toBe('function');
    expect(typeof o.logger.info).toBe('function');
    expect(typeof o.metrics.counter).toBe('function');
  });

  it('keeps what is given', () => {
    const clock = createSystemClock();
    const signal = new AbortController().signal;
    const o = resolve({
      tableName: 'leases',
      workerId: 'pod-1',
      initialPosition: 'TRIM_HORIZON',
      autoCheckpoint: false,
      processEmptyBatches: true,
      maxRecords: 500,
      idleTimeBetweenReadsMs: 250,
      failoverTimeMs: 3_000,
      takerIntervalMs: 1_000,
      maxLeasesForWorker: 8,
      maxLeasesToStealAtOneTime: 2,
      billingMode: { readCapacity: 5, writeCapacity: 5 },
      shardSyncIntervalMs: 100,
      leaseCleanupDelayMs: 0,
      processingTimeoutMs: 10,
      maxProcessingAttempts: 1,
      processingRetryBackoff: { baseDelayMs: 1, maxDelayMs: 2, jitter: 'none' },
      shutdownTimeoutMs: 0,
      clock,
      signal,
    });
    expect(o).toMatchObject({
      tableName: 'leases',
      workerId: 'pod-1',
      streams: [{ streamName: 'orders', initialPosition: 'TRIM_HORIZON' }],
      autoCheckpoint: false,
      processEmptyBatches: true,
      maxRecords: 500,
      idleTimeBetweenReadsMs: 250,
      failoverTimeMs: 3_000,
      takerIntervalMs: 1_000,
      maxLeasesForWorker: 8,
      maxLeasesToStealAtOneTime: 2,
      billingMode: { readCapacity: 5, writeCapacity: 5 },
      shardSyncIntervalMs: 100,
      leaseCleanupDelayMs: 0,
      processingTimeoutMs: 10,
      maxProcessingAttempts: 1,
      processingRetryBackoff: { baseDelayMs: 1, maxDelayMs: 2, multiplier: 2, jitter: 'none' },
      shutdownTimeoutMs: 0,
    });
    expect(o.clock).toBe(clock);
    expect(o.signal).toBe(signal);
  });

  it('autoCheckpoint defaults to true with a handler and false with a processor', () => {
    expect(resolve({ handler: undefined, processor }).autoCheckpoint).toBe(false);
    expect(resolve({ handler: undefined, processor, autoCheckpoint: true }).autoCheckpoint).toBe(true);
    expect(resolve({ handler: undefined, processor }).processor).toBe(processor);
  });

  it('needs exactly one of processor and handler', () => {
    rejects({ handler: undefined }, 'worker needs exactly one of worker.processor and worker.handler');
    rejects({ processor }, 'worker needs exactly one of worker.processor and worker.handler');
    rejects({ handler: 'not a function' }, 'worker.handler must be a function (got "not a function")');
    rejects({ handler: undefined, processor: {} }, 'worker.processor must be a function (got an object)');
  });

  it.each<[Record<string, unknown>, string | RegExp]>([
    [{ applicationName: undefined }, 'worker.applicationName is required'],
    [{ applicationName: '' }, 'worker.applicationName must not be empty'],
    [{ applicationName: 7 }, 'worker.applicationName must be a string (got 7)'],
    [{ tableName: 'ab' }, /^worker\.tableName must match/],
    [{ tableName: 'has space' }, /^worker\.tableName must match/],
    [{ maxRecords: 0 }, 'worker.maxRecords must be an integer between 1 and 10000 (got 0)'],
    [{ maxRecords: 10_001 }, 'worker.maxRecords must be an integer between 1 and 10000 (got 10001)'],
    [{ maxRecords: 1.5 }, 'worker.maxRecords must be an integer (got 1.5)'],
    [{ idleTimeBetweenReadsMs: 199 }, /^worker\.idleTimeBetweenReadsMs must be an integer between 200 and/],
    [{ failoverTimeMs: '10s' }, 'worker.failoverTimeMs must be an integer (got "10s")'],
    [{ failoverTimeMs: 100 }, /^worker\.failoverTimeMs must be an integer between 200 and/],
    [{ readBytesPerSecond: 0 }, 'worker.readBytesPerSecond must be an integer between 1024 and 1073741824 (got 0)'],
    [{ failoverTimeMs: 2_000, takerIntervalMs: 2_001 }, 'worker.takerIntervalMs must be an integer between 10 and 2000 (got 2001)'],
    [{ maxLeasesForWorker: 0 }, 'worker.maxLeasesForWorker must be an integer at least 1 (got 0)'],
    [{ shardSyncIntervalMs: 99 }, /^worker\.shardSyncIntervalMs must be an integer between 100 and/],
    [{ leaseCleanupDelayMs: -1 }, /^worker\.leaseCleanupDelayMs must be an integer between 0 and/],
    [{ processingTimeoutMs: 9 }, /^worker\.processingTimeoutMs must be an integer between 10 and/],
    [{ maxProcessingAttempts: 0 }, 'worker.maxProcessingAttempts must be an integer between 1 and 1000 (got 0)'],
    [{ shutdownTimeoutMs: -5 }, /^worker\.shutdownTimeoutMs must be an integer between 0 and/],
    [{ processingRetryBackoff: { baseDelayMs: 100, maxDelayMs: 50 } }, /^worker\.processingRetryBackoff\.maxDelayMs must be an integer between 100 and/],
    [{ processingRetryBackoff: { base: 1 } }, 'worker.processingRetryBackoff.base is not an option'],
    [{ autoCheckpoint: 'yes' }, 'worker.autoCheckpoint must be a boolean (got "yes")'],
    [{ multiStream: 1 }, 'worker.multiStream must be a boolean (got 1)'],
    [{ retrieval: {} }, 'worker.retrieval must be an object with a createRetriever() method'],
    [{ kinesisClient: {} }, 'worker.kinesisClient must be an object with a send() method'],
    [{ dynamoDbClient: 'client' }, 'worker.dynamoDbClient must be an object with a send() method'],
    [{ signal: {} }, 'worker.signal must be an AbortSignal (got an object)'],
    [{ initialPosition: 'EARLIEST' }, /^worker\.initialPosition must be 'LATEST', 'TRIM_HORIZON' or \{ type: 'AT_TIMESTAMP', timestamp \}/],
    [{ initialPosition: { type: 'AT_TIMESTAMP', timestamp: 'yesterday' } }, 'worker.initialPosition.timestamp must be a Date or epoch milliseconds (got yesterday)'],
    [{ workerId: '' }, 'worker.workerId must not be empty'],
    [{ billingMode: 'ON_DEMAND' }, /^worker\.billingMode must be 'PAY_PER_REQUEST' or \{ readCapacity, writeCapacity \}/],
    [{ maxLeasesToStealAtOneTime: 0 }, /^worker\.maxLeasesToStealAtOneTime must be an integer between 1 and/],
  ])('names the field: %j', (changes, message) => {
    rejects(changes, message);
  });

  it('rejects options that are not objects', () => {
    expect(() => resolveWorkerOptions(undefined as unknown as WorkerOptions)).toThrow('worker options must be an object');
    expect(() => resolveWorkerOptions('app' as unknown as WorkerOptions)).toThrow(InvalidArgumentError);
  });

  it.each([
    ['failoverTimeMillis', 'failoverTimeMs'],
    ['idleTimeBetweenReadsInMillis', 'idleTimeBetweenReadsMs'],
    ['shardSyncIntervalMillis', 'shardSyncIntervalMs'],
    ['callProcessRecordsEvenForEmptyRecordList', 'processEmptyBatches'],
    ['initialPositionInStream', 'initialPosition'],
    ['initialPositionInStreamExtended', 'initialPosition'],
    ['workerIdentifier', 'workerId'],
    ['completedLeaseCleanupIntervalMillis', 'leaseCleanupDelayMs'],
    ['processorFactory', 'processor'],
    ['recordProcessorFactory', 'processor'],
    ['shardRecordProcessorFactory', 'processor'],
    ['timeoutInSeconds', 'processingTimeoutMs'],
    ['shutdownGraceMillis', 'shutdownTimeoutMs'],
  ])('rejects the KCL name %s with a hint: did you mean %s', (kclName, ours) => {
    rejects({ [kclName]: 1 }, `worker.${kclName} is not an option; did you mean worker.${ours}?`);
  });

  it('rejects unknown options, with a hint for a near miss', () => {
    rejects({ colour: 'red' }, /^worker\.colour is not an option$/);
    rejects({ maxrecords: 5 }, 'worker.maxrecords is not an option; did you mean worker.maxRecords?');
    rejects({ stream: 'orders' }, 'worker.stream is not an option; did you mean worker.streams?');
    expect(resolve({ colour: undefined }).applicationName).toBe('orders-app');
  });

  describe('streams', () => {
    it('takes names or configs, each with the worker’s initialPosition unless it has its own', () => {
      const o = resolve({
        streamName: undefined,
        initialPosition: 'TRIM_HORIZON',
        streams: ['a', { streamName: 'b', initialPosition: 'LATEST' }, { streamName: 'c', initialPosition: { type: 'AT_TIMESTAMP', timestamp: 1_700_000_000_000 } }],
      });
      expect(o.streams).toEqual([
        { streamName: 'a', initialPosition: 'TRIM_HORIZON' },
        { streamName: 'b', initialPosition: 'LATEST' },
        { streamName: 'c', initialPosition: { type: 'AT_TIMESTAMP', timestamp: new Date(1_700_000_000_000) } },
      ]);
      expect(o.multiStream).toBe(true);
    });

    it('multi-stream lease keys by default for two or more streams; on request for one', () => {
      expect(resolve({ streamName: undefined, streams: ['a'] }).multiStream).toBe(false);
      expect(resolve({ streamName: undefined, streams: ['a'], multiStream: true }).multiStream).toBe(true);
      expect(resolve({ multiStream: true }).multiStream).toBe(true);
      expect(resolve({ streamName: undefined, streams: ['a', 'b'], multiStream: false }).multiStream).toBe(false);
    });

    it.each<[Record<string, unknown>, string | RegExp]>([
      [{ streamName: undefined }, 'worker.streamName or a non-empty worker.streams is required'],
      [{ streamName: undefined, streams: [] }, 'worker.streamName or a non-empty worker.streams is required'],
      [{ streamName: undefined, streams: 'a' }, 'worker.streamName or a non-empty worker.streams is required'],
      [{ streams: ['a'] }, 'worker.streamName and worker.streams are mutually exclusive'],
      [{ streamName: '' }, 'worker.streamName must not be empty'],
      [{ streamName: undefined, streams: ['a', 'a'] }, 'worker.streams names a stream twice'],
      [{ streamName: undefined, streams: ['a', { streamName: 'a', initialPosition: 'LATEST' }] }, 'worker.streams names a stream twice'],
      [{ streamName: undefined, streams: ['a', { streamName: '' }] }, 'worker.streams[1].streamName must not be empty'],
      [{ streamName: undefined, streams: ['a', {}] }, 'worker.streams[1].streamName is required'],
      [{ streamName: undefined, streams: [{ streamName: 'a', initialPosition: 'OLDEST' }] }, /^worker\.streams\[0\]\.initialPosition must be 'LATEST'/],
      [{ streamName: undefined, streams: [{ streamName: 'a', position: 'LATEST' }] }, /^worker\.streams\[0\]\.position is not an option/],
      [{ streamName: undefined, streams: [null] }, /^worker\.streams\[0\]/],
    ])('rejects %j', (changes, message) => {
      rejects(changes, message);
    });
  });
});
