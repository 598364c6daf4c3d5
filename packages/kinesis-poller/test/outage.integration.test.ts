import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient, ManualClock, MemoryMetrics, ServiceUnavailableError, type ShardlineError } from '@shardline/core';
import { createStream, injectFaults, networkError, uniqueName, useEmulators, waitFor } from '@shardline/testkit';
import { Poller, type PollerOptions, type RetryReport } from '../src';
import { Collector, expectedByShard, type PutResult, putRecords } from './helpers';

const MINUTE = 60_000;

describe('Poller while Kinesis is unreachable (kinesalite, ECONNREFUSED injected)', () => {
  const env = useEmulators({ dynamodb: false });
  let client: KinesisClient;
  beforeEach(() => {
    // The poller's own client, SDK retries off: the outage hits only the poller.
    client = createKinesisClient({ env: env.emulators.env, maxAttempts: 1 });
  });
  afterEach(() => client.destroy());

  async function stream(): Promise<{ streamName: string; puts: PutResult[] }> {
    const streamName = uniqueName('outage');
    await createStream(env.kinesis, streamName, 2);
    return { streamName, puts: await putRecords(env.kinesis, streamName, 400) };
  }

  /**
   * Every Kinesis call of the poller fails with ECONNREFUSED while the clock is inside an outage:
   * 20 s from the start (ListShards), and a minute from the first batch handled (GetRecords and
   * GetShardIterator). Time runs on a ManualClock moved by a ticker, 50 ms per real millisecond.
   */
  async function throughOutages(extra: Partial<PollerOptions>, streamName: string, expected: number) {
    const clock = new ManualClock();
    let outageUntil = 20_000;
    let outageStarted = false;
    const faults = injectFaults(client, {
      before: () => {
        if (clock.monotonicNow() < outageUntil) throw networkError('ECONNREFUSED');
      },
    });
    const metrics = new MemoryMetrics();
    const poller = new Poller({ client, streamName, limit: 100, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0, clock, metrics, ...extra });
    const got = new Collector();
    let settled = false;
    const running = poller.run((batch) => {
      got.add(batch);
      if (!outageStarted) {
        outageStarted = true;
        outageUntil = clock.monotonicNow() + MINUTE;
      }
    });
    const outcome = running.then(
      () => undefined,
      (e: unknown) => e,
    );
    void outcome.then(() => (settled = true));
    const ticker = setInterval(() => clock.advance(50), 1);
    try {
      await waitFor(() => settled || got.count >= expected, 60_000, 'every record');
    } finally {
      clearInterval(ticker);
      await poller.stop();
    }
    return { error: await outcome, got, metrics, faults, clock, outageUntil };
  }

  it('rides out 20 s down at start and a minute down while reading, with the default options: no loss, no duplicate', async () => {
    const { streamName, puts } = await stream();
    const { error, got, metrics, faults, clock, outageUntil } = await throughOutages({}, streamName, puts.length);
    expect(error).toBeUndefined();
    expect(clock.monotonicNow()).toBeGreaterThan(outageUntil);
    expect(got.count).toBe(puts.length);
    for (const [shardId, ids] of expectedByShard(puts)) expect(got.byShard.get(shardId)).toEqual(ids);
    // Far more attempts than a bounded default (10) would have allowed, every retry counted.
    expect(metrics.total('poller_retries_total')).toBeGreaterThan(20);
    expect(faults.calls.get('ListShardsCommand')).toBeGreaterThan(3);
  });

  it('reports every retry through onRetry (shard, call, consecutive attempt, capped backoff)', async () => {
    const { streamName, puts } = await stream();
    const reports: { error: ShardlineError; report: RetryReport }[] = [];
    const { error } = await throughOutages({ onRetry: (e, report) => reports.push({ error: e, report }) }, streamName, puts.length);
    expect(error).toBeUndefined();
    expect(reports.every((r) => r.error instanceof ServiceUnavailableError)).toBe(true);
    const listShards = reports.filter((r) => r.report.call === 'ListShards');
    expect(listShards.length).toBeGreaterThan(3);
    expect(listShards.every((r) => r.report.shardId === undefined)).toBe(true);
    const reads = reports.filter((r) => r.report.call !== 'ListShards');
    expect(new Set(reads.map((r) => r.report.shardId))).toEqual(new Set(expectedByShard(puts).keys()));
    expect(Math.max(...reads.map((r) => r.report.attempt))).toBeGreaterThan(10);
    // Capped backoff: never more than retryBackoff.maxDelayMs (5 s by default).
    expect(Math.max(...reports.map((r) => r.report.delayMs))).toBeLessThanOrEqual(5_000);
  });

  it('still gives up where asked to: maxAttempts 10 surfaces ServiceUnavailableError', async () => {
    const { streamName, puts } = await stream();
    const { error } = await throughOutages({ maxAttempts: 10 }, streamName, puts.length);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
  });
});
