import { type KinesisClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-kinesis';
import { AccessDeniedError, createKinesisClient, MemoryMetrics, ResourceNotFoundError, ServiceUnavailableError } from '@shardline/core';
import { createStream, type Emulators, injectFaults, networkError, serviceError, startEmulators, uniqueName, waitFor } from '@shardline/testkit';
import { MemoryPositionStore, Poller, type PollerOptions } from '../src';
import { Collector, expectedByShard, type PutResult, putRecords } from './helpers';

const FIVE_MINUTES_AND_A_BIT = 301_000;

describe('Poller fault handling against kinesalite', () => {
  let emulators: Emulators;
  let kinesis: KinesisClient;
  const realNow = Date.now;
  let offset = 0;

  beforeAll(async () => {
    emulators = await startEmulators({ dynamodb: false });
    // kinesalite runs in this process and checks iterator age with Date.now: shifting it by five
    // minutes expires every iterator issued before the shift.
    Date.now = () => realNow() + offset;
  });
  beforeEach(() => {
    // Each test shifts the clock from the real time: a shift left over from an earlier test makes
    // every response look clock-skew-corrected, which the SDK classifies as worth retrying.
    offset = 0;
    kinesis = createKinesisClient({ env: emulators.env, maxAttempts: 1 });
  });
  afterEach(() => kinesis.destroy());
  afterAll(async () => {
    Date.now = realNow;
    await emulators.stop();
  });

  async function stream(shards: number, records: number): Promise<{ streamName: string; puts: PutResult[] }> {
    const streamName = uniqueName('faults');
    await createStream(kinesis, streamName, shards);
    return { streamName, puts: await putRecords(kinesis, streamName, records) };
  }

  function options(streamName: string, extra: Partial<PollerOptions> = {}): PollerOptions {
    return { client: kinesis, streamName, limit: 100, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0, ...extra };
  }

  function expectExactlyOnceInOrder(got: Collector, puts: readonly PutResult[]): void {
    expect(got.count).toBe(puts.length);
    for (const [shardId, ids] of expectedByShard(puts)) expect(got.byShard.get(shardId)).toEqual(ids);
  }

  async function readAll(poller: Poller, expected: number, onBatch?: () => void): Promise<Collector> {
    const got = new Collector();
    const running = poller.run((batch) => {
      got.add(batch);
      onBatch?.();
    });
    try {
      await waitFor(() => got.count >= expected, 60_000, `${expected} records`);
    } finally {
      await poller.stop();
    }
    await running;
    return got;
  }

  it('replaces iterators that expire while a handler holds a batch (clock shifted 5 min) with no loss and no duplicate', async () => {
    const { streamName, puts } = await stream(2, 1_500);
    const metrics = new MemoryMetrics();
    let batches = 0;
    const got = await readAll(new Poller(options(streamName, { metrics })), puts.length, () => {
      // Every fourth batch "takes" more than five minutes to handle.
      if (++batches % 4 === 0) offset += FIVE_MINUTES_AND_A_BIT;
    });
    expectExactlyOnceInOrder(got, puts);
    expect(metrics.total('poller_expired_iterators_total')).toBeGreaterThanOrEqual(3);
  });

  it('replaces an expired LATEST iterator that saw no record with AT_TIMESTAMP of its issue, so records put meanwhile are kept', async () => {
    const { streamName } = await stream(1, 50);
    let shiftNext = false;
    const faults = injectFaults(kinesis, {
      before: (ctx) => {
        if (ctx.commandName === 'GetRecordsCommand' && shiftNext) {
          shiftNext = false;
          offset += FIVE_MINUTES_AND_A_BIT;
        }
      },
    });
    const metrics = new MemoryMetrics();
    const poller = new Poller(options(streamName, { startingPosition: 'LATEST', metrics }));
    const got = new Collector();
    const running = poller.run((batch) => got.add(batch));
    await waitFor(() => (faults.calls.get('GetRecordsCommand') ?? 0) >= 2, 30_000, 'a GetRecords at LATEST');
    const fresh = await putRecords(kinesis, streamName, 30, 'fresh');
    shiftNext = true;
    await waitFor(() => got.count >= 30, 30_000, 'the records put while the iterator expired');
    await poller.stop();
    await running;
    faults.remove();
    expect(got.ids()).toEqual(fresh.map((p) => p.id));
    expect(metrics.total('poller_expired_iterators_total')).toBe(1);
  });

  it('backs off on ProvisionedThroughputExceeded and transient network errors, then reads on with no loss and no duplicate', async () => {
    const { streamName, puts } = await stream(2, 1_500);
    const faults = injectFaults(kinesis, {
      before: (ctx) => {
        if (ctx.commandName !== 'GetRecordsCommand') return;
        if (ctx.call % 3 === 0) throw new ProvisionedThroughputExceededException({ message: 'Rate exceeded for shard', $metadata: {} });
        if (ctx.call % 7 === 0) throw networkError('ECONNRESET');
        if (ctx.call % 11 === 0) throw serviceError('InternalFailure', 'internal', { fault: 'server' });
      },
    });
    const metrics = new MemoryMetrics();
    const got = await readAll(new Poller(options(streamName, { metrics, throttleBackoff: { baseDelayMs: 20, maxDelayMs: 200 }, retryBackoff: { baseDelayMs: 5, maxDelayMs: 50 } })), puts.length);
    faults.remove();
    expectExactlyOnceInOrder(got, puts);
    expect(metrics.total('poller_throttles_total')).toBeGreaterThan(3);
    expect(metrics.total('poller_retries_total')).toBeGreaterThan(1);
  });

  it('surfaces a transient error that outlasts maxAttempts, typed, after saving what was handled', async () => {
    const { streamName, puts } = await stream(1, 500);
    const store = new MemoryPositionStore();
    const faults = injectFaults(kinesis, {
      before: (ctx) => {
        if (ctx.commandName === 'GetRecordsCommand' && ctx.call > 2) throw networkError('ECONNRESET');
      },
    });
    const got = new Collector();
    const poller = new Poller(options(streamName, { store, maxAttempts: 3, retryBackoff: { baseDelayMs: 1, maxDelayMs: 5 } }));
    await expect(poller.run((batch) => got.add(batch))).rejects.toBeInstanceOf(ServiceUnavailableError);
    faults.remove();
    expect(got.count).toBe(200);
    const saved = (await store.load(streamName)).get(puts[0]!.shardId);
    expect(saved?.sequenceNumber).toBe(puts[199]!.sequenceNumber);
  });

  it('surfaces a non-retryable error typed (AccessDenied) and stops every shard', async () => {
    const { streamName } = await stream(2, 400);
    const faults = injectFaults(kinesis, {
      before: (ctx) => {
        if (ctx.commandName === 'GetRecordsCommand' && ctx.call === 3) throw serviceError('AccessDeniedException', 'not allowed');
      },
    });
    const poller = new Poller(options(streamName));
    const error = await poller
      .run(() => undefined)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    faults.remove();
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect(poller.state).toBe('stopped');
    expect([...poller.shardStates.values()].sort()).toEqual(['failed', 'stopped']);
  });

  it('fails with ResourceNotFoundError for a stream that does not exist', async () => {
    const poller = new Poller(options(uniqueName('missing')));
    await expect(poller.run(() => undefined)).rejects.toBeInstanceOf(ResourceNotFoundError);
  });

  it('stops a shard whose handler throws, keeps its last handled position, and surfaces the error', async () => {
    const { streamName, puts } = await stream(1, 500);
    const store = new MemoryPositionStore();
    const boom = new Error('handler failed');
    let calls = 0;
    const poller = new Poller(options(streamName, { store }));
    await expect(
      poller.run(() => {
        if (++calls === 3) throw boom;
      }),
    ).rejects.toBe(boom);
    // Batches 1 and 2 were handled; batch 3 was not and will be delivered again after a restart.
    expect((await store.load(streamName)).get(puts[0]!.shardId)?.sequenceNumber).toBe(puts[199]!.sequenceNumber);
    const again = new Collector();
    const restart = new Poller(options(streamName, { store }));
    const running = restart.run((b) => again.add(b));
    await waitFor(() => again.count >= 300, 30_000, 'the rest');
    await restart.stop();
    await running;
    expect(again.ids()).toEqual(puts.slice(200).map((p) => p.id));
  });

  it('with onShardError, only the failing shard stops and the others read on', async () => {
    const { streamName, puts } = await stream(2, 600);
    const [bad] = [...expectedByShard(puts).keys()];
    const errors: [unknown, string][] = [];
    const got = new Collector();
    const poller = new Poller(options(streamName, { onShardError: (e, shardId) => errors.push([e, shardId]) }));
    const running = poller.run((batch) => {
      if (batch.shardId === bad) throw new Error('poison');
      got.add(batch);
    });
    const good = puts.filter((p) => p.shardId !== bad);
    await waitFor(() => got.count >= good.length && errors.length === 1, 30_000, 'the good shard');
    await poller.stop();
    await running;
    expect(errors.map(([, s]) => s)).toEqual([bad]);
    expect(got.ids().sort()).toEqual(good.map((p) => p.id).sort());
    expect(poller.shardStates.get(bad!)).toBe('failed');
  });

  it('retries a batch whose handler throws when handlerRetries allows it', async () => {
    const { streamName, puts } = await stream(1, 300);
    let failures = 0;
    const got = new Collector();
    const metrics = new MemoryMetrics();
    const poller = new Poller(options(streamName, { handlerRetries: 2, handlerRetryBackoff: { baseDelayMs: 1, maxDelayMs: 5 }, metrics }));
    const running = poller.run((batch) => {
      if (failures < 2 && batch.records[0]?.data.toString() === 'r-100') {
        failures++;
        throw new Error('flaky');
      }
      got.add(batch);
    });
    await waitFor(() => got.count >= 300, 30_000, 'every record');
    await poller.stop();
    await running;
    expectExactlyOnceInOrder(got, puts);
    expect(metrics.total('poller_handler_errors_total')).toBe(2);
  });
});
