import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type ExtendedSequenceNumber, ManualClock, TimeoutError } from '@shardline/core';
import { createStream, uniqueName, useEmulators, waitFor } from '@shardline/testkit';
import { MemoryPositionStore, Poller, type PollerOptions } from '../src';
import { Collector, expectedByShard, type PutResult, putRecords } from './helpers';

const STUCK = 'shardId-000000000000';
const OTHER = 'shardId-000000000001';

/** The memory store, with what it holds readable at once (the test polls it). */
class WatchedStore extends MemoryPositionStore {
  readonly saved = new Map<string, ExtendedSequenceNumber>();
  override async save(namespace: string, positions: ReadonlyMap<string, ExtendedSequenceNumber>): Promise<void> {
    await super.save(namespace, positions);
    for (const [shardId, p] of positions) this.saved.set(shardId, p);
  }
}

/** Whether `p` settles within `ms` of real time. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('Poller stop with a handler that never returns', () => {
  const env = useEmulators({ dynamodb: false });
  let kinesis: KinesisClient;
  beforeAll(() => (kinesis = env.kinesis));

  async function stream(): Promise<{ streamName: string; puts: PutResult[] }> {
    const streamName = uniqueName('stuck');
    await createStream(kinesis, streamName, 2);
    return { streamName, puts: await putRecords(kinesis, streamName, 600) };
  }

  /** Runs the poller on a ManualClock that a ticker moves while `moving()` holds. */
  function start(streamName: string, clock: ManualClock, extra: Partial<PollerOptions>): Poller {
    // Positions are saved only at stop (or after 1,000 batches): what stop saves is all there is.
    return new Poller({ client: kinesis, streamName, limit: 100, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0, saveEveryBatches: 1_000, clock, ...extra });
  }

  it('saves every other shard at once, gives the stuck handler handlerGraceMs (default 30 s), then run() rejects with TimeoutError naming its shard', async () => {
    const { streamName, puts } = await stream();
    const byShard = expectedByShard(puts);
    const clock = new ManualClock();
    const store = new WatchedStore();
    const poller = start(streamName, clock, { store });
    const got = new Collector();
    let stuckBatches = 0;
    const running = poller.run((batch) => {
      if (batch.shardId === STUCK && ++stuckBatches === 2) return new Promise(() => undefined);
      got.add(batch);
      return undefined;
    });
    running.catch(() => undefined);
    const ticker = setInterval(() => clock.advance(100), 2);
    try {
      await waitFor(() => stuckBatches === 2 && (got.byShard.get(OTHER)?.length ?? 0) === byShard.get(OTHER)!.length, 30_000, 'the other shard read to its tip');
    } finally {
      clearInterval(ticker);
    }
    const lastOf = (shardId: string, n = byShard.get(shardId)!.length): string => puts.filter((p) => p.shardId === shardId)[n - 1]!.sequenceNumber;

    const stopping = poller.stop();
    // What every shard handled is in the store before any grace period passed.
    await waitFor(() => store.saved.get(OTHER)?.sequenceNumber === lastOf(OTHER), 5_000, 'the other shard saved at stop');
    expect(store.saved.get(STUCK)?.sequenceNumber).toBe(lastOf(STUCK, 100));
    expect(await settlesWithin(stopping, 200)).toBe(false);
    clock.advance(29_999);
    expect(await settlesWithin(stopping, 200)).toBe(false);
    clock.advance(1);
    expect(await settlesWithin(stopping, 5_000)).toBe(true);

    const error = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain(STUCK);
    expect((error as Error).message).not.toContain(OTHER);
    expect((error as Error).message).toContain('handlerGraceMs');
    expect(poller.state).toBe('stopped');
    expect(poller.shardStates.get(STUCK)).toBe('failed');
    // The stuck batch was not handled: a restart delivers it again.
    expect(store.saved.get(STUCK)?.sequenceNumber).toBe(lastOf(STUCK, 100));
  });

  it('releases a handler awaiting stop() while another handler is stuck, and saves its batch', async () => {
    const { streamName, puts } = await stream();
    const clock = new ManualClock();
    const store = new WatchedStore();
    const poller = start(streamName, clock, { store, handlerGraceMs: 5_000 });
    let stuckBatches = 0;
    let otherBatches = 0;
    let stopReturned = false;
    let callStop!: () => void;
    const stopCalled = new Promise<void>((resolve) => (callStop = resolve));
    const running = poller.run(async (batch) => {
      if (batch.shardId === STUCK) {
        if (++stuckBatches === 2) await new Promise(() => undefined);
        return;
      }
      if (++otherBatches === 2) {
        await stopCalled;
        await poller.stop();
        stopReturned = true;
      }
    });
    running.catch(() => undefined);
    const ticker = setInterval(() => clock.advance(100), 2);
    try {
      await waitFor(() => stuckBatches === 2 && otherBatches === 2, 30_000, 'both handlers in place');
    } finally {
      clearInterval(ticker);
    }
    // The other handler calls stop() now, with the clock standing still.
    callStop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopReturned).toBe(false);
    clock.advance(4_999);
    expect(await settlesWithin(running, 200)).toBe(false);
    clock.advance(1);
    expect(await settlesWithin(running, 5_000)).toBe(true);
    expect(stopReturned).toBe(true);
    const error = await running.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain(STUCK);
    const lastOf = (shardId: string, n: number): string => puts.filter((p) => p.shardId === shardId)[n - 1]!.sequenceNumber;
    expect(store.saved.get(OTHER)?.sequenceNumber).toBe(lastOf(OTHER, 200));
    expect(store.saved.get(STUCK)?.sequenceNumber).toBe(lastOf(STUCK, 100));
  });
});
