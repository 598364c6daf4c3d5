import { createNoopLogger, ExtendedSequenceNumber, ManualClock, ServiceUnavailableError } from '@shardline/core';
import { MemoryPositionStore } from './MemoryPositionStore';
import type { PositionStore } from './PositionStore';
import { PositionTracker, type PositionTrackerOptions } from './PositionTracker';

const p = (seq: string, sub = 0) => new ExtendedSequenceNumber(seq, sub);

/** A store that records every save and can be told to fail or to hold a save open. */
class RecordingStore implements PositionStore {
  readonly saves: Map<string, ExtendedSequenceNumber>[] = [];
  failures: Error[] = [];
  gate: Promise<void> | undefined;
  readonly inner = new MemoryPositionStore();
  load(ns: string) {
    return this.inner.load(ns);
  }
  async save(ns: string, positions: ReadonlyMap<string, ExtendedSequenceNumber>): Promise<void> {
    this.saves.push(new Map(positions));
    await this.gate;
    const failure = this.failures.shift();
    if (failure) throw failure;
    await this.inner.save(ns, positions);
  }
  async close() {}
}

function tracker(store: PositionStore, extra: Partial<PositionTrackerOptions> = {}): PositionTracker {
  return new PositionTracker({ store, namespace: 'ns', saveEveryBatches: 1, saveIntervalMs: 0, maxAttempts: 3, clock: new ManualClock(), logger: createNoopLogger(), ...extra });
}

describe('PositionTracker', () => {
  it('saves after every handled batch by default', async () => {
    const store = new RecordingStore();
    const t = tracker(store);
    await t.batchHandled('a', p('1'));
    await t.batchHandled('a', p('2'));
    expect(store.saves).toEqual([new Map([['a', p('1')]]), new Map([['a', p('2')]])]);
    expect(t.saved.get('a')).toEqual(p('2'));
  });

  it('saves every N batches of a shard, and at close', async () => {
    const store = new RecordingStore();
    const t = tracker(store, { saveEveryBatches: 3 });
    for (let i = 1; i <= 4; i++) await t.batchHandled('a', p(String(i)));
    expect(store.saves).toEqual([new Map([['a', p('3')]])]);
    expect(t.handled.get('a')).toEqual(p('4'));
    await t.close();
    expect(store.saves[1]).toEqual(new Map([['a', p('4')]]));
  });

  it('coalesces saves requested while one is in progress into one write', async () => {
    const store = new RecordingStore();
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    const t = tracker(store);
    const first = t.batchHandled('a', p('1'));
    const second = t.batchHandled('b', p('7'));
    const third = t.batchHandled('a', p('2'));
    await Promise.resolve();
    expect(store.saves).toHaveLength(1);
    open();
    await Promise.all([first, second, third]);
    expect(store.saves).toEqual([
      new Map([['a', p('1')]]),
      new Map([
        ['b', p('7')],
        ['a', p('2')],
      ]),
    ]);
  });

  it('retries retryable store errors and keeps positions unsaved when the write fails for good', async () => {
    const store = new RecordingStore();
    const clock = new ManualClock();
    const t = tracker(store, { clock });
    store.failures = [new ServiceUnavailableError('blip')];
    const saving = t.batchHandled('a', p('1'));
    await new Promise((r) => setImmediate(r));
    clock.advance(1_000);
    await saving;
    expect(t.saved.get('a')).toEqual(p('1'));

    const fatal = new Error('disk gone');
    store.failures = [fatal];
    await expect(t.batchHandled('a', p('2'))).rejects.toBe(fatal);
    expect(t.saved.get('a')).toEqual(p('1'));
    await t.flush();
    expect(t.saved.get('a')).toEqual(p('2'));
  });

  it('a newer position handled during a failed write is not replaced by the older one', async () => {
    const store = new RecordingStore();
    let open!: () => void;
    store.gate = new Promise((r) => (open = r));
    store.failures = [new Error('no')];
    const t = tracker(store, { saveEveryBatches: 1, maxAttempts: 1 });
    const failing = t.batchHandled('a', p('1'));
    const later = t.batchHandled('a', p('2'));
    open();
    await expect(failing).rejects.toThrow('no');
    await later;
    expect(t.saved.get('a')).toEqual(p('2'));
  });

  it('saves on a timer when saveIntervalMs is set', async () => {
    const store = new RecordingStore();
    const clock = new ManualClock();
    const t = tracker(store, { clock, saveEveryBatches: 0, saveIntervalMs: 5_000 });
    const errors: unknown[] = [];
    t.startTimer((e) => errors.push(e));
    await t.batchHandled('a', p('1'));
    expect(store.saves).toHaveLength(0);
    clock.advance(5_000);
    await new Promise((r) => setImmediate(r));
    expect(store.saves).toEqual([new Map([['a', p('1')]])]);
    await t.close();
    expect(clock.pendingSleeps).toBe(0);
    expect(errors).toEqual([]);
  });

  it('seeds stored positions as handled and saved', () => {
    const t = tracker(new RecordingStore());
    t.seed(new Map([['a', p('9')]]));
    expect(t.handled.get('a')).toEqual(p('9'));
    expect(t.saved.get('a')).toEqual(p('9'));
  });
});
