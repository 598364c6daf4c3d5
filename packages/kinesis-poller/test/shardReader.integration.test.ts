import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber, MemoryMetrics, TimeoutError } from '@shardline/core';
import { createStream, injectFaults, splitShard, uniqueName, useEmulators, waitFor } from '@shardline/testkit';
import { Aggregator, type UserRecord } from '@shardline/kpl-aggregation';
import { MemoryPositionStore, Poller, ShardReader, type ShardBatch, type ShardReaderOptions } from '../src';
import { Collector, putRecords } from './helpers';

const SHARD = 'shardId-000000000000';

/** Puts `aggregates` KPL aggregates of `perAggregate` user records `u-<a>-<i>`; returns each aggregate's sequence number. */
async function putAggregates(kinesis: KinesisClient, streamName: string, aggregates: number, perAggregate: number): Promise<string[]> {
  const records = [];
  for (let a = 0; a < aggregates; a++) {
    const aggregator = new Aggregator<UserRecord>();
    for (let i = 0; i < perAggregate; i++) aggregator.add({ partitionKey: `pk-${a}-${i}`, data: Buffer.from(`u-${a}-${i}`) });
    const k = aggregator.flush()!;
    records.push({ PartitionKey: k.partitionKey, ExplicitHashKey: k.explicitHashKey, Data: k.data });
  }
  const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: records }));
  return out.Records!.map((r) => r.SequenceNumber!);
}

async function readUntil(reader: ShardReader, done: (batches: ShardBatch[]) => boolean): Promise<ShardBatch[]> {
  const batches: ShardBatch[] = [];
  for await (const batch of reader) {
    batches.push(batch);
    if (done(batches)) break;
  }
  return batches;
}

const records = (batches: ShardBatch[]) => batches.flatMap((b) => b.records);
const ids = (batches: ShardBatch[]) => records(batches).map((r) => r.data.toString());

describe('ShardReader against kinesalite', () => {
  const env = useEmulators({ dynamodb: false });
  let kinesis: KinesisClient;
  beforeAll(() => (kinesis = env.kinesis));

  async function oneShardStream(): Promise<string> {
    const streamName = uniqueName('reader');
    await createStream(kinesis, streamName, 1);
    return streamName;
  }

  const reader = (streamName: string, extra: Partial<ShardReaderOptions> = {}) => new ShardReader({ client: kinesis, streamName, shardId: SHARD, idleTimeBetweenReadsMs: 200, ...extra });

  describe('aggregated records', () => {
    it('delivers user records with their sub-sequence numbers', async () => {
      const streamName = await oneShardStream();
      const seqs = await putAggregates(kinesis, streamName, 10, 50);
      const got = records(await readUntil(reader(streamName), (b) => records(b).length >= 500));
      expect(got).toHaveLength(500);
      got.forEach((r, n) => {
        const a = Math.floor(n / 50);
        expect(r.data.toString()).toBe(`u-${a}-${n % 50}`);
        expect(r.sequenceNumber).toBe(seqs[a]);
        expect(r.subSequenceNumber).toBe(n % 50);
        expect(r.aggregated).toBe(true);
      });
    });

    it('resumes after a position at sub-sequence k with sub-sequence k + 1', async () => {
      const streamName = await oneShardStream();
      const seqs = await putAggregates(kinesis, streamName, 5, 20);
      for (const k of [0, 7, 19]) {
        const got = records(await readUntil(reader(streamName, { startingPosition: new ExtendedSequenceNumber(seqs[2]!, k) }), (b) => records(b).length >= 60 - k - 1));
        const expected = [...Array.from({ length: 20 - k - 1 }, (_, i) => `u-2-${k + 1 + i}`), ...Array.from({ length: 40 }, (_, i) => `u-${3 + Math.floor(i / 20)}-${i % 20}`)];
        expect(got.map((r) => r.data.toString())).toEqual(expected);
        if (k < 19) expect(got[0]).toMatchObject({ sequenceNumber: seqs[2], subSequenceNumber: k + 1 });
      }
    });

    it('the poller resumes from a stored position inside an aggregate with the next sub-record', async () => {
      const streamName = await oneShardStream();
      const seqs = await putAggregates(kinesis, streamName, 3, 10);
      const store = new MemoryPositionStore();
      await store.save(streamName, new Map([[SHARD, new ExtendedSequenceNumber(seqs[1]!, 4)]]));
      const got = new Collector();
      const poller = new Poller({ client: kinesis, streamName, store, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0 });
      const running = poller.run((b) => got.add(b));
      await waitFor(() => got.count >= 15, 30_000, 'the rest of the records');
      await poller.stop();
      await running;
      expect(got.ids()).toEqual([...Array.from({ length: 5 }, (_, i) => `u-1-${5 + i}`), ...Array.from({ length: 10 }, (_, i) => `u-2-${i}`)]);
      expect(poller.positions.get(SHARD)).toEqual(new ExtendedSequenceNumber(seqs[2]!, 9));
    });

    it('AT_SEQUENCE_NUMBER with a sub-sequence number starts at that user record; AFTER with one starts after it', async () => {
      const streamName = await oneShardStream();
      const seqs = await putAggregates(kinesis, streamName, 2, 10);
      const at = ids(await readUntil(reader(streamName, { startingPosition: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: seqs[0]!, subSequenceNumber: 8 } }), (b) => records(b).length >= 12));
      expect(at.slice(0, 3)).toEqual(['u-0-8', 'u-0-9', 'u-1-0']);
      const after = ids(await readUntil(reader(streamName, { startingPosition: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seqs[0]!, subSequenceNumber: 8 } }), (b) => records(b).length >= 11));
      expect(after.slice(0, 2)).toEqual(['u-0-9', 'u-1-0']);
      const afterRecord = ids(await readUntil(reader(streamName, { startingPosition: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: seqs[0]! } }), (b) => records(b).length >= 10));
      expect(afterRecord[0]).toBe('u-1-0');
    });

    it('with deaggregate false, delivers the aggregates themselves', async () => {
      const streamName = await oneShardStream();
      await putAggregates(kinesis, streamName, 3, 10);
      const got = records(await readUntil(reader(streamName, { deaggregate: false }), (b) => records(b).length >= 3));
      expect(got).toHaveLength(3);
      expect(got.every((r) => !r.aggregated && r.subSequenceNumber === 0 && r.data.length > 100)).toBe(true);
    });
  });

  describe('iterator types', () => {
    it('TRIM_HORIZON, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP and LATEST start where they say', async () => {
      const streamName = await oneShardStream();
      const first = await putRecords(kinesis, streamName, 20, 'a');
      await new Promise((r) => setTimeout(r, 50));
      const timestamp = new Date();
      await new Promise((r) => setTimeout(r, 50));
      const second = await putRecords(kinesis, streamName, 20, 'b');
      const all = [...first, ...second].map((p) => p.id);
      const read = async (startingPosition: ShardReaderOptions['startingPosition'], n: number) => ids(await readUntil(reader(streamName, { startingPosition }), (b) => records(b).length >= n));
      expect(await read('TRIM_HORIZON', 40)).toEqual(all);
      expect(await read({ type: 'AT_SEQUENCE_NUMBER', sequenceNumber: first[5]!.sequenceNumber }, 35)).toEqual(all.slice(5));
      expect(await read({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: first[5]!.sequenceNumber }, 34)).toEqual(all.slice(6));
      expect(await read({ type: 'AT_TIMESTAMP', timestamp }, 20)).toEqual(all.slice(20));
      expect(await read(new ExtendedSequenceNumber(second[0]!.sequenceNumber), 19)).toEqual(all.slice(21));

      const latest = reader(streamName, { startingPosition: 'LATEST' });
      const faults = injectFaults(kinesis, {});
      const pending = readUntil(latest, (b) => records(b).length >= 5);
      await waitFor(() => (faults.calls.get('GetRecordsCommand') ?? 0) >= 1, 10_000, 'the first GetRecords');
      faults.remove();
      const third = await putRecords(kinesis, streamName, 5, 'c');
      expect(ids(await pending)).toEqual(third.map((p) => p.id));
    });
  });

  describe('backpressure, prefetch and stop', () => {
    async function callsWhileHolding(maxPrefetchBatches: number): Promise<number> {
      const streamName = await oneShardStream();
      await putRecords(kinesis, streamName, 1_000);
      const faults = injectFaults(kinesis, {});
      const calls = () => faults.calls.get('GetRecordsCommand') ?? 0;
      const r = reader(streamName, { limit: 100, maxPrefetchBatches });
      const it = r[Symbol.asyncIterator]();
      await it.next();
      // Hold the first batch: the reader may fetch only what prefetch allows, then must wait.
      await waitFor(() => calls() >= 1 + maxPrefetchBatches, 30_000, 'the prefetch');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const seen = calls();
      await it.return!();
      faults.remove();
      return seen;
    }

    it('does not call GetRecords again until the batch is handled', async () => {
      expect(await callsWhileHolding(0)).toBe(1);
    });

    it('fetches at most maxPrefetchBatches ahead', async () => {
      expect(await callsWhileHolding(2)).toBe(3);
    });

    it('delivers prefetched batches in order, and all of them', async () => {
      const streamName = await oneShardStream();
      const puts = await putRecords(kinesis, streamName, 1_000);
      const got = ids(await readUntil(reader(streamName, { limit: 100, maxPrefetchBatches: 3 }), (b) => records(b).length >= 1_000));
      expect(got).toEqual(puts.map((p) => p.id));
    });

    it('stop() ends a pending next() at once and releases the idle wait', async () => {
      const streamName = await oneShardStream();
      const r = reader(streamName, { idleTimeBetweenReadsMs: 60_000 });
      const it = r[Symbol.asyncIterator]();
      const pending = it.next();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const started = performance.now();
      await r.stop();
      await expect(pending).resolves.toEqual({ done: true, value: undefined });
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(r.stopped).toBe(true);
    });

    it('an AbortSignal stops it like stop()', async () => {
      const streamName = await oneShardStream();
      const controller = new AbortController();
      const r = reader(streamName, { signal: controller.signal, idleTimeBetweenReadsMs: 60_000 });
      const pending = readUntil(r, () => false);
      await new Promise((resolve) => setTimeout(resolve, 300));
      controller.abort();
      await expect(pending).resolves.toEqual([]);
    });

    it('aborts a call that takes longer than requestTimeoutMs and retries it, then surfaces TimeoutError', async () => {
      // kinesalite never answers AT_TIMESTAMP on a shard with no record at or after the timestamp.
      const streamName = await oneShardStream();
      const metrics = new MemoryMetrics();
      const r = reader(streamName, {
        startingPosition: { type: 'AT_TIMESTAMP', timestamp: Date.now() - 1_000 },
        requestTimeoutMs: 300,
        maxAttempts: 2,
        retryBackoff: { baseDelayMs: 1, maxDelayMs: 5 },
        metrics,
      });
      const error = await readUntil(r, () => false).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toBe(`GetShardIterator on ${SHARD} took longer than 300 ms`);
      expect(metrics.total('poller_retries_total')).toBe(1);
    });

    it('delivers empty batches with millisBehindLatest when asked to', async () => {
      const streamName = await oneShardStream();
      const metrics = new MemoryMetrics();
      const got = await readUntil(reader(streamName, { deliverEmptyBatches: true, metrics }), (b) => b.length >= 2);
      expect(got.map((b) => [b.records.length, b.millisBehindLatest, b.shardEnded, b.lastPosition])).toEqual([
        [0, 0, false, undefined],
        [0, 0, false, undefined],
      ]);
      expect(metrics.value('poller_get_records_total', { stream: streamName, shard_id: SHARD })).toBe(2);
    });
  });

  describe('shard end', () => {
    it('ends with a SHARD_END batch after the last record of a closed shard', async () => {
      const streamName = await oneShardStream();
      const puts = await putRecords(kinesis, streamName, 250);
      await splitShard(kinesis, streamName, SHARD);
      const batches = await readUntil(reader(streamName, { limit: 100 }), () => false);
      expect(ids(batches)).toEqual(puts.map((p) => p.id));
      const last = batches[batches.length - 1]!;
      expect(last.shardEnded).toBe(true);
      expect(last.lastPosition).toEqual(ExtendedSequenceNumber.SHARD_END);
      expect(last.childShards).toBeUndefined();
      expect(batches.slice(0, -1).every((b) => !b.shardEnded)).toBe(true);
    });

    it('starting at SHARD_END ends at once without calling Kinesis', async () => {
      const faults = injectFaults(kinesis, {});
      const batches = await readUntil(reader('no-such-stream', { startingPosition: ExtendedSequenceNumber.SHARD_END }), () => false);
      faults.remove();
      expect(batches).toEqual([{ shardId: SHARD, records: [], millisBehindLatest: undefined, shardEnded: true, childShards: undefined, lastPosition: ExtendedSequenceNumber.SHARD_END }]);
      expect(faults.calls.size).toBe(0);
    });
  });
});
