import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { AccessDeniedError, AwsServiceError, createKinesisClient, createNoopLogger, MemoryMetrics, ThrottledError } from '@shardline/core';
import { createStream, injectFaults, networkError, serviceError, uniqueName } from '@shardline/testkit';
import { Producer, type PutResult, putFailureOf, RecordExpiredError } from '../src';
import { injectPartialFailures } from './partialFailures';
import { useKinesalite } from './kinesalite';
import { readAllShards, userRecords } from './readStream';

/** Settles every put; returns outcomes by record id (the data). */
async function settleAll(puts: Map<string, Promise<PutResult>>): Promise<Map<string, PromiseSettledResult<PutResult>>> {
  const out = new Map<string, PromiseSettledResult<PutResult>>();
  const settled = await Promise.allSettled(puts.values());
  [...puts.keys()].forEach((id, i) => out.set(id, settled[i]!));
  return out;
}

/** Owned copies of each record id (the data) in the stream. */
async function ownedCopies(kinesis: KinesisClient, streamName: string): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  for (const u of userRecords(await readAllShards(kinesis, streamName))) {
    if (u.owned) copies.set(u.data.toString(), (copies.get(u.data.toString()) ?? 0) + 1);
  }
  return copies;
}

describe('Producer under injected faults (kinesalite)', () => {
  const k = useKinesalite();
  /** Where a request whose entries all "fail" sends its throw-away entry. */
  let scratch: string;
  beforeAll(async () => {
    scratch = uniqueName('scratch');
    await createStream(k.kinesis, scratch, 1);
  });

  async function producerWithFaultyClient(streamName: string, options: object = {}) {
    // A client of its own, SDK retries off: the faults hit only this producer.
    const client = createKinesisClient({ env: k.emulators.env, maxAttempts: 1 });
    const metrics = new MemoryMetrics();
    const producer = new Producer({ streamName, client, logger: createNoopLogger(), metrics, retryBackoff: { baseDelayMs: 10, maxDelayMs: 200 }, ...options });
    return { client, metrics, producer };
  }

  it('writes every record exactly once through partial failures (PTEE, InternalFailure)', async () => {
    const streamName = uniqueName('faults');
    await createStream(k.kinesis, streamName, 4);
    const { client, metrics, producer } = await producerWithFaultyClient(streamName, { maxAggregateBytes: 4096 });
    let n = 0;
    injectPartialFailures(client, () => (++n % 3 === 0 ? { errorCode: n % 2 ? 'ProvisionedThroughputExceededException' : 'InternalFailure', errorMessage: 'injected' } : undefined), scratch);
    const puts = new Map<string, Promise<PutResult>>();
    for (let i = 0; i < 20_000; i++) puts.set(String(i), producer.put(String(i), `key-${i % 1000}`));
    const outcomes = await settleAll(puts);
    await producer.close();
    client.destroy();

    const copies = await ownedCopies(k.kinesis, streamName);
    const bad = [...outcomes].filter(([id, o]) => o.status !== 'fulfilled' || copies.get(id) !== 1).map(([id]) => id);
    expect(bad.slice(0, 10)).toEqual([]);
    const codes = new Set([...outcomes.values()].flatMap((o) => (o.status === 'fulfilled' ? o.value.attempts.map((a) => a.errorCode) : [])));
    expect(codes).toEqual(new Set([undefined, 'ProvisionedThroughputExceededException', 'InternalFailure']));
    expect(metrics.total('producer_throttles_total')).toBeGreaterThan(0);
    expect(metrics.value('producer_records_total', { outcome: 'failed' })).toBe(metrics.value('producer_records_total', { outcome: 'recovered' }));
  });

  it('retries whole-request failures: 5xx, connection resets and timeouts', async () => {
    const streamName = uniqueName('faults');
    await createStream(k.kinesis, streamName, 2);
    const { client, producer } = await producerWithFaultyClient(streamName, { requestTimeoutMs: 300, maxAggregateBytes: 4096 });
    const stalls: Promise<void>[] = [];
    injectFaults(client, {
      async before(ctx) {
        if (ctx.commandName !== 'PutRecordsCommand') return;
        if (ctx.call % 5 === 1) throw serviceError('InternalFailureException', 'injected', { fault: 'server', httpStatusCode: 500 });
        if (ctx.call % 5 === 2) throw networkError('ECONNRESET');
        if (ctx.call % 5 === 3) {
          // Hangs past requestTimeoutMs, then dies without writing anything.
          const stall = new Promise<void>((r) => setTimeout(r, 600));
          stalls.push(stall);
          await stall;
          throw networkError('ETIMEDOUT');
        }
      },
    });
    const puts = new Map<string, Promise<PutResult>>();
    for (let i = 0; i < 5_000; i++) puts.set(String(i), producer.put(String(i), `key-${i % 300}`));
    const outcomes = await settleAll(puts);
    await producer.close();
    await Promise.all(stalls);
    client.destroy();

    const copies = await ownedCopies(k.kinesis, streamName);
    const bad = [...outcomes].filter(([id, o]) => o.status !== 'fulfilled' || copies.get(id) !== 1).map(([id]) => id);
    expect(bad.slice(0, 10)).toEqual([]);
    const codes = new Set([...outcomes.values()].flatMap((o) => (o.status === 'fulfilled' ? o.value.attempts.map((a) => a.errorCode) : [])));
    expect(codes).toEqual(new Set([undefined, 'InternalFailureException', 'ECONNRESET', 'TimeoutError']));
  });

  it('fails non-retryable errors fast with their typed error and expires records whose TTL runs out; the rest lands', async () => {
    const streamName = uniqueName('faults');
    await createStream(k.kinesis, streamName, 2);
    // Unaggregated, so that a poisoned entry is one user record.
    const { client, metrics, producer } = await producerWithFaultyClient(streamName, { aggregation: false, recordTtlMs: 1_000 });
    injectPartialFailures(
      client,
      (entry) => {
        if (entry.PartitionKey.startsWith('kms-')) return { errorCode: 'KMSDisabledException', errorMessage: 'key disabled' };
        if (entry.PartitionKey.startsWith('hot-')) return { errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'Rate exceeded' };
        return undefined;
      },
      scratch,
    );
    const puts = new Map<string, Promise<PutResult>>();
    for (let i = 0; i < 300; i++) puts.set(String(i), producer.put(String(i), `${['ok', 'kms', 'hot'][i % 3]}-${i}`));
    const started = Date.now();
    const outcomes = await settleAll(puts);
    await producer.close();
    client.destroy();

    const copies = await ownedCopies(k.kinesis, streamName);
    const problems: string[] = [];
    for (const [id, o] of outcomes) {
      const kind = ['ok', 'kms', 'hot'][Number(id) % 3];
      if (kind === 'ok') {
        if (o.status !== 'fulfilled' || copies.get(id) !== 1) problems.push(`${id}: not written once`);
        continue;
      }
      if (o.status !== 'rejected' || copies.has(id)) {
        problems.push(`${id}: should have failed unwritten`);
        continue;
      }
      const failure = putFailureOf(o.reason)!;
      if (kind === 'kms' && !(o.reason instanceof AwsServiceError && failure.attempts.length === 1)) problems.push(`${id}: ${o.reason} after ${failure.attempts.length} attempts`);
      if (kind === 'hot' && !(o.reason instanceof RecordExpiredError && o.reason.cause instanceof ThrottledError && failure.attempts.at(-1)!.errorCode === 'Expired'))
        problems.push(`${id}: ${o.reason}`);
      // Backoff (10 ms ×2 up to 200 ms) bounds the retries within the 1 s TTL.
      if (failure.attempts.length > 20) problems.push(`${id}: ${failure.attempts.length} attempts`);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(metrics.value('producer_user_records_expired_total')).toBe(100);
  });

  it('fails a whole request refused for access at once, with AccessDeniedError', async () => {
    const streamName = uniqueName('faults');
    await createStream(k.kinesis, streamName, 1);
    const { client, producer } = await producerWithFaultyClient(streamName);
    injectFaults(client, {
      before(ctx) {
        if (ctx.commandName === 'PutRecordsCommand') throw serviceError('AccessDeniedException', 'User is not authorized to perform: kinesis:PutRecords');
      },
    });
    const failures: unknown[] = [];
    producer.on('failure', (f) => failures.push(f.error));
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => producer.put(`v${i}`, `k${i}`)));
    await producer.close();
    client.destroy();
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof AccessDeniedError && putFailureOf(o.reason)!.attempts.length === 1)).toBe(true);
    expect(failures).toHaveLength(50);
  });
});
