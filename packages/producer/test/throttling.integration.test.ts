import { createNoopLogger, MemoryMetrics } from '@shardline/core';
import { createEmulatorKinesisClient, createStream, type Emulators, type LimitsFront, startEmulators, startLimitsFront, uniqueName } from '@shardline/testkit';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { Producer, type PutResult } from '../src';
import { readAllShards, userRecords } from './readStream';

// The producer against real throttling: kinesalite behind testkit's limits front, which answers
// ProvisionedThroughputExceededException per entry as a provisioned stream does. The producer runs
// with its defaults (150 % of the shard limits, AIMD on), so it starts above what the shards take
// and must find the limit itself. The precise goodput is the benchmark's business; here a loose
// floor, retries and no loss.

const PTEE = 'ProvisionedThroughputExceededException';
const MiB = 1_048_576;

describe('Producer against a stream that enforces the shard limits', () => {
  let emulators: Emulators;
  let front: LimitsFront;
  let raw: KinesisClient;
  let limited: KinesisClient;

  beforeAll(async () => {
    emulators = await startEmulators({ dynamodb: false });
    front = await startLimitsFront({ kinesisEndpoint: emulators.kinesisEndpoint! });
    raw = createEmulatorKinesisClient(emulators.kinesisEndpoint!, { maxAttempts: 3 });
    // The stock SDK client, SDK retries off as the producer asks.
    limited = createEmulatorKinesisClient(front.endpoint);
  });
  afterAll(async () => {
    raw.destroy();
    limited.destroy();
    await front.close();
    await emulators.stop();
  });

  it('writes near the byte limit of 2 shards, retries every throttled record, loses none', async () => {
    const streamName = uniqueName('thr');
    await createStream(raw, streamName, 2);
    const metrics = new MemoryMetrics();
    const producer = new Producer({ streamName, client: limited, logger: createNoopLogger(), metrics });
    await producer.start();

    // 10,000 records of ~1 KB: ~10 MB, about 5 s of the 2 MiB/s the two shards take.
    const n = 10_000;
    const record = (i: number): Buffer => Buffer.alloc(1_000, i % 251);
    const key = (i: number): string => `key-${i}`;
    const recordBytes = 1_000 + key(n).length;
    const started = performance.now();
    const puts: Promise<PutResult>[] = [];
    for (let i = 0; i < n; i++) puts.push(producer.put(record(i), key(i)));
    const settled = await Promise.allSettled(puts);
    const seconds = (performance.now() - started) / 1000;
    await producer.close();

    const failed = settled.filter((s) => s.status === 'rejected');
    expect(failed.map((f) => String(f.reason)).slice(0, 3)).toEqual([]);
    const results = settled.map((s) => (s as PromiseFulfilledResult<PutResult>).value);

    // Throttled for real, and retried: the front refused entries, the producer saw and counted them.
    expect(front.stats().throttledPutEntries).toBeGreaterThan(0);
    expect(metrics.total('producer_throttles_total')).toBeGreaterThan(0);
    expect(metrics.total('producer_rate_limit_cuts_total')).toBeGreaterThan(0);
    expect(metrics.value('producer_user_records_retried_total', { error_code: PTEE })).toBeGreaterThan(0);
    expect(metrics.total('producer_user_records_failed_total')).toBe(0);
    const retried = results.filter((r) => r.attempts.some((a) => a.errorCode === PTEE));
    expect(retried.length).toBeGreaterThan(0);
    for (const r of retried.slice(0, 100)) expect(r.attempts[r.attempts.length - 1]!.successful).toBe(true);

    // Goodput near the limit: user bytes over the whole run against 2 shards × 1 MiB/s.
    const goodput = (n * recordBytes) / seconds / (2 * MiB);
    expect(goodput).toBeGreaterThanOrEqual(0.6);
    // The front let through no more than a second of burst plus the rate.
    expect(front.stats().admittedPutBytes).toBeLessThanOrEqual((1 + seconds) * 2 * MiB);

    // Nothing lost: every record read back (at least once — the producer's promise), intact, on the shard that owns it.
    const read = userRecords(await readAllShards(raw, streamName));
    const seen = new Map<string, number>();
    const problems: string[] = [];
    for (const u of read) {
      const i = Number(u.partitionKey.slice(4));
      if (!(i >= 0 && i < n) || u.partitionKey !== key(i)) problems.push(`unexpected record ${u.partitionKey}`);
      else if (!u.data.equals(record(i))) problems.push(`${u.partitionKey}: data differs`);
      else if (!u.owned) problems.push(`${u.partitionKey}: on ${u.shardId}, which does not own it`);
      seen.set(u.partitionKey, (seen.get(u.partitionKey) ?? 0) + 1);
    }
    for (let i = 0; i < n; i++) if (!seen.has(key(i))) problems.push(`${key(i)}: missing`);
    expect(problems.slice(0, 10)).toEqual([]);
    expect(seen.size).toBe(n);
  });

  it('unaggregated, on 1 shard with the limits scaled to a fifth: cuts its rate to the 200 records/s the shard takes, retries the throttled records, loses none', async () => {
    // A fifth of AWS's limits (200 records/s): the producer, budgeting 150 % of 1,000 records/s,
    // starts 7.5× over and must cut its rate several times; few records keep the test light.
    const slow = await startLimitsFront({ kinesisEndpoint: emulators.kinesisEndpoint!, limits: { scale: 0.2 } });
    const client = createEmulatorKinesisClient(slow.endpoint);
    try {
      const streamName = uniqueName('thr');
      await createStream(raw, streamName, 1);
      const metrics = new MemoryMetrics();
      const producer = new Producer({ streamName, client, logger: createNoopLogger(), metrics, aggregation: false });
      await producer.start();
      const n = 1_000;
      const started = performance.now();
      const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => producer.put(`record-${i}`, `k${i}`)));
      const seconds = (performance.now() - started) / 1000;
      await producer.close();
      expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(0);
      expect(slow.stats().throttledPutEntries).toBeGreaterThan(0);
      expect(metrics.value('producer_user_records_retried_total', { error_code: PTEE })).toBeGreaterThan(0);
      expect(metrics.total('producer_rate_limit_cuts_total')).toBeGreaterThan(1);
      expect(n / seconds / 200).toBeGreaterThanOrEqual(0.6);
      const read = userRecords(await readAllShards(raw, streamName));
      const keys = new Set(read.map((u) => u.partitionKey));
      expect(keys.size).toBe(n);
      expect(read.every((u) => u.data.toString() === `record-${u.partitionKey.slice(1)}`)).toBe(true);
    } finally {
      client.destroy();
      await slow.close();
    }
  });
});
