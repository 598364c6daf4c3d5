import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { MAX_HASH_KEY, MemoryMetrics, partitionKeyToHashKey, ShutdownError } from '@shardline/core';
import { Aggregator, type UserRecord } from '@shardline/kpl-aggregation';
import { createStream, injectFaults, uniqueName, useEmulators, waitFor } from '@shardline/testkit';
import { MemoryPositionStore, Poller, type PollerOptions } from '../src';
import { Collector, type PutResult, putRecords } from './helpers';

describe('Poller lifecycle', () => {
  const env = useEmulators({ dynamodb: false });
  let kinesis: KinesisClient;
  beforeAll(() => (kinesis = env.kinesis));

  async function stream(records: number): Promise<{ streamName: string; puts: PutResult[]; shardId: string }> {
    const streamName = uniqueName('life');
    await createStream(kinesis, streamName, 1);
    const puts = await putRecords(kinesis, streamName, records);
    return { streamName, puts, shardId: 'shardId-000000000000' };
  }
  const options = (streamName: string, extra: Partial<PollerOptions> = {}): PollerOptions => ({
    client: kinesis,
    streamName,
    limit: 100,
    idleTimeBetweenReadsMs: 200,
    shardSyncIntervalMs: 0,
    ...extra,
  });

  it('await stop() inside the handler does not deadlock, and that batch is saved before run() resolves', async () => {
    const { streamName, puts, shardId } = await stream(300);
    const store = new MemoryPositionStore();
    const poller = new Poller(options(streamName, { store }));
    let batches = 0;
    await poller.run(async () => {
      if (++batches === 2) await poller.stop();
    });
    expect(batches).toBe(2);
    expect((await store.load(streamName)).get(shardId)?.sequenceNumber).toBe(puts[199]!.sequenceNumber);
  });

  it('handlers of two shards both awaiting stop() at the same time do not wait for each other', async () => {
    const streamName = uniqueName('life');
    await createStream(kinesis, streamName, 2);
    await putRecords(kinesis, streamName, 200);
    const store = new MemoryPositionStore();
    const poller = new Poller(options(streamName, { store }));
    const inHandler = new Set<string>();
    let releaseBoth!: () => void;
    const bothIn = new Promise<void>((resolve) => (releaseBoth = resolve));
    const finished = poller.run(async (batch) => {
      inHandler.add(batch.shardId);
      if (inHandler.size === 2) releaseBoth();
      await bothIn;
      await poller.stop();
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([finished.then(() => 'stopped'), new Promise((resolve) => (timer = setTimeout(resolve, 20_000, 'deadlocked')))]);
    clearTimeout(timer);
    expect(outcome).toBe('stopped');
    const saved = await store.load(streamName);
    expect([...saved.keys()].sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
  });

  it('leaving the iterator loop with break stops the poller without counting the batch in hand as handled', async () => {
    const { streamName, puts, shardId } = await stream(300);
    const store = new MemoryPositionStore();
    const poller = new Poller(options(streamName, { store }));
    let batches = 0;
    for await (const batch of poller) {
      expect(batch.records).toHaveLength(100);
      if (++batches === 2) break;
    }
    expect(poller.state).toBe('stopped');
    expect((await store.load(streamName)).get(shardId)?.sequenceNumber).toBe(puts[99]!.sequenceNumber);
  });

  it('stop() from outside while the loop body holds a batch: the loop ends after saving it', async () => {
    const { streamName, puts, shardId } = await stream(300);
    const store = new MemoryPositionStore();
    const poller = new Poller(options(streamName, { store }));
    const seen: number[] = [];
    let stopped: Promise<void> | undefined;
    for await (const batch of poller) {
      seen.push(batch.records.length);
      if (seen.length === 1) {
        stopped = poller.stop();
        await stopped;
      }
    }
    expect(seen).toEqual([100]);
    expect((await store.load(streamName)).get(shardId)?.sequenceNumber).toBe(puts[99]!.sequenceNumber);
  });

  it('an AbortSignal stops the poller; a stopped poller cannot run again', async () => {
    const { streamName } = await stream(100);
    const controller = new AbortController();
    const got = new Collector();
    const poller = new Poller(options(streamName, { signal: controller.signal }));
    const running = poller.run((b) => got.add(b));
    await waitFor(() => got.count === 100, 30_000, 'the records');
    controller.abort();
    await running;
    expect(poller.state).toBe('stopped');
    expect(() => poller.run(() => undefined)).toThrow(ShutdownError);
    const aborted = new Poller(options(streamName, { signal: AbortSignal.abort() }));
    await aborted.run(() => undefined);
    expect(aborted.state).toBe('stopped');
  });

  it('LATEST skips what is already there and delivers what comes after', async () => {
    const { streamName } = await stream(50);
    const faults = injectFaults(kinesis, {});
    const got = new Collector();
    const poller = new Poller(options(streamName, { startingPosition: 'LATEST' }));
    const running = poller.run((b) => got.add(b));
    await waitFor(() => (faults.calls.get('GetRecordsCommand') ?? 0) >= 1, 10_000, 'a first read');
    faults.remove();
    const later = await putRecords(kinesis, streamName, 20, 'later');
    await waitFor(() => got.count >= 20, 30_000, 'new records');
    await poller.stop();
    await running;
    expect(got.ids()).toEqual(later.map((p) => p.id));
  });

  it('saves on a timer only, when configured so, and at stop', async () => {
    const { streamName, puts, shardId } = await stream(300);
    const saves: number[] = [];
    const inner = new MemoryPositionStore();
    const store = {
      load: (ns: string) => inner.load(ns),
      save: async (ns: string, p: Parameters<MemoryPositionStore['save']>[1]) => (saves.push(p.size), inner.save(ns, p)),
      close: async () => undefined,
    };
    const got = new Collector();
    const poller = new Poller(options(streamName, { store, saveEveryBatches: 0, saveIntervalMs: 60_000 }));
    const running = poller.run((b) => got.add(b));
    await waitFor(() => got.count >= 300, 30_000, 'the records');
    expect(saves).toEqual([]);
    await poller.stop();
    await running;
    expect(saves).toEqual([1]);
    expect((await inner.load(streamName)).get(shardId)?.sequenceNumber).toBe(puts[299]!.sequenceNumber);
  });

  it('two pollers on one store with different app names keep separate positions', async () => {
    const { streamName, puts, shardId } = await stream(200);
    const store = new MemoryPositionStore();
    for (const appName of ['a', 'b']) {
      const got = new Collector();
      const poller = new Poller(options(streamName, { store, appName }));
      const running = poller.run((b) => got.add(b));
      await waitFor(() => got.count >= 200, 30_000, 'the records');
      await poller.stop();
      await running;
    }
    expect((await store.load(`a/${streamName}`)).get(shardId)?.sequenceNumber).toBe(puts[199]!.sequenceNumber);
    expect((await store.load(`b/${streamName}`)).get(shardId)?.sequenceNumber).toBe(puts[199]!.sequenceNumber);
  });

  it('finds a shard that ListShards did not report at first with the periodic shard sync, and reads it from TRIM_HORIZON', async () => {
    const streamName = uniqueName('life');
    await createStream(kinesis, streamName, 2);
    const puts = await putRecords(kinesis, streamName, 400);
    const hidden = 'shardId-000000000001';
    const faults = injectFaults(kinesis, {
      // The first answer lags behind the stream (as after an UpdateShardCount): one shard is missing.
      after: (ctx, output) =>
        ctx.commandName === 'ListShardsCommand' && ctx.call === 1 ? { ...output, Shards: (output.Shards as { ShardId: string }[]).filter((s) => s.ShardId !== hidden) } : undefined,
    });
    const got = new Collector();
    const poller = new Poller(options(streamName, { shardSyncIntervalMs: 300 }));
    const running = poller.run((b) => got.add(b));
    await waitFor(() => got.count >= puts.length, 30_000, 'both shards');
    await poller.stop();
    await running;
    faults.remove();
    expect(faults.calls.get('ListShardsCommand')).toBeGreaterThanOrEqual(2);
    expect(got.byShard.get(hidden)).toEqual(puts.filter((p) => p.shardId === hidden).map((p) => p.id));
  });

  it('checks aggregated sub-records against the shard hash-key range when asked to', async () => {
    const streamName = uniqueName('life');
    await createStream(kinesis, streamName, 2);
    // An aggregate routed to the lower shard by its explicit hash key, holding records whose keys hash anywhere.
    const aggregator = new Aggregator<UserRecord>();
    aggregator.add({ partitionKey: 'first', explicitHashKey: '1', data: Buffer.from('in-range') });
    for (let i = 0; i < 20; i++) aggregator.add({ partitionKey: `pk-${i}`, data: Buffer.from(`any-${i}`) });
    const k = aggregator.flush()!;
    expect(BigInt(k.explicitHashKey!)).toBeLessThan(MAX_HASH_KEY / 2n);
    await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: [{ PartitionKey: k.partitionKey, ExplicitHashKey: k.explicitHashKey, Data: k.data }] }));
    const read = async (outOfRange: 'report' | 'drop-aggregate') => {
      const got = new Collector();
      const metrics = new MemoryMetrics();
      const poller = new Poller(options(streamName, { deaggregate: { outOfRange }, metrics }));
      const running = poller.run((b) => got.add(b));
      // The aggregate was fetched and judged once the out-of-range counter moved (and, when kept, delivered).
      await waitFor(() => metrics.total('kpl_out_of_range_total') === 1 && (outOfRange === 'drop-aggregate' || got.count === 21), 30_000, 'the aggregate');
      await poller.stop();
      await running;
      return got.batches.flatMap((b) => b.records);
    };
    const reported = await read('report');
    expect(reported).toHaveLength(21);
    expect(reported.some((r) => r.outOfShardRange)).toBe(true);
    expect(reported[0]!.outOfShardRange).toBeUndefined();
    expect(await read('drop-aggregate')).toHaveLength(0);
  });

  it('never range-checks a plain record: one put with an explicit hash key is in its shard whatever its partition key hashes to', async () => {
    const streamName = uniqueName('life');
    await createStream(kinesis, streamName, 2);
    // 'pk-0' hashes to the upper half; the explicit hash key puts the record in the lower shard.
    expect(partitionKeyToHashKey('pk-0')).toBeGreaterThan(MAX_HASH_KEY / 2n);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: [{ PartitionKey: 'pk-0', ExplicitHashKey: '1', Data: Buffer.from('placed by EHK') }] }));
    expect(out.Records![0]!.ShardId).toBe('shardId-000000000000');
    for (const outOfRange of ['report', 'drop-aggregate'] as const) {
      const got = new Collector();
      const metrics = new MemoryMetrics();
      const poller = new Poller(options(streamName, { deaggregate: { outOfRange }, metrics }));
      const running = poller.run((b) => got.add(b));
      await waitFor(() => got.count === 1, 30_000, 'the plain record');
      await poller.stop();
      await running;
      const [record] = got.batches.flatMap((b) => b.records);
      expect(record!.outOfShardRange).toBeUndefined();
      expect(metrics.total('kpl_out_of_range_total')).toBe(0);
    }
  });

  it('stop() during the start (ListShards failing and being retried) resolves cleanly', async () => {
    const { streamName } = await stream(10);
    const faults = injectFaults(kinesis, {
      before: (ctx) => {
        if (ctx.commandName === 'ListShardsCommand') throw Object.assign(new Error('busy'), { name: 'LimitExceededException', $metadata: {} });
      },
    });
    const poller = new Poller(options(streamName, { retryBackoff: { baseDelayMs: 5_000, maxDelayMs: 5_000, jitter: 'none' } }));
    const running = poller.run(() => undefined);
    await waitFor(() => (faults.calls.get('ListShardsCommand') ?? 0) >= 1, 10_000, 'ListShards');
    await poller.stop();
    await expect(running).resolves.toBeUndefined();
    faults.remove();
    expect(poller.state).toBe('stopped');
  });
});
