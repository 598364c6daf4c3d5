import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ShutdownError } from '@shardline/core';
import { createStream, injectFaults, uniqueName } from '@shardline/testkit';
import { MemoryPositionStore, Poller, type PollerOptions } from '../src';
import { Collector, type PutResult, putRecords, useEmulators, waitFor } from './helpers';

describe('Poller lifecycle', () => {
  const env = useEmulators();
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
    const store = { load: (ns: string) => inner.load(ns), save: async (ns: string, p: Parameters<MemoryPositionStore['save']>[1]) => (saves.push(p.size), inner.save(ns, p)), close: async () => undefined };
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
});
