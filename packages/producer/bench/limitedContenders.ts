// The three contenders of the limited-stream benchmark, all at the same concurrency, all sending
// the same records (benchSupport's RECORD under key(i), i = 0, 1, 2, …).
import { type KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { createNoopLogger, listShards, MemoryMetrics } from '@shardline/core';
import { type KinesisRecord, ShardAggregator, ShardMap } from '@shardline/kpl-aggregation';
import { Producer } from '../src';
import { CONCURRENCY, type Contender, key, RECORD, type Running, sleep } from './benchSupport';

const MAX_BATCH_RECORDS = 500;
const MAX_BATCH_BYTES = 5 * 1_048_576;

/**
 * What a careful hand-written loop does after a call with throttled entries: full-jitter
 * exponential backoff (50 ms doubling to 2 s), reset by a call without failures.
 */
class Backoff {
  private ceilingMs = 0;
  async afterFailures(): Promise<void> {
    this.ceilingMs = Math.min(2_000, this.ceilingMs ? this.ceilingMs * 2 : 50);
    await sleep(Math.random() * this.ceilingMs);
  }
  reset(): void {
    this.ceilingMs = 0;
  }
}

/** Sends one batch; returns the indexes that failed (all of them when the call failed). */
async function putBatch(client: KinesisClient, streamName: string, entries: PutRecordsRequestEntry[]): Promise<number[]> {
  try {
    const out = await client.send(new PutRecordsCommand({ StreamName: streamName, Records: entries }));
    const failed: number[] = [];
    out.Records!.forEach((r, i) => r.ErrorCode && failed.push(i));
    return failed;
  } catch {
    return entries.map((_, i) => i);
  }
}

/** The producer with its defaults (150 % rate limit per shard, AIMD, 24 connections, 50 KiB aggregates, 5 MiB calls), fed through send(). */
export const producerContender: Contender = {
  name: 'producer',
  async start(client, streamName): Promise<Running> {
    const metrics = new MemoryMetrics();
    const producer = new Producer({ streamName, client, logger: createNoopLogger(), metrics });
    await producer.start();
    let stopped = false;
    const offering = (async () => {
      for (let i = 0; !stopped; i++) await producer.send(RECORD, key(i));
    })();
    return {
      acked: () => metrics.value('producer_user_records_put_total'),
      async stop() {
        stopped = true;
        await offering;
        // Writes what it buffered (at most its 100,000-record buffer, ~2.6 s at the limit).
        await producer.close({ timeoutMs: 20_000 });
        if (metrics.total('producer_user_records_failed_total') > 0) throw new Error('producer: records failed');
      },
    };
  },
};

/** Unaggregated PutRecords of 500 records, CONCURRENCY calls in flight, throttled entries retried first, with backoff. */
export const rawContender: Contender = {
  name: 'raw',
  async start(client, streamName): Promise<Running> {
    let stopped = false;
    let next = 0;
    let acked = 0;
    let sent = 0;
    const retry: PutRecordsRequestEntry[] = [];
    const entryBytes = RECORD.length + key(0).length;
    const worker = async (): Promise<void> => {
      const backoff = new Backoff();
      while (!stopped) {
        const batch = retry.splice(0, MAX_BATCH_RECORDS);
        while (batch.length < MAX_BATCH_RECORDS) batch.push({ PartitionKey: key(next++), Data: RECORD });
        sent += batch.length * entryBytes;
        const failed = await putBatch(client, streamName, batch);
        acked += batch.length - failed.length;
        for (const i of failed) retry.push(batch[i]!);
        if (failed.length) await backoff.afterFailures();
        else backoff.reset();
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    return {
      acked: () => acked,
      sentBytes: () => sent,
      async stop() {
        stopped = true;
        await Promise.all(workers);
      },
    };
  },
};

/**
 * The best a careful user could write by hand: kpl-aggregation's ShardAggregator (one 50 KiB
 * aggregate per predicted shard), finished aggregates collected into calls of ≤ 500 records and
 * ≤ 5 MiB, CONCURRENCY calls in flight, throttled aggregates retried first, with backoff.
 */
export const handAggregatorContender: Contender = {
  name: 'hand',
  async start(client, streamName): Promise<Running> {
    const aggregator = new ShardAggregator(new ShardMap(await listShards(client, { streamName }, true)));
    let stopped = false;
    let next = 0;
    let acked = 0;
    let sent = 0;
    const ready: KinesisRecord[] = [];
    let readyBytes = 0;
    const push = (r: KinesisRecord): void => {
      ready.push(r);
      readyBytes += r.sizeBytes;
    };
    const take = (): KinesisRecord[] => {
      const batch: KinesisRecord[] = [];
      let bytes = 0;
      while (ready.length && batch.length < MAX_BATCH_RECORDS && bytes + ready[0]!.sizeBytes <= MAX_BATCH_BYTES) {
        const r = ready.shift()!;
        bytes += r.sizeBytes;
        readyBytes -= r.sizeBytes;
        batch.push(r);
      }
      return batch;
    };
    const worker = async (): Promise<void> => {
      const backoff = new Backoff();
      while (!stopped) {
        // Pack new records until a full call's worth of aggregates is ready.
        while (readyBytes < MAX_BATCH_BYTES) {
          const done = aggregator.add({ partitionKey: key(next++), data: RECORD });
          if (done) push(done);
        }
        const batch = take();
        for (const r of batch) sent += r.sizeBytes;
        const entries = batch.map((r) => ({ PartitionKey: r.partitionKey, ExplicitHashKey: r.explicitHashKey, Data: r.data }));
        const failed = new Set(await putBatch(client, streamName, entries));
        batch.forEach((r, i) => (failed.has(i) ? undefined : (acked += r.userRecords.length)));
        // Retried ahead of new aggregates (same shard, same bytes).
        for (let i = batch.length - 1; i >= 0; i--) {
          if (failed.has(i)) {
            ready.unshift(batch[i]!);
            readyBytes += batch[i]!.sizeBytes;
          }
        }
        if (failed.size) await backoff.afterFailures();
        else backoff.reset();
      }
    };
    const workers = Array.from({ length: CONCURRENCY }, worker);
    return {
      acked: () => acked,
      sentBytes: () => sent,
      async stop() {
        stopped = true;
        await Promise.all(workers);
      },
    };
  },
};
