import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { partitionKeyToHashKey, ThrottledError } from '@shardline/core';
import { ShardMap } from '@shardline/kpl-aggregation';
import { waitFor } from '@shardline/testkit';
import { evenShardMap } from '../test/scriptedPutter';
import { putFailureOf } from './Producer';
import { staticShardMapSource } from './ShardMapSource';
import { PTEE, setup } from '../test/producerSetup';

describe('staticShardMapSource', () => {
  it('fabricates the shards of a freshly created stream from a count', async () => {
    const map = await staticShardMapSource(3).load();
    expect(map.shards.map((s) => s.shardId)).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    expect(map.shardForRecord('a')!.shardId).toBe(evenShardMap(3).shardForRecord('a')!.shardId.replace('shardId-', 'shardId-00000000000'));
  });
});

describe('Producer (defects found by probing: stale maps, whole-request errors, unheard writable failures)', () => {
  it('decides an aggregate that landed on an unknown shard promptly, even when a newer map was loaded while it was in flight', async () => {
    const before = evenShardMap(2);
    const { producer, putter, source } = setup({ shardMapRefreshIntervalMs: 1, recordTtlMs: 4000 }, 2);
    await producer.start();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    putter.before = (call) => (call.call === 1 ? gate : undefined);
    // Two keys of shard 0, both in the lower half its first child will own.
    const s0 = before.shards[0]!;
    const mid = (s0.range.startingHashKey + s0.range.endingHashKey) / 2n;
    const keys = Array.from({ length: 200 }, (_, i) => `low-${i}`)
      .filter((k) => partitionKeyToHashKey(k) <= mid)
      .slice(0, 2);
    const puts = keys.map((k) => producer.put('x', k));
    // The call is held; the periodic refresh loads a second (still unsplit) map meanwhile.
    await waitFor(() => putter.calls === 1 && source.loads >= 2);
    const after = new ShardMap([
      { shardId: 'shardId-0', range: s0.range, open: false },
      { shardId: 'shardId-1', range: before.shards[1]!.range, open: true },
      { shardId: 'shardId-2', range: { startingHashKey: s0.range.startingHashKey, endingHashKey: mid }, open: true, parentShardId: 'shardId-0' },
      { shardId: 'shardId-3', range: { startingHashKey: mid + 1n, endingHashKey: s0.range.endingHashKey }, open: true, parentShardId: 'shardId-0' },
    ]);
    putter.routing = after;
    source.map = after;
    release();
    const results = await Promise.all(puts);
    // Written on the child that owns them, decided after a map refresh (before: both waited for the TTL, then failed).
    expect(results.map((r) => r.shardId)).toEqual(['shardId-2', 'shardId-2']);
    expect(putter.written).toHaveLength(1);
    await producer.close();
  });

  it('gives every record failed by one whole-request error its own error and failure details (failIfThrottled)', async () => {
    const { producer, putter } = setup({ failIfThrottled: true });
    putter.before = () => {
      throw Object.assign(new Error('Rate exceeded'), { name: PTEE, $fault: 'client', $metadata: { httpStatusCode: 400 } });
    };
    const errors = await Promise.all(['k1', 'k2', 'k3'].map((k) => producer.put('x', k).catch((e: unknown) => e)));
    await producer.close();
    for (const e of errors) expect(e).toBeInstanceOf(ThrottledError);
    expect(new Set(errors).size).toBe(3);
    expect(errors.map((e) => putFailureOf(e)!.record.partitionKey)).toEqual(['k1', 'k2', 'k3']);
  });

  it('counts a writable() record failure that nobody hears (onRecordFailure report, no listener)', async () => {
    const { producer, putter, metrics } = setup({ aggregation: false });
    putter.entryFault = (e) => (e.PartitionKey === 'k3' ? { errorCode: 'KMSDisabledException' } : undefined);
    const source = Readable.from(Array.from({ length: 5 }, (_, i) => ({ data: `v${i}`, partitionKey: `k${i}` })));
    await pipeline(source, producer.writable({ onRecordFailure: 'report' }));
    expect(metrics.value('producer_failures_unobserved_total')).toBe(1);
    await producer.close();
  });

  it('counts writable() failures after the first one destroyed the stream, when nobody listens', async () => {
    const { producer, putter, metrics } = setup({ aggregation: false });
    putter.entryFault = () => ({ errorCode: 'KMSDisabledException' });
    const source = Readable.from(Array.from({ length: 3 }, (_, i) => ({ data: `v${i}`, partitionKey: `k${i}` })));
    await expect(pipeline(source, producer.writable())).rejects.toMatchObject({ name: 'AwsServiceError' });
    await producer.flush();
    // The first failure reached the pipeline; the other two reached nobody and are counted.
    expect(metrics.value('producer_failures_unobserved_total')).toBe(2);
    await producer.close();
  });

  it('can still be closed after close() was called with invalid options', async () => {
    const { producer } = setup();
    await expect(producer.close({ timeoutMs: -5 })).rejects.toThrow(/producer\.close\.timeoutMs/);
    await producer.close();
    expect(producer.closed).toBe(true);
  });
});
