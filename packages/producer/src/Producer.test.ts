import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import {
  AccessDeniedError,
  InvalidExplicitHashKeyError,
  InvalidPartitionKeyError,
  ManualClock,
  partitionKeyToHashKey,
  RecordTooLargeError,
  ShutdownError,
  ThrottledError,
  TimeoutError,
} from '@shardline/core';
import { ShardMap } from '@shardline/kpl-aggregation';
import { waitFor } from '@shardline/testkit';
import { evenShardMap } from '../test/scriptedPutter';
import { BufferFullError } from './BufferFullError';
import { putFailureOf } from './Producer';
import type { PutFailure } from './PutResult';
import { RecordExpiredError } from './RecordExpiredError';
import { PTEE, readBack, setup, turns } from '../test/producerSetup';

describe('Producer', () => {
  it('aggregates per shard and resolves each put with shard, sequence and sub-sequence numbers', async () => {
    const { producer, putter, map } = setup();
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => producer.put(`payload-${i}`, `key-${i}`)));
    await producer.close();
    expect(putter.written.length).toBeLessThan(40);
    results.forEach((r, i) => {
      expect(r.shardId).toBe(map.shardForRecord(`key-${i}`)!.shardId);
      expect(r.aggregated).toBe(true);
      expect(r.attempts).toHaveLength(1);
      expect(r.attempts[0]!.successful).toBe(true);
    });
    const back = readBack(putter);
    expect(back).toHaveLength(1000);
    for (const r of results) {
      const u = back.find((b) => b.sequenceNumber === r.sequenceNumber && b.subSequenceNumber === r.subSequenceNumber)!;
      expect(u.shardId).toBe(r.shardId);
    }
    expect(new Set(back.map((b) => b.partitionKey)).size).toBe(1000);
    expect(JSON.parse(JSON.stringify(results[0]))).toMatchObject({ shardId: results[0]!.shardId, attempts: [{ successful: true }] });
  });

  it('rejects invalid records at once with typed errors', async () => {
    const { producer, putter } = setup({ maxRecordBytes: 1024 });
    await expect(producer.put('x', '')).rejects.toBeInstanceOf(InvalidPartitionKeyError);
    await expect(producer.put('x', 'k'.repeat(257))).rejects.toBeInstanceOf(InvalidPartitionKeyError);
    await expect(producer.put('x', 'k', { explicitHashKey: '-1' })).rejects.toBeInstanceOf(InvalidExplicitHashKeyError);
    await expect(producer.put('x', 'k', { explicitHashKey: (1n << 128n).toString() })).rejects.toBeInstanceOf(InvalidExplicitHashKeyError);
    await expect(producer.put(Buffer.alloc(1024), 'k')).rejects.toBeInstanceOf(RecordTooLargeError);
    await expect(producer.send(Buffer.alloc(1024), 'k')).rejects.toBeInstanceOf(RecordTooLargeError);
    await expect(producer.put(42 as unknown as string, 'k')).rejects.toThrow(/data must be/);
    expect(producer.outstanding).toBe(0);
    await producer.close();
    await expect(producer.put('x', 'k')).rejects.toBeInstanceOf(ShutdownError);
    expect(putter.calls).toBe(0);
  });

  it('routes by explicit hash key', async () => {
    const { producer, map } = setup();
    const ehk = map.shards[2]!.range.startingHashKey.toString();
    const r = await producer.put('x', 'any-key', { explicitHashKey: ehk });
    expect(r.shardId).toBe(map.shards[2]!.shardId);
    await producer.close();
  });

  it('retries throttled and internal failures with backoff and cuts the throttled shard rate', async () => {
    const { producer, putter, metrics } = setup();
    const failures = new Map<string, number>();
    putter.entryFault = (entry) => {
      const n = failures.get(entry.PartitionKey + entry.ExplicitHashKey) ?? 0;
      if (n >= 2) return undefined;
      failures.set(entry.PartitionKey + entry.ExplicitHashKey, n + 1);
      return n === 0 ? { errorCode: PTEE, errorMessage: 'Rate exceeded' } : { errorCode: 'InternalFailure', errorMessage: 'Internal service failure' };
    };
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => producer.put('d', `k${i}`)));
    await producer.close();
    for (const r of results) {
      expect(r.attempts.length).toBeGreaterThanOrEqual(3);
      expect(r.attempts.map((a) => a.errorCode).slice(0, 2)).toEqual([PTEE, 'InternalFailure']);
      expect(r.attempts.at(-1)!.successful).toBe(true);
    }
    expect(metrics.total('producer_throttles_total')).toBeGreaterThan(0);
    expect(metrics.total('producer_rate_limit_cuts_total')).toBeGreaterThan(0);
    expect(metrics.value('producer_records_total', { outcome: 'failed' })).toBe(200);
    expect(metrics.value('producer_records_total', { outcome: 'recovered' })).toBe(200);
    expect(metrics.value('producer_user_records_put_total')).toBe(200);
    expect(new Set(readBack(putter).map((u) => u.partitionKey)).size).toBe(200);
  });

  it('fails non-retryable errors fast, reports them to the promise, the event and the iterator', async () => {
    const { producer, putter } = setup();
    putter.entryFault = (entry) => (entry.PartitionKey === 'denied' ? { errorCode: 'KMSAccessDeniedException', errorMessage: 'no key' } : undefined);
    const events: PutFailure[] = [];
    producer.on('failure', (f) => events.push(f));
    const iterator = producer.failures();
    const bad = producer.put('secret', 'denied');
    const good = producer.put('fine', 'allowed');
    const error = await bad.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccessDeniedError);
    expect((await good).shardId).toBeDefined();
    const failure = putFailureOf(error)!;
    expect(failure.attempts).toHaveLength(1);
    expect(failure.attempts[0]!.errorCode).toBe('KMSAccessDeniedException');
    expect(failure.record.partitionKey).toBe('denied');
    expect(events).toHaveLength(1);
    expect((await iterator.next()).value!.error).toBe(error);
    await producer.close();
    expect((await iterator.next()).done).toBe(true);
  });

  it('fails a whole-request error that is not retryable at once, and retries one that is', async () => {
    const { producer, putter } = setup();
    let calls = 0;
    putter.before = (call) => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      if (call.request.records.some((r) => r.PartitionKey === 'k2')) {
        throw Object.assign(new Error('denied'), { name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
      }
    };
    const first = await producer.put('a', 'k1');
    expect(first.attempts.map((a) => a.errorCode)).toEqual(['ECONNRESET', undefined]);
    await expect(producer.put('b', 'k2')).rejects.toBeInstanceOf(AccessDeniedError);
    await producer.close();
  });

  it('expires records whose TTL runs out while retrying, with the last error as cause and no endless loop', async () => {
    const { producer, putter } = setup({ recordTtlMs: 150 });
    putter.entryFault = () => ({ errorCode: PTEE, errorMessage: 'Rate exceeded' });
    const error = await producer.put('x', 'k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RecordExpiredError);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as RecordExpiredError).retryable).toBe(false);
    expect((error as Error).cause).toBeInstanceOf(ThrottledError);
    const failure = putFailureOf(error)!;
    expect(failure.attempts.at(-1)!.errorCode).toBe('Expired');
    // Backoff grows to 5 ms: a few dozen attempts in 150 ms, not thousands.
    expect(failure.attempts.length).toBeLessThan(100);
    await producer.close();
  });

  it('fails throttled records at once with failIfThrottled', async () => {
    const { producer, putter } = setup({ failIfThrottled: true });
    putter.entryFault = () => ({ errorCode: PTEE, errorMessage: 'Rate exceeded' });
    await expect(producer.put('x', 'k')).rejects.toBeInstanceOf(ThrottledError);
    await producer.close();
  });

  it('abandons a request that outlives requestTimeoutMs and retries its records', async () => {
    const { producer, putter } = setup({ requestTimeoutMs: 100 });
    putter.before = (call) => (call.call === 1 ? new Promise<void>(() => undefined) : undefined);
    const r = await producer.put('x', 'k');
    expect(r.attempts[0]!.errorCode).toBe('TimeoutError');
    expect(r.attempts[0]!.durationMs).toBeGreaterThanOrEqual(95);
    await producer.close();
  });

  it('retries records on a count mismatch', async () => {
    const { producer, putter } = setup();
    const original = putter.putRecords.bind(putter);
    let calls = 0;
    putter.putRecords = async (request, signal) => {
      const out = await original(request, signal);
      return ++calls === 1 ? { records: out.records.slice(1) } : out;
    };
    const r = await Promise.all([producer.put('a', 'k1'), producer.put('b', 'k2')]);
    expect(r[0].attempts[0]!.errorCode).toBe('Record Count Mismatch');
    await producer.close();
  });

  it('makes put wait for room, first come first served, and rejects instead when told to', async () => {
    const { producer, putter } = setup({ maxBufferedRecords: 2, maxBufferedTimeMs: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    putter.before = () => gate;
    const order: number[] = [];
    const puts = [1, 2, 3, 4].map((i) => producer.put(`d${i}`, `k${i}`).then(() => order.push(i)));
    await waitFor(() => putter.calls > 0);
    expect(producer.outstanding).toBe(2);
    expect(producer.waitingPuts).toBe(2);
    release();
    await Promise.all(puts);
    expect(producer.outstanding).toBe(0);
    await producer.close();

    const rejecting = setup({ maxBufferedRecords: 1, onBackpressure: 'reject' });
    rejecting.putter.before = () => gate;
    const first = rejecting.producer.put('a', 'k');
    await expect(rejecting.producer.put('b', 'k')).rejects.toBeInstanceOf(BufferFullError);
    await first;
    await rejecting.producer.close();
  });

  it('lets a waiting put be abandoned with its signal', async () => {
    const { producer, putter } = setup({ maxBufferedRecords: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    putter.before = () => gate;
    const first = producer.put('a', 'k1');
    const controller = new AbortController();
    const second = producer.put('b', 'k2', { signal: controller.signal });
    const third = producer.put('c', 'k3');
    controller.abort(new Error('gave up'));
    await expect(second).rejects.toThrow('gave up');
    await waitFor(() => putter.calls > 0);
    release();
    await Promise.all([first, third]);
    await producer.close();
  });

  it('bounds buffered bytes as well as records', async () => {
    const { producer, putter } = setup({ maxBufferedBytes: 4096, maxRecordBytes: 2048 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    putter.before = () => gate;
    const puts = Array.from({ length: 10 }, (_, i) => producer.put(Buffer.alloc(1000), `k${i}`));
    // What was accepted goes out and stays in flight behind the gate; the rest waits for room.
    await waitFor(() => putter.calls > 0);
    expect(producer.bufferedBytes).toBeLessThanOrEqual(4096);
    expect(producer.outstanding).toBe(4);
    release();
    await Promise.all(puts);
    await producer.close();
  });

  it('flush resolves when everything put before it has settled', async () => {
    const { producer } = setup({ maxBufferedTimeMs: 60_000 });
    let settled = 0;
    for (let i = 0; i < 50; i++) void producer.put('x', `k${i}`).then(() => settled++);
    await producer.flush();
    expect(settled).toBe(50);
    expect(producer.outstanding).toBe(0);
    expect(producer.oldestRecordAgeMs).toBe(0);
    await producer.flush();
    await producer.close();
  });

  it('reports outstanding records and the age of the oldest', async () => {
    const clock = new ManualClock();
    const { producer, putter } = setup({ clock });
    await producer.start();
    let release!: () => void;
    putter.before = () => new Promise<void>((r) => (release = r));
    const p = producer.put('x', 'k');
    clock.advance(5);
    await waitFor(() => putter.calls > 0);
    clock.advance(45);
    expect(producer.outstanding).toBe(1);
    expect(producer.oldestRecordAgeMs).toBeGreaterThanOrEqual(40);
    release();
    await p;
    await producer.close();
  });

  it('close with a timeout fails what is still unsettled with ShutdownError, never silently', async () => {
    const { producer, putter } = setup();
    putter.before = () => new Promise<void>(() => undefined);
    const events: PutFailure[] = [];
    producer.on('failure', (f) => events.push(f));
    const p = producer.put('x', 'k');
    const sent = producer.send('y', 'k2');
    await sent;
    await waitFor(() => putter.calls > 0);
    await producer.close({ timeoutMs: 50 });
    await expect(p).rejects.toBeInstanceOf(ShutdownError);
    expect(events.map((e) => e.record.partitionKey).sort()).toEqual(['k', 'k2']);
    expect(producer.outstanding).toBe(0);
  });

  it('send() reports failures only to listeners, and counts those nobody heard', async () => {
    const { producer, putter, metrics } = setup();
    putter.entryFault = () => ({ errorCode: 'KMSDisabledException', errorMessage: 'disabled' });
    await producer.send('x', 'k');
    await producer.flush();
    expect(metrics.value('producer_failures_unobserved_total')).toBe(1);
    const seen: PutFailure[] = [];
    producer.on('failure', (f) => seen.push(f));
    await producer.send('y', 'k');
    await producer.flush();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.error.name).toBe('AwsServiceError');
    await producer.close();
  });

  it('keeps a slow failures() reader from blocking the pipeline, counting what it drops', async () => {
    const { producer, putter, metrics } = setup({ failureBufferSize: 3 });
    putter.entryFault = () => ({ errorCode: 'KMSDisabledException' });
    const iterator = producer.failures();
    await Promise.allSettled(Array.from({ length: 10 }, (_, i) => producer.put('x', `k${i}`)));
    expect(metrics.value('producer_failure_notifications_dropped_total')).toBe(7);
    let n = 0;
    await producer.close();
    for await (const f of iterator) {
      expect(f.error.name).toBe('AwsServiceError');
      n++;
    }
    expect(n).toBe(3);
  });

  it('retries mispredicted records after a split, and counts a record that landed on a child owning it as written', async () => {
    const before = evenShardMap(2);
    const { producer, putter, source, metrics } = setup({ maxBufferedTimeMs: 20 }, 2);
    // Shard 0 splits: children 2 and 3 own its halves; the producer still predicts with the old map.
    const s0 = before.shards[0]!;
    const mid = (s0.range.startingHashKey + s0.range.endingHashKey) / 2n;
    const after = new ShardMap([
      { shardId: 'shardId-0', range: s0.range, open: false },
      { shardId: 'shardId-1', range: before.shards[1]!.range, open: true },
      { shardId: 'shardId-2', range: { startingHashKey: s0.range.startingHashKey, endingHashKey: mid }, open: true, parentShardId: 'shardId-0' },
      { shardId: 'shardId-3', range: { startingHashKey: mid + 1n, endingHashKey: s0.range.endingHashKey }, open: true, parentShardId: 'shardId-0' },
    ]);
    await producer.start();
    putter.routing = after;
    source.map = after;
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => producer.put(`v${i}`, `key-${i}`)));
    await producer.close();
    expect(metrics.value('producer_mispredictions_total')).toBeGreaterThan(0);
    results.forEach((r, i) => expect(r.shardId).toBe(after.shardForRecord(`key-${i}`)!.shardId));
    // Every user record was written exactly once inside a record on a shard owning its hash key.
    const owned = readBack(putter).filter((u) => after.shardContains(u.shardId, u.explicitHashKey ? BigInt(u.explicitHashKey) : partitionKeyToHashKey(u.partitionKey)));
    expect(owned).toHaveLength(2000);
    expect(new Set(owned.map((u) => u.partitionKey)).size).toBe(2000);
    const wrong = results.flatMap((r) => r.attempts.filter((a) => a.errorCode === 'Wrong Shard'));
    expect(wrong.length).toBe(metrics.value('producer_mispredictions_total'));
  });

  it('sends unaggregated when no shard map can be loaded', async () => {
    const { producer, putter, source, metrics } = setup();
    source.fail = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    await expect(producer.start()).rejects.toBeInstanceOf(AccessDeniedError);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => producer.put('x', `k${i}`)));
    expect(results.every((r) => !r.aggregated && r.subSequenceNumber === 0)).toBe(true);
    expect(putter.written).toHaveLength(20);
    expect(metrics.value('producer_shard_map_refreshes_total', { outcome: 'failure' })).toBeGreaterThan(0);
    await producer.close();
  });

  it('keeps put order per partition key across retries in ordered mode', async () => {
    const { producer, putter } = setup({ ordered: true, maxAggregateBytes: 2048 });
    let n = 0;
    putter.entryFault = () => (++n % 3 === 0 ? { errorCode: n % 2 ? PTEE : 'InternalFailure' } : undefined);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    const puts: Promise<unknown>[] = [];
    for (let i = 0; i < 600; i++) puts.push(producer.put(String(i), keys[i % keys.length]!));
    await Promise.all(puts);
    await producer.close();
    const back = readBack(putter);
    expect(back).toHaveLength(600);
    for (const key of keys) {
      const values = back.filter((u) => u.partitionKey === key).map((u) => Number(u.data.toString()));
      expect(values).toEqual([...values].sort((x, y) => x - y));
    }
  });

  it('never puts two records of one shard in one request, nor two requests per shard in flight, in ordered mode', async () => {
    const { producer, putter } = setup({ ordered: true, maxAggregateBytes: 256 }, 2);
    const inFlight = new Map<string, number>();
    let violations = 0;
    const original = putter.putRecords.bind(putter);
    putter.putRecords = async (request, signal) => {
      const shards = request.records.map((e) => putter.routing.shardForRecord(e.PartitionKey, e.ExplicitHashKey)!.shardId);
      if (new Set(shards).size !== shards.length) violations++;
      for (const s of shards) {
        inFlight.set(s, (inFlight.get(s) ?? 0) + 1);
        if (inFlight.get(s)! > 1) violations++;
      }
      // Answer a few event-loop turns later, so that calls overlap if the producer lets them.
      await turns(3);
      try {
        return await original(request, signal);
      } finally {
        for (const s of shards) inFlight.set(s, inFlight.get(s)! - 1);
      }
    };
    await Promise.all(Array.from({ length: 300 }, (_, i) => producer.put('x'.repeat(50), `k${i % 7}`)));
    await producer.close();
    expect(violations).toBe(0);
  });

  it('writes a stream through writable() and finishes once every record has settled', async () => {
    const { producer, putter } = setup({ maxBufferedRecords: 10 });
    const source = Readable.from(Array.from({ length: 500 }, (_, i) => ({ data: `v${i}`, partitionKey: `k${i}` })));
    await pipeline(source, producer.writable());
    expect(producer.outstanding).toBe(0);
    expect(readBack(putter)).toHaveLength(500);
    await producer.close();
  });

  it('fails the pipeline with the first record error', async () => {
    const { producer, putter } = setup({ aggregation: false });
    putter.entryFault = (e) => (e.PartitionKey === 'k7' ? { errorCode: 'KMSDisabledException' } : undefined);
    const source = Readable.from(Array.from({ length: 20 }, (_, i) => ({ data: `v${i}`, partitionKey: `k${i}` })));
    await expect(pipeline(source, producer.writable())).rejects.toMatchObject({ name: 'AwsServiceError' });
    await producer.flush();
    await producer.close();
  });

  it('runs on an injected clock: buffered records wait for maxBufferedTimeMs', async () => {
    const clock = new ManualClock();
    const { producer, putter } = setup({ clock, maxBufferedTimeMs: 1000 });
    await producer.start();
    const p = producer.put('x', 'k');
    await turns();
    expect(putter.calls).toBe(0);
    clock.advance(1000);
    await p;
    expect(putter.calls).toBe(1);
    await producer.close();
  });

  it('counts what the KPL counts', async () => {
    const { producer, metrics } = setup();
    await Promise.all(Array.from({ length: 100 }, (_, i) => producer.put('x', `k${i}`)));
    await producer.close();
    expect(metrics.value('producer_user_records_received_total')).toBe(100);
    expect(metrics.value('producer_user_records_put_total')).toBe(100);
    expect(metrics.value('producer_kinesis_records_put_total')).toBeLessThanOrEqual(4);
    expect(metrics.count('producer_user_records_per_kinesis_record')).toBe(metrics.value('producer_kinesis_records_put_total'));
    expect(metrics.count('producer_put_records_duration_seconds', { outcome: 'success' })).toBeGreaterThan(0);
    expect(metrics.value('producer_buffered_records')).toBe(0);
  });
});
