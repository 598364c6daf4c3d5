import { createKinesisClient, createNoopLogger, ManualClock } from '@shardline/core';
import { Aggregator, type KinesisRecord, type UserRecord } from '@shardline/kpl-aggregation';
import { createStream, injectFaults, uniqueName } from '@shardline/testkit';
import { Producer, type PutResult, RecordExpiredError } from '../src';
import { useKinesalite } from './kinesalite';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Producer record expiry on a hot shard (kinesalite)', () => {
  const k = useKinesalite();

  it('expires from the head without rebuilding the aggregates that did not expire', async () => {
    const streamName = uniqueName('expiry');
    await createStream(k.kinesis, streamName, 1);
    const client = createKinesisClient({ env: k.emulators.env, maxAttempts: 1 });
    const sent = injectFaults(client, {});
    const clock = new ManualClock();
    // One shard held to 10 Kinesis records/s by its rate limit, offered 100 aggregates/s: most
    // records wait in the shard's queue until their TTL runs out, a few more at every step.
    const producer = new Producer({
      streamName,
      client,
      clock,
      logger: createNoopLogger(),
      rateLimitPercent: 1,
      adaptiveRateLimit: false,
      recordTtlMs: 1_000,
      maxBufferedTimeMs: 5,
      // Ten records per aggregate and ten records per step: an aggregate's records expire together.
      maxAggregateRecords: 10,
    });
    // Counts how often each user record is encoded into an aggregate (Aggregator.flush: copy, MD5).
    const flush = jest.spyOn(Aggregator.prototype, 'flush');
    try {
      await producer.start();
      const outcomes: Promise<PromiseSettledResult<PutResult>>[] = [];
      const steps = 300;
      for (let step = 0; step < steps; step++) {
        for (let i = 0; i < 10; i++) {
          const p = producer.put(`${step}-${i}-${'x'.repeat(100)}`, `key-${step}-${i}`);
          outcomes.push(
            p.then(
              (value) => ({ status: 'fulfilled' as const, value }),
              (reason: unknown) => ({ status: 'rejected' as const, reason }),
            ),
          );
        }
        clock.advance(10);
        await tick();
      }
      let settled = false;
      void Promise.all(outcomes).then(() => (settled = true));
      for (let i = 0; i < 2_000 && !settled; i++) {
        clock.advance(10);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const results = await Promise.all(outcomes);
      await producer.close();

      const written = results.filter((r) => r.status === 'fulfilled').length;
      const expired = results.filter((r) => r.status === 'rejected' && r.reason instanceof RecordExpiredError).length;
      expect(written + expired).toBe(steps * 10);
      expect(expired).toBeGreaterThan(steps * 5);
      expect(written).toBeGreaterThan(0);
      expect(sent.calls.get('PutRecordsCommand')).toBeGreaterThan(0);

      const encodings = new Map<UserRecord, number>();
      for (const result of flush.mock.results) {
        const record = result.type === 'return' ? (result.value as KinesisRecord | undefined) : undefined;
        if (record?.aggregated) for (const u of record.userRecords) encodings.set(u, (encodings.get(u) ?? 0) + 1);
      }
      // Every record was aggregated once; expiry dropped whole aggregates and left the others as built.
      expect(encodings.size).toBe(steps * 10);
      expect(Math.max(...encodings.values())).toBe(1);
    } finally {
      flush.mockRestore();
      client.destroy();
    }
  });
});
