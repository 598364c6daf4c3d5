import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { MemoryMetrics } from '@shardline/core';
import { createEmulatorKinesisClient, createStream, type LimitsFront, startLimitsFront, uniqueName, useEmulators } from '@shardline/testkit';
import { type ShardBatch, ShardReader } from '../src';

const SHARD = 'shardId-000000000000';
// A tenth of Kinesis's read rate, and answers of at most 100 kB: each full answer owes half a second.
const READ_BYTES_PER_SECOND = 200_000;
const RECORDS = 40;
const RECORD_BYTES = 10_000;

describe('ShardReader read pacing against a front enforcing the read limit', () => {
  const env = useEmulators({ dynamodb: false });
  let front: LimitsFront;
  let limited: KinesisClient;

  beforeAll(async () => {
    front = await startLimitsFront({ kinesisEndpoint: env.emulators.kinesisEndpoint!, limits: { readBytesPerSecond: READ_BYTES_PER_SECOND, maxGetRecordsBytes: 100_000 } });
    limited = createEmulatorKinesisClient(front.endpoint);
  });
  afterAll(async () => {
    limited.destroy();
    await front.close();
  });

  /** A one-shard stream holding RECORDS records of RECORD_BYTES, written past the front. */
  async function filledStream(): Promise<string> {
    const streamName = uniqueName('pacing');
    await createStream(env.kinesis, streamName, 1);
    const Records = Array.from({ length: RECORDS }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.alloc(RECORD_BYTES, i) }));
    await env.kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records }));
    return streamName;
  }

  async function readAll(readBytesPerSecond: number | 'unlimited'): Promise<{ batches: ShardBatch[]; throttled: number; throttleMetric: number }> {
    const streamName = await filledStream();
    const metrics = new MemoryMetrics();
    const before = front.stats().throttledGetRecords;
    const reader = new ShardReader({ client: limited, streamName, shardId: SHARD, readBytesPerSecond, idleTimeBetweenReadsMs: 200, throttleBackoff: { baseDelayMs: 50, maxDelayMs: 200 }, metrics });
    const batches: ShardBatch[] = [];
    for await (const batch of reader) {
      batches.push(batch);
      if (batches.flatMap((b) => b.records).length >= RECORDS) break;
    }
    return { batches, throttled: front.stats().throttledGetRecords - before, throttleMetric: metrics.total('poller_throttles_total') };
  }

  it('waits for what each answer owes instead of being throttled, and reads everything in order', async () => {
    const { batches, throttled, throttleMetric } = await readAll(READ_BYTES_PER_SECOND);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flatMap((b) => b.records).map((r) => r.data[0])).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    expect([throttled, throttleMetric]).toEqual([0, 0]);
  });

  it("without pacing ('unlimited') the same reads are throttled: the front does limit them", async () => {
    const { batches, throttled, throttleMetric } = await readAll('unlimited');
    expect(batches.flatMap((b) => b.records)).toHaveLength(RECORDS);
    expect(throttled).toBeGreaterThan(0);
    expect(throttleMetric).toBe(throttled);
  });
});
