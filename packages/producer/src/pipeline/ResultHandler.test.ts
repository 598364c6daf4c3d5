import { AwsServiceError, resolveBackoffOptions } from '@shardline/core';
import { accepted, outcome, pendingRecord, quiet, RecordingScheduler, settle, settlementKit, shardQueue } from '../../test/stageKit';
import { evenShardMap, SwitchableShardMapSource } from '../../test/scriptedPutter';
import type { PendingRecord } from '../PendingRecord';
import { ShardMapCache } from '../ShardMapCache';
import type { PutRecordsCall } from './Dispatcher';
import { MispredictionResolver } from './MispredictionResolver';
import { ResultHandler } from './ResultHandler';
import { RetryPolicy } from './RetryPolicy';
import { RetryScheduler } from './RetryScheduler';

function handler(options: { ttlMs?: number } = {}) {
  const kit = settlementKit({ ttlMs: options.ttlMs ?? 30_000 });
  const cache = new ShardMapCache({
    source: new SwitchableShardMapSource(evenShardMap(1)),
    clock: kit.clock,
    logger: quiet,
    loadTimeoutMs: 1_000,
    listener: { mapLoaded: () => undefined, loadFailed: () => undefined },
  });
  const scheduler = new RecordingScheduler();
  const routed: string[] = [];
  const router = { route: (r: PendingRecord) => routed.push(r.partitionKey) };
  const policy = new RetryPolicy({ ttlMs: options.ttlMs ?? 30_000, backoff: resolveBackoffOptions({ baseDelayMs: 100, maxDelayMs: 100, jitter: 'none' }), failIfThrottled: false });
  const retries = new RetryScheduler({ ordered: false, maxBufferedTimeMs: 100, router, scheduler });
  const mispredictions = new MispredictionResolver({
    ordered: false,
    cache,
    logger: quiet,
    metrics: kit.metrics,
    settlement: kit.settlement,
    router,
    scheduler,
    backoffMs: () => 100,
    mapPending: () => false,
    hardClosed: () => false,
  });
  let passes = 0;
  const stage = new ResultHandler({
    clock: kit.clock,
    logger: quiet,
    metrics: kit.metrics,
    counters: kit.counters,
    settlement: kit.settlement,
    policy,
    retries,
    mispredictions,
    hardClosed: () => false,
    afterCompletion: () => undefined,
    schedulePass: () => passes++,
    internalFailure: () => fail('no internal failure expected'),
  });
  /** A call of one raw Kinesis record per key, predicted for shardId-0. */
  const call = (...keys: string[]) => {
    const q = shardQueue('shardId-0', { maxAggregateRecords: 1 });
    const puts = keys.map((k) => {
      const r = pendingRecord(k);
      const put = outcome(accepted(kit, r));
      q.add(r, 0);
      return put;
    });
    const entries = keys.map(() => q.shiftReady()!);
    const sent: PutRecordsCall = { entries, queues: [q], start: 0, mapVersion: 1 };
    return { sent, puts, q };
  };
  return { stage, kit, call, routed, retries, scheduler, passes: () => passes };
}

describe('ResultHandler', () => {
  it('settles written records and fails or retries the failed ones by their error code', async () => {
    const { stage, kit, call, retries, passes } = handler();
    const { sent, puts } = call('ok', 'throttled', 'kms');
    kit.clock.advance(5);
    stage.completed(
      sent,
      {
        records: [
          { shardId: 'shardId-0', sequenceNumber: '1' },
          { errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'slow' },
          { errorCode: 'KMSDisabledException', errorMessage: 'off' },
        ],
      },
      undefined,
    );
    await settle();
    expect(puts[0]!.value).toMatchObject({ shardId: 'shardId-0', sequenceNumber: '1' });
    expect(puts[1]!.settled).toBe(false);
    expect(puts[2]!.error).toBeInstanceOf(AwsServiceError);
    expect(retries.takeAll().map((r) => r.partitionKey)).toEqual(['throttled']);
    expect(kit.memory.value('producer_throttles_total', { shard_id: 'shardId-0' })).toBe(1);
    expect(kit.memory.value('producer_user_records_retried_total', { error_code: 'ProvisionedThroughputExceededException' })).toBe(1);
    expect(passes()).toBe(1);
  });

  it('treats a failed call as a failure of each of its records', async () => {
    const { stage, call, retries } = handler();
    const { sent, puts } = call('a', 'b');
    stage.completed(sent, undefined, Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    await settle();
    expect(puts.every((p) => !p.settled)).toBe(true);
    const again = retries.takeAll();
    expect(again.map((r) => r.partitionKey)).toEqual(['a', 'b']);
    expect(again[0]!.attempts?.[0]?.errorCode).toBeDefined();
  });

  it('treats an answer with the wrong number of results as a retryable failure of the call', async () => {
    const { stage, call, retries } = handler();
    const { sent } = call('a', 'b');
    stage.completed(sent, { records: [{ shardId: 'shardId-0', sequenceNumber: '1' }] }, undefined);
    const again = retries.takeAll();
    expect(again.map((r) => r.attempts?.[0]?.errorCode)).toEqual(['Record Count Mismatch', 'Record Count Mismatch']);
  });

  it('expires instead of retrying once the TTL has run out', async () => {
    const { stage, kit, call } = handler({ ttlMs: 10 });
    const { sent, puts } = call('late');
    kit.clock.advance(10);
    stage.completed(sent, { records: [{ errorCode: 'InternalFailure' }] }, undefined);
    await settle();
    expect(puts[0]!.error?.name).toBe('RecordExpiredError');
  });
});
