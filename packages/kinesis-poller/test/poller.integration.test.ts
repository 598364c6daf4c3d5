import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, createKinesisClient, type ExtendedSequenceNumber, MemoryMetrics } from '@shardline/core';
import { createStream, type Emulators, startEmulators, uniqueName, waitFor } from '@shardline/testkit';
import { DynamoDbPositionStore, FilePositionStore, Poller, type PollerOptions, type PositionStore } from '../src';
import { Collector, expectedByShard, type PutResult, putRecords } from './helpers';

/**
 * A user-implemented store that "crashes": after `crash()` it accepts saves without persisting
 * them, as if the process had died with those writes lost.
 */
class CrashableStore implements PositionStore {
  private crashed = false;
  constructor(private readonly inner: PositionStore) {}
  crash(): void {
    this.crashed = true;
  }
  load(ns: string) {
    return this.inner.load(ns);
  }
  async save(ns: string, positions: ReadonlyMap<string, ExtendedSequenceNumber>): Promise<void> {
    if (!this.crashed) await this.inner.save(ns, positions);
  }
  async close(): Promise<void> {}
}

describe('Poller against kinesalite', () => {
  let emulators: Emulators;
  let kinesis: KinesisClient;
  let dynamo: DynamoDBClient;
  let dir: string;
  const RECORDS = 20_000;
  let streamName: string;
  let puts: PutResult[];

  beforeAll(async () => {
    emulators = await startEmulators();
    kinesis = createKinesisClient({ env: emulators.env, maxAttempts: 1 });
    dynamo = createDynamoDbClient({ env: emulators.env });
    dir = mkdtempSync(path.join(tmpdir(), 'poller-'));
    streamName = uniqueName('poller');
    await createStream(kinesis, streamName, 4);
    puts = await putRecords(kinesis, streamName, RECORDS);
  });
  afterAll(async () => {
    kinesis.destroy();
    dynamo.destroy();
    await emulators.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const base = (): PollerOptions => ({ client: kinesis, streamName, startingPosition: 'TRIM_HORIZON', limit: 700, idleTimeBetweenReadsMs: 200, shardSyncIntervalMs: 0 });

  function expectInOrderPerShard(collector: Collector): void {
    const expected = expectedByShard(puts);
    expect([...collector.byShard.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [shardId, ids] of expected) expect(collector.byShard.get(shardId)).toEqual(ids);
  }

  it('reads 20k records across 4 shards completely, in order per shard, with the handler API', async () => {
    const metrics = new MemoryMetrics();
    const poller = new Poller({ ...base(), metrics });
    const got = new Collector();
    const running = poller.run((batch) => got.add(batch));
    await waitFor(() => got.count >= RECORDS, 60_000, 'all records');
    await poller.stop();
    await running;
    expect(got.count).toBe(RECORDS);
    expectInOrderPerShard(got);
    expect(metrics.total('poller_records_total')).toBe(RECORDS);
    expect(metrics.total('poller_bytes_total')).toBe(puts.reduce((n, p) => n + p.id.length, 0));
    expect(poller.state).toBe('stopped');
  });

  it('reads the same with the async-iterator API, and stop() inside the loop ends it after saving', async () => {
    const poller = new Poller(base());
    const got = new Collector();
    for await (const batch of poller) {
      got.add(batch);
      if (got.count >= RECORDS) void poller.stop();
    }
    expect(got.count).toBe(RECORDS);
    expectInOrderPerShard(got);
    for (const [shardId, ids] of expectedByShard(puts)) {
      const last = puts.find((p) => p.id === ids[ids.length - 1])!;
      expect(poller.positions.get(shardId)?.sequenceNumber).toBe(last.sequenceNumber);
    }
  });

  async function stopAndRestart(makeStore: () => PositionStore, appName: string): Promise<void> {
    const stopAt = 2_000 + Math.floor(Math.random() * (RECORDS - 4_000));
    const first = new Collector();
    const store1 = makeStore();
    const p1 = new Poller({ ...base(), store: store1, appName });
    await p1.run((batch) => {
      first.add(batch);
      if (first.count >= stopAt) void p1.stop();
    });
    await store1.close();
    expect(first.count).toBeGreaterThanOrEqual(stopAt);
    expect(first.count).toBeLessThan(RECORDS);

    const second = new Collector();
    const store2 = makeStore();
    const p2 = new Poller({ ...base(), store: store2, appName });
    const running = p2.run((batch) => second.add(batch));
    await waitFor(() => first.count + second.count >= RECORDS, 60_000, 'the rest of the records');
    await p2.stop();
    await running;
    await store2.close();
    // A graceful stop saves every handled batch: nothing is missed and nothing comes twice.
    const all = [...first.ids(), ...second.ids()];
    expect(all.length).toBe(RECORDS);
    expect(new Set(all).size).toBe(RECORDS);
    for (const [shardId, ids] of expectedByShard(puts)) {
      expect([...(first.byShard.get(shardId) ?? []), ...(second.byShard.get(shardId) ?? [])]).toEqual(ids);
    }
  }

  it('stops at a random point and resumes with the file store: nothing missed, nothing twice', async () => {
    const file = path.join(dir, 'positions.json');
    await stopAndRestart(() => new FilePositionStore(file), 'file-app');
  });

  it('stops at a random point and resumes with the DynamoDB store (dynalite)', async () => {
    const tableName = uniqueName('positions');
    await stopAndRestart(() => new DynamoDbPositionStore({ client: dynamo, tableName }), 'dynamo-app');
  });

  it('after a crash, re-delivers at most the last unsaved batch of each shard', async () => {
    const limit = 500;
    const crashAt = 3_000 + Math.floor(Math.random() * 10_000);
    const tableName = uniqueName('positions');
    const store = new CrashableStore(new DynamoDbPositionStore({ client: dynamo, tableName }));
    const first = new Collector();
    const p1 = new Poller({ ...base(), limit, store, appName: 'crash' });
    await p1.run((batch) => {
      first.add(batch);
      if (first.count >= crashAt) {
        // From here on nothing reaches the table: the process is gone as far as the store knows.
        store.crash();
        void p1.stop();
      }
    });
    const second = new Collector();
    const p2 = new Poller({ ...base(), limit, store: new DynamoDbPositionStore({ client: dynamo, tableName }), appName: 'crash' });
    const running = p2.run((batch) => second.add(batch));
    const firstIds = new Set(first.ids());
    await waitFor(() => new Set([...firstIds, ...second.ids()]).size >= RECORDS, 60_000, 'every record');
    await p2.stop();
    await running;
    let redelivered = 0;
    for (const [shardId, ids] of expectedByShard(puts)) {
      const a = first.byShard.get(shardId) ?? [];
      const b = second.byShard.get(shardId) ?? [];
      const again = b.filter((id) => firstIds.has(id));
      redelivered += again.length;
      // The second run starts exactly after the last saved position: a contiguous tail of the
      // first run, no longer than one batch, then everything else in order.
      expect(again.length).toBeLessThanOrEqual(limit);
      expect(again).toEqual(a.slice(a.length - again.length));
      expect([...a, ...b.slice(again.length)]).toEqual(ids);
    }
    // The batch that "crashed" was handled but never saved, so it does come again.
    expect(redelivered).toBeGreaterThan(0);
  });
});
