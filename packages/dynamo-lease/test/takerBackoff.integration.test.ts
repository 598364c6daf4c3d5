import { ManualClock } from '@shardline/core';
import { injectFaults, serviceError } from '@shardline/testkit';
import { LeaseCoordinator, newLease } from '../src';
import { advanceClock, DynamoHarness } from './helpers';

let dynamo: DynamoHarness;
beforeAll(async () => {
  dynamo = await DynamoHarness.start();
});
afterAll(async () => {
  await dynamo.stop();
});

const FAILOVER_MS = 1_000;
const TAKER_INTERVAL_MS = 250;

describe('taker under failing scans', () => {
  it('backs off exponentially (capped) and never scans faster than its normal interval, then resumes', async () => {
    // A lease held by a live other worker, so that the taker watches a lease that comes due.
    const table = await dynamo.table();
    await table.createLeaseIfNotExists(newLease({ leaseKey: 'theirs' }));
    const taken = await table.takeLease((await table.getLease('theirs'))!, 'other');
    expect(taken.ok).toBe(true);

    const clock = new ManualClock();
    const client = dynamo.client();
    const scanTimes: number[] = [];
    let failing = false;
    injectFaults(client, {
      before(ctx) {
        if (ctx.commandName !== 'ScanCommand') return;
        scanTimes.push(clock.monotonicNow());
        if (failing) throw serviceError('ProvisionedThroughputExceededException', 'Rate of requests exceeds the allowed throughput');
      },
    });
    const c = new LeaseCoordinator({ tableName: table.tableName, workerId: 'me', failoverTimeMs: FAILOVER_MS, takerIntervalMs: TAKER_INTERVAL_MS, client, clock, random: () => 0.5 });
    const errors: unknown[] = [];
    c.on('error', (e) => errors.push(e));
    try {
      const starting = c.start();
      await advanceClock(clock, 0, { sleepers: 2 });
      await starting;
      await advanceClock(clock, 500, { sleepers: 2 }); // a few healthy runs

      failing = true;
      const failedFrom = scanTimes.length;
      const windowMs = 10 * FAILOVER_MS;
      await advanceClock(clock, windowMs, { sleepers: 2 });
      const failed = scanTimes.slice(failedFrom);
      const gaps = failed.slice(1).map((t, i) => t - failed[i]!);
      console.log(`scans while failing for ${windowMs} ms: ${failed.length}; gaps ${gaps.join(', ')} ms`);

      // Never more often than a healthy taker (one run per interval, jittered at most 20 % shorter)…
      expect(failed.length).toBeLessThanOrEqual(windowMs / TAKER_INTERVAL_MS);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0.8 * TAKER_INTERVAL_MS);
      // …and growing: capped exponential, up to failoverTimeMs between attempts.
      for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!);
      expect(gaps.at(-1)!).toBeGreaterThanOrEqual(0.8 * FAILOVER_MS);
      expect(gaps.at(-1)!).toBeLessThanOrEqual(FAILOVER_MS);
      expect(errors.length).toBe(failed.length);

      // DynamoDB recovers: the next attempt succeeds and the normal interval is back.
      failing = false;
      const healthyFrom = scanTimes.length;
      await advanceClock(clock, FAILOVER_MS + 4 * TAKER_INTERVAL_MS, { sleepers: 2 });
      const healthy = scanTimes.slice(healthyFrom);
      expect(healthy.length).toBeGreaterThanOrEqual(4);
      const healthyGaps = healthy.slice(1).map((t, i) => t - healthy[i]!);
      expect(Math.max(...healthyGaps)).toBeLessThanOrEqual(TAKER_INTERVAL_MS);
    } finally {
      await c.close();
    }
  });
});
