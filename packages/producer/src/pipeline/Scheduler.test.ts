import { ManualClock } from '@shardline/core';
import { pendingRecord, settle, shardQueue } from '../../test/stageKit';
import { ShardRateLimiter } from '../ShardRateLimiter';
import { PutRecordsCollector } from './PutRecordsCollector';
import { type PassSteps, Scheduler } from './Scheduler';
import { ShardQueue } from './ShardQueue';
import { resolveAggregatorOptions } from '@shardline/kpl-aggregation';

function scheduler(options: { maxConnections?: number; ordered?: boolean; maxBatchRecords?: number } = {}) {
  const clock = new ManualClock();
  const collector = new PutRecordsCollector(options.maxBatchRecords ?? 500, 5 * 1024 * 1024);
  const calls: string[][] = [];
  let inFlight = 0;
  const steps: PassSteps = {
    releaseDue: () => Infinity,
    expire: () => undefined,
    dispatch: () => {
      const entries = collector.take();
      if (entries.length === 0) return;
      inFlight++;
      calls.push(entries.flatMap((o) => o.record.userRecords.map((r) => r.partitionKey)));
    },
    get callsInFlight() {
      return inFlight;
    },
    afterFullPass: () => undefined,
    afterPass: () => undefined,
    idle: () => false,
    internalFailure: (error) => {
      throw error;
    },
  };
  const stage = new Scheduler({ options: { maxConnections: options.maxConnections ?? 4, ordered: options.ordered ?? false }, clock, collector, steps });
  const put = (q: ShardQueue, key: string, sendBy: number): void => stage.queueReceived(q, q.add(pendingRecord(key), sendBy));
  return { stage, clock, calls, put, completeOne: () => inFlight-- };
}

describe('Scheduler', () => {
  it('sends an aggregate when its deadline comes, on the timer', async () => {
    const { stage, clock, calls, put } = scheduler();
    const q = shardQueue();
    put(q, 'a', 100);
    put(q, 'b', 100);
    await settle();
    expect(calls).toEqual([]);
    clock.advance(100);
    await settle();
    expect(calls).toEqual([['a', 'b']]);
    stage.stop();
  });

  it('sends everything at once while a flush waits', async () => {
    const { stage, calls, put } = scheduler();
    put(shardQueue('s0'), 'a', 10_000);
    put(shardQueue('s1'), 'b', 10_000);
    stage.flushStarted();
    stage.schedulePass(true);
    await settle();
    expect(calls).toEqual([['a', 'b']]);
    stage.flushDone();
    stage.stop();
  });

  it('takes one Kinesis record per queue per round into a call, so shards share it', async () => {
    const { stage, calls, put } = scheduler({ maxBatchRecords: 4 });
    const a = shardQueue('s0', { maxAggregateRecords: 1 });
    const b = shardQueue('s1', { maxAggregateRecords: 1 });
    for (let i = 0; i < 3; i++) put(a, `a${i}`, 0);
    for (let i = 0; i < 3; i++) put(b, `b${i}`, 0);
    stage.schedulePass(true);
    await settle();
    expect(calls[0]).toEqual(['a0', 'b0', 'a1', 'b1']);
    stage.stop();
  });

  it('keeps at most maxConnections calls in flight', async () => {
    const { stage, calls, put, completeOne } = scheduler({ maxConnections: 1, maxBatchRecords: 1 });
    const q = shardQueue('s0', { maxAggregateRecords: 1 });
    put(q, 'a', 0);
    put(q, 'b', 0);
    stage.schedulePass(true);
    await settle();
    expect(calls).toEqual([['a']]);
    completeOne();
    stage.schedulePass(true);
    await settle();
    expect(calls).toEqual([['a'], ['b']]);
    stage.stop();
  });

  it('ordered: one call at a time per shard', async () => {
    const { stage, calls, put, completeOne } = scheduler({ ordered: true });
    const q = shardQueue('s0', { maxAggregateRecords: 1 });
    put(q, 'a', 0);
    put(q, 'b', 0);
    stage.schedulePass(true);
    await settle();
    expect(calls).toEqual([['a']]);
    q.callSent(1);
    stage.schedulePass(true);
    await settle();
    expect(calls).toEqual([['a']]);
    q.callCompleted();
    completeOne();
    stage.schedulePass(true);
    await settle();
    expect(calls).toEqual([['a'], ['b']]);
    stage.stop();
  });

  it("waits for a shard's rate limiter", async () => {
    const { stage, clock, calls } = scheduler();
    const limiter = new ShardRateLimiter({ recordsPerSecond: 1, bytesPerSecond: 1_000_000, adaptive: false }, 0);
    const q = new ShardQueue('s0', resolveAggregatorOptions({ maxAggregateRecords: 1 }), limiter);
    stage.queueReceived(q, q.add(pendingRecord('a'), 0));
    stage.queueReceived(q, q.add(pendingRecord('b'), 0));
    stage.schedulePass(true);
    await settle();
    expect(calls.flat()).toEqual(['a']);
    clock.advance(1_000);
    await settle();
    expect(calls.flat()).toEqual(['a', 'b']);
    stage.stop();
  });
});
