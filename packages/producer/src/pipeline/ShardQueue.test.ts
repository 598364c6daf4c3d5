import { pendingRecord, shardQueue } from '../../test/stageKit';

describe('ShardQueue', () => {
  it('aggregates records into the open aggregate until flushed, then hands out Kinesis records in order', () => {
    const q = shardQueue();
    expect(q.add(pendingRecord('a'), 100)).toBe(false);
    expect(q.add(pendingRecord('b'), 50)).toBe(false);
    expect(q.aggregateDeadline).toBe(50);
    expect(q.peekReady()).toBeUndefined();
    expect(q.flushOpen()).toBe(true);
    const ready = q.shiftReady()!;
    expect(ready.record.userRecords.map((r) => r.partitionKey)).toEqual(['a', 'b']);
    expect(ready.deadline).toBe(50);
    expect(ready.queue).toBe(q);
    expect(q.empty).toBe(true);
    expect(q.flushOpen()).toBe(false);
  });

  it('finishes an aggregate as soon as it is full', () => {
    const q = shardQueue('s', { maxAggregateRecords: 2 });
    q.add(pendingRecord('a'), 100);
    expect(q.add(pendingRecord('b'), 100)).toBe(true);
    expect(q.peekReady()?.record.userRecords).toHaveLength(2);
  });

  it('counts a call in flight once however many of its records came from the queue', () => {
    const q = shardQueue();
    expect(q.hasCallsInFlight).toBe(false);
    expect(q.callSent(1)).toBe(true);
    expect(q.callSent(1)).toBe(false);
    expect(q.callSent(2)).toBe(true);
    q.callCompleted();
    expect(q.hasCallsInFlight).toBe(true);
    q.callCompleted();
    expect(q.hasCallsInFlight).toBe(false);
  });

  it('ordered mode: says when its next record may be collected', () => {
    const q = shardQueue();
    expect(q.orderedSendableAt()).toBe(0);
    q.joinedCollection();
    expect(q.orderedSendableAt()).toBe(Infinity);
    q.callSent(1);
    expect(q.orderedSendableAt()).toBe(Infinity);
    q.callCompleted();
    q.holdUntil(250);
    expect(q.orderedSendableAt()).toBe(250);
    q.waitForNewMap();
    expect(q.orderedSendableAt()).toBe(Infinity);
    q.mapInstalled();
    expect(q.orderedSendableAt()).toBe(250);
  });

  it('puts retried records ahead of what it holds, keeping the held aggregates', () => {
    const q = shardQueue();
    q.add(pendingRecord('later'), 100);
    q.flushOpen();
    q.requeueFront([pendingRecord('retry-1'), pendingRecord('retry-2')], 5);
    expect(q.shiftReady()!.record.userRecords.map((r) => r.partitionKey)).toEqual(['retry-1', 'retry-2']);
    expect(q.shiftReady()!.record.userRecords.map((r) => r.partitionKey)).toEqual(['later']);
  });

  it('expires records whose TTL ran out and rebuilds only the aggregate that held them', () => {
    const q = shardQueue();
    q.add(pendingRecord('old', 'x', { ttlMs: 10 }), 100);
    q.add(pendingRecord('young', 'x', { ttlMs: 1_000 }), 100);
    q.flushOpen();
    q.add(pendingRecord('open', 'x', { ttlMs: 1_000 }), 100);
    expect(q.minExpiry).toBe(10);
    const expired: string[] = [];
    q.expire(10, (r) => expired.push(r.partitionKey));
    expect(expired).toEqual(['old']);
    expect(q.minExpiry).toBe(1_000);
    expect(q.shiftReady()!.record.userRecords.map((r) => r.partitionKey)).toEqual(['young']);
    expect(q.takeAll().map((r) => r.partitionKey)).toEqual(['open']);
  });

  it('hands out everything it holds, oldest first, when taken back', () => {
    const q = shardQueue();
    q.add(pendingRecord('a'), 100);
    q.flushOpen();
    q.add(pendingRecord('b'), 100);
    expect(q.takeAll().map((r) => r.partitionKey)).toEqual(['a', 'b']);
    expect(q.empty).toBe(true);
    expect(q.aggregateDeadline).toBe(Infinity);
  });

  it('is listed once, and remembers that its shard left the map', () => {
    const q = shardQueue();
    expect(q.list()).toBe(true);
    expect(q.list()).toBe(false);
    q.unlist();
    expect(q.list()).toBe(true);
    expect(q.retired).toBe(false);
    q.retire();
    expect(q.retired).toBe(true);
  });
});
