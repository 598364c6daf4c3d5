import { pendingRecord, RecordingScheduler, shardQueue } from '../../test/stageKit';
import type { PendingRecord } from '../PendingRecord';
import { PendingRetries, RetryScheduler } from './RetryScheduler';

function failedOnce(r: PendingRecord, times = 1): PendingRecord {
  for (let i = 0; i < times; i++) r.addFailedAttempt(0, 0, 'InternalFailure', '');
  return r;
}

function retryScheduler(ordered: boolean) {
  const routed: { key: string; now: number; sendBy: number }[] = [];
  const scheduler = new RecordingScheduler();
  const stage = new RetryScheduler({ ordered, maxBufferedTimeMs: 100, router: { route: (r, now, sendBy) => routed.push({ key: r.partitionKey, now, sendBy }) }, scheduler });
  return { stage, routed, scheduler };
}

describe('RetryScheduler', () => {
  it('unordered: backs a completion off as one group, as long as its most-tried record asks, then routes it again', () => {
    const { stage, routed, scheduler } = retryScheduler(false);
    const retries = new PendingRetries();
    const q = shardQueue();
    retries.add(q, failedOnce(pendingRecord('a')), 10);
    retries.add(q, failedOnce(pendingRecord('b'), 3), 40);
    retries.add(shardQueue('other'), failedOnce(pendingRecord('c'), 2), 20);
    stage.schedule(retries, 1_000);
    expect(scheduler.wakes).toEqual([1_040]);
    expect(stage.releaseDue(1_039, () => fail('nothing expires'))).toBe(1_040);
    expect(routed).toEqual([]);
    expect(stage.releaseDue(1_040, () => fail('nothing expires'))).toBe(Infinity);
    expect(routed).toEqual([
      { key: 'a', now: 1_040, sendBy: 1_090 },
      { key: 'b', now: 1_040, sendBy: 1_090 },
      { key: 'c', now: 1_040, sendBy: 1_090 },
    ]);
  });

  it('unordered: never holds a group past its earliest expiry, and expires what is due by then', () => {
    const { stage, routed } = retryScheduler(false);
    const retries = new PendingRetries();
    retries.add(shardQueue(), failedOnce(pendingRecord('short', 'x', { ttlMs: 1_020 })), 500);
    retries.add(shardQueue(), failedOnce(pendingRecord('long')), 500);
    stage.schedule(retries, 1_000);
    const expired: string[] = [];
    expect(stage.releaseDue(1_020, (r) => expired.push(r.partitionKey))).toBe(Infinity);
    expect(expired).toEqual(['short']);
    expect(routed.map((r) => r.key)).toEqual(['long']);
  });

  it('ordered: puts the records back at the head of their queue, which holds for the backoff', () => {
    const { stage, scheduler, routed } = retryScheduler(true);
    const q = shardQueue();
    q.add(pendingRecord('behind'), 5_000);
    q.flushOpen();
    const retries = new PendingRetries();
    retries.add(q, failedOnce(pendingRecord('retry')), 30);
    stage.schedule(retries, 1_000);
    expect(q.orderedSendableAt()).toBe(1_030);
    expect(q.peekReady()!.record.userRecords.map((r) => r.partitionKey)).toEqual(['retry']);
    expect(scheduler.activated).toEqual([q]);
    expect(routed).toEqual([]);
  });

  it('ordered: routes afresh the records of a queue whose shard left the map', () => {
    const { stage, routed } = retryScheduler(true);
    const q = shardQueue();
    q.retire();
    const retries = new PendingRetries();
    retries.add(q, failedOnce(pendingRecord('orphan')), 30);
    stage.schedule(retries, 1_000);
    expect(routed).toEqual([{ key: 'orphan', now: 1_000, sendBy: 1_000 }]);
  });

  it('hands back everything backing off (close, internal errors)', () => {
    const { stage } = retryScheduler(false);
    const retries = new PendingRetries();
    retries.add(shardQueue(), failedOnce(pendingRecord('a')), 30);
    stage.schedule(retries, 0);
    expect(stage.takeAll().map((r) => r.partitionKey)).toEqual(['a']);
    expect(stage.releaseDue(1_000, () => fail('nothing left'))).toBe(Infinity);
  });
});
