import { DeregisterStreamConsumerCommand, DescribeStreamSummaryCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber } from '@shardline/core';
import { aggregateRecords } from '@shardline/kpl-aggregation';
import { createStream, type FanOutFront, uniqueName } from '@shardline/testkit';
import { FanOutRetrieval, type KinesisClientRecord, Worker } from '../src';
import { fanOutWorkerOptions, frontClient, listConsumers, PeakMetrics, startFront } from './fanoutHelpers';
import { Ledger, putRecords, splitShard, useEmulators, waitFor } from './helpers';

const t = useEmulators();

/** Everything a test opened, closed after it whatever happens. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(shards: number, frontOptions: Parameters<typeof startFront>[1] = {}, clientConfig: Parameters<typeof frontClient>[2] = {}) {
  const front = await startFront(t, frontOptions);
  cleanups.push(() => front.close());
  const client = frontClient(t, front, clientConfig);
  cleanups.push(() => client.destroy());
  const streamName = uniqueName('fanout');
  await createStream(t.kinesis, streamName, shards);
  const streamArn = (await t.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary!.StreamARN!;
  return { front, client, streamName, streamArn };
}

function startWorker(worker: Worker): Promise<void> {
  cleanups.push(() => worker.stop());
  return worker.start();
}

const ids = (records: readonly KinesisClientRecord[]): string[] => records.map((r) => r.data.toString());
const restarts = (metrics: PeakMetrics, reason: string): number => metrics.sum('kcl_fanout_subscription_restarts_total', { reason });
const subscribesOf = (front: FanOutFront, shardId: string) => front.subscriptions().filter((s) => s.shardId === shardId);

describe('enhanced fan-out retrieval through the HTTP/2 test front', () => {
  it('registers the consumer, reads every record once in order per shard across subscription ends, and leaves the consumer registered', async () => {
    const { front, client, streamName, streamArn } = await setup(2);
    const expected = await putRecords(t.kinesis, streamName, 400, 'a');
    const ledger = new Ledger();
    const metrics = new PeakMetrics();
    const applicationName = uniqueName('app');
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName, streamName, processor: ledger.processor(), metrics }));
    await startWorker(worker);
    await waitFor(() => ledger.distinct().size === 400, 20_000, 'the first 400');
    // Keep putting while subscriptions expire (1.5 s here, 5 minutes on AWS) and are renewed.
    await new Promise((r) => setTimeout(r, 2_000));
    const more = await putRecords(t.kinesis, streamName, 200, 'b');
    await waitFor(() => ledger.distinct().size === 600, 20_000, 'all 600');
    await worker.stop();
    for (const [shardId, list] of expected) expect(ledger.byShard.get(shardId)).toEqual([...list, ...(more.get(shardId) ?? [])]);
    for (const shardId of expected.keys()) {
      const subs = subscribesOf(front, shardId);
      expect(subs.length).toBeGreaterThanOrEqual(2);
      expect(subs[0]!.startingPosition.Type).toBe('TRIM_HORIZON');
      expect(subs.slice(1).every((s) => s.startingPosition.Type === 'AFTER_SEQUENCE_NUMBER')).toBe(true);
      expect(subs.filter((s) => s.endReason === 'expired').length).toBeGreaterThanOrEqual(1);
    }
    expect(restarts(metrics, 'completed')).toBeGreaterThanOrEqual(2);
    expect(metrics.total('kcl_fanout_records_received_total')).toBe(600);
    expect(front.stats().open).toBe(0);
    expect(await listConsumers(client, streamArn)).toEqual([`${applicationName} ACTIVE`]);
  });

  it('resumes a checkpoint inside a KPL aggregate at that sequence number, skipping the sub-records already processed', async () => {
    const { front, client, streamName } = await setup(1);
    const [aggregate] = aggregateRecords(Array.from({ length: 6 }, (_, i) => ({ partitionKey: 'pk', data: `u-${i}` })));
    const put = await t.kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'a', Data: aggregate!.data }));
    const applicationName = uniqueName('app');
    const first = new Ledger();
    // Checkpoints at the third sub-record, then stops.
    const w1 = new Worker(
      fanOutWorkerOptions(t, client, {
        applicationName,
        streamName,
        processor: first.processor({
          processRecords: async ({ records, checkpointer }) => void (first.record('s', records), await checkpointer.checkpoint(records[2])),
          shutdownRequested: () => undefined,
        }),
      }),
    );
    await startWorker(w1);
    await waitFor(() => first.distinct().size === 6, 15_000, 'the aggregate');
    await w1.stop();
    const second = new Ledger();
    const w2 = new Worker(fanOutWorkerOptions(t, client, { applicationName, streamName, processor: second.processor() }));
    await startWorker(w2);
    await waitFor(() => second.distinct().size === 3, 15_000, 'the rest of the aggregate');
    await new Promise((r) => setTimeout(r, 300));
    await w2.stop();
    expect([...second.distinct()]).toEqual(['u-3', 'u-4', 'u-5']);
    expect(second.calls[0]).toBe(`initialize shardId-000000000000 ${new ExtendedSequenceNumber(put.SequenceNumber!, 2).toString()}`);
    // The second worker's first subscription re-reads the aggregate AT its sequence number.
    const resumed = subscribesOf(front, 'shardId-000000000000').filter((s) => s.startingPosition.Type !== 'TRIM_HORIZON' && s.startingPosition.Type !== 'AFTER_SEQUENCE_NUMBER');
    expect(resumed.map((s) => s.startingPosition)).toEqual([{ Type: 'AT_SEQUENCE_NUMBER', SequenceNumber: put.SequenceNumber }]);
  });

  it('ends a split parent with the shard-end event, then reads the children after it', async () => {
    const { front, client, streamName } = await setup(1);
    const before = await putRecords(t.kinesis, streamName, 100, 'p');
    await splitShard(t.kinesis, streamName, 'shardId-000000000000');
    const after = await putRecords(t.kinesis, streamName, 100, 'c');
    const ledger = new Ledger();
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName: uniqueName('app'), streamName, processor: ledger.processor() }));
    await startWorker(worker);
    await waitFor(() => ledger.distinct().size === 200, 25_000, 'parent and children');
    await worker.stop();
    expect(ledger.byShard.get('shardId-000000000000')).toEqual(before.get('shardId-000000000000'));
    expect(ledger.calls).toContain('shardEnded shardId-000000000000');
    for (const [shardId, list] of after) {
      expect(ledger.byShard.get(shardId)).toEqual(list);
      expect(ledger.firstRecordAt.get(shardId)!).toBeGreaterThanOrEqual(ledger.shardEndAt.get('shardId-000000000000')!);
    }
    expect(subscribesOf(front, 'shardId-000000000000').at(-1)!.endReason).toBe('shard-end');
  });
});

describe('enhanced fan-out faults', () => {
  it('backs off at least 5 s after ResourceInUseException (a subscription less than 5 s old)', async () => {
    const { front, client, streamName } = await setup(1);
    await putRecords(t.kinesis, streamName, 10);
    front.rejectSubscribes({ count: 1 });
    const metrics = new PeakMetrics();
    const ledger = new Ledger();
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName: uniqueName('app'), streamName, processor: ledger.processor(), metrics }));
    await startWorker(worker);
    await waitFor(() => front.stats().rejectedSubscribes === 1, 10_000, 'the refused subscription');
    const refusedAt = Date.now();
    await waitFor(() => ledger.distinct().size === 10, 15_000, 'the records');
    expect(subscribesOf(front, 'shardId-000000000000')[0]!.openedAt - refusedAt).toBeGreaterThanOrEqual(4_900);
    expect(restarts(metrics, 'resource-in-use')).toBe(1);
  });

  it('resubscribes from the last continuation after an exception event mid-stream: nothing lost, nothing twice', async () => {
    const { front, client, streamName } = await setup(1);
    const metrics = new PeakMetrics();
    const ledger = new Ledger();
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName: uniqueName('app'), streamName, processor: ledger.processor(), metrics }));
    await startWorker(worker);
    const first = await putRecords(t.kinesis, streamName, 50, 'a');
    await waitFor(() => ledger.distinct().size === 50, 15_000, 'the first records');
    expect(front.injectException({ exceptionType: 'InternalFailureException' })).toBe(1);
    const second = await putRecords(t.kinesis, streamName, 50, 'b');
    await waitFor(() => ledger.distinct().size === 100, 15_000, 'the records after the exception');
    const shard = 'shardId-000000000000';
    expect(ledger.byShard.get(shard)).toEqual([...first.get(shard)!, ...second.get(shard)!]);
    const subs = subscribesOf(front, shard);
    const broken = subs.findIndex((s) => s.endReason === 'exception');
    expect(broken).toBeGreaterThanOrEqual(0);
    expect(subs[broken + 1]!.startingPosition.Type).toBe('AFTER_SEQUENCE_NUMBER');
    expect(restarts(metrics, 'exception')).toBe(1);
  });

  it('cancels a silent subscription after healthCheckTimeoutMs and resubscribes; records flow once it speaks again', async () => {
    const { front, client, streamName } = await setup(1);
    const metrics = new PeakMetrics();
    const ledger = new Ledger();
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName: uniqueName('app'), streamName, processor: ledger.processor(), metrics, fanout: { healthCheckTimeoutMs: 400 } }));
    await startWorker(worker);
    await waitFor(() => front.stats().open === 1, 10_000, 'a subscription');
    front.silence();
    const put = await putRecords(t.kinesis, streamName, 20);
    await waitFor(() => restarts(metrics, 'silent') >= 2, 10_000, 'health-check restarts');
    expect(ledger.distinct().size).toBe(0);
    expect(front.subscriptions().some((s) => s.endReason === 'cancelled')).toBe(true);
    front.resume();
    await waitFor(() => ledger.distinct().size === 20, 10_000, 'the records after resume');
    expect(ledger.byShard.get('shardId-000000000000')).toEqual(put.get('shardId-000000000000'));
  });

  it('resubscribes after an HTTP/2 read timeout of the SDK handler', async () => {
    // The handler's socket timeout (300 ms; the SDK sets one by default) fires before the health check (5 s) on a
    // silent stream, and fails the event stream with a TimeoutError.
    const { front, client, streamName } = await setup(1, {}, { requestHandler: { defaultSocketTimeout: 300 } as never });
    const metrics = new PeakMetrics();
    const ledger = new Ledger();
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName: uniqueName('app'), streamName, processor: ledger.processor(), metrics }));
    await startWorker(worker);
    await waitFor(() => front.stats().open === 1, 10_000, 'a subscription');
    front.silence();
    await waitFor(() => restarts(metrics, 'read-timeout') >= 1, 10_000, 'a read-timeout restart');
    expect(restarts(metrics, 'silent')).toBe(0);
    front.resume();
    await putRecords(t.kinesis, streamName, 10);
    await waitFor(() => ledger.distinct().size === 10, 10_000, 'the records');
  });

  it('registers the consumer again when it is deleted under the worker, and goes on from the continuation', async () => {
    const { front, client, streamName, streamArn } = await setup(1);
    const metrics = new PeakMetrics();
    const ledger = new Ledger();
    const applicationName = uniqueName('app');
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName, streamName, processor: ledger.processor(), metrics }));
    await startWorker(worker);
    const first = await putRecords(t.kinesis, streamName, 30, 'a');
    await waitFor(() => ledger.distinct().size === 30, 15_000, 'the first records');
    const arn = front.subscriptions()[0]!.consumerArn;
    await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: arn }));
    const second = await putRecords(t.kinesis, streamName, 30, 'b');
    await waitFor(() => ledger.distinct().size === 60, 20_000, 'the records after re-registration');
    const shard = 'shardId-000000000000';
    expect(ledger.byShard.get(shard)).toEqual([...first.get(shard)!, ...second.get(shard)!]);
    expect(restarts(metrics, 'consumer-missing')).toBeGreaterThanOrEqual(1);
    const last = front.subscriptions().at(-1)!;
    expect(last.consumerArn).not.toBe(arn);
    expect(await listConsumers(client, streamArn)).toEqual([`${applicationName} ACTIVE`]);
  });

  it('fails loudly when a consumer given as consumerArn is deleted: the shard is released as failed', async () => {
    const { client, streamName } = await setup(1);
    const retrieval = new FanOutRetrieval({ applicationName: uniqueName('app'), kinesisClient: client, registrationPollMs: 50 });
    cleanups.push(() => retrieval.close());
    const arn = await retrieval.consumerArn(streamName);
    await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: arn }));
    await waitFor(
      async () => (await listConsumers(client, (await t.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary!.StreamARN!)).length === 0,
      5_000,
      'the deletion',
    );
    const failed: string[] = [];
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName: uniqueName('app'), streamName, handler: () => undefined, maxProcessingAttempts: 1, fanout: { consumerArn: arn } }));
    worker.on('processorFailed', (key, outcome) => failed.push(`${key} ${outcome}`));
    await startWorker(worker);
    await waitFor(() => failed.length > 0, 15_000, 'the failure');
    expect(failed[0]).toBe('shardId-000000000000 failed');
  });
});

describe('enhanced fan-out retriever: stop and backpressure', () => {
  it('stop() cancels the subscription at once: the stream is closed and no batch is delivered after it', async () => {
    const { front, client, streamName } = await setup(1);
    const retrieval = new FanOutRetrieval({ applicationName: uniqueName('app'), kinesisClient: client, registrationPollMs: 50 });
    cleanups.push(() => retrieval.close());
    await putRecords(t.kinesis, streamName, 20);
    const retriever = retrieval.createRetriever({ streamName, shardId: 'shardId-000000000000', startingPosition: 'TRIM_HORIZON', shardRange: undefined });
    const batches = retriever[Symbol.asyncIterator]();
    const firstBatch = await batches.next();
    expect(firstBatch.done).toBe(false);
    const pending = batches.next();
    const startedAt = performance.now();
    await retriever.stop();
    expect(performance.now() - startedAt).toBeLessThan(1_000);
    expect(await pending).toEqual({ done: true, value: undefined });
    await putRecords(t.kinesis, streamName, 20);
    expect(await batches.next()).toEqual({ done: true, value: undefined });
    await waitFor(() => front.stats().open === 0, 2_000, 'the front to see the stream closed');
    expect(front.subscriptions()[0]!.endReason).toBe('cancelled');
    expect(retrieval.activeRetrievers).toBe(0);
  });

  it('a lease lost while subscribed cancels the subscription; the processor gets no record after leaseLost', async () => {
    const { front, client, streamName } = await setup(1);
    const ledger = new Ledger();
    let lostAt: number | undefined;
    const lateRecords: string[] = [];
    let instances = 0;
    // Only the first processor instance is watched: the worker may take the lease back later (nobody renews it) with a new one.
    const processor = (shard: Parameters<ReturnType<Ledger['processor']>>[0]) => {
      const first = ++instances === 1;
      return ledger.processor({
        processRecords: async ({ records, checkpointer }) => {
          if (first && lostAt !== undefined) lateRecords.push(...ids(records));
          ledger.record(shard.shardId, records);
          await checkpointer.checkpoint().catch(() => undefined);
        },
        leaseLost: () => void (first && (lostAt ??= performance.now())),
      })(shard);
    };
    const worker = new Worker(fanOutWorkerOptions(t, client, { applicationName: uniqueName('app'), streamName, processor }));
    await startWorker(worker);
    await putRecords(t.kinesis, streamName, 10, 'a');
    await waitFor(() => ledger.distinct().size === 10, 15_000, 'the first records');
    // Another worker takes the lease (retried until the write wins over this worker's renewals).
    await waitFor(
      async () => {
        const lease = await worker.coordinator.table.getLease('shardId-000000000000');
        return lease !== undefined && (await worker.coordinator.table.takeLease(lease, 'another-worker')).ok;
      },
      5_000,
      'the take',
    );
    await waitFor(() => lostAt !== undefined, 10_000, 'leaseLost');
    const lostSubscription = front.subscriptions().at(-1)!;
    await putRecords(t.kinesis, streamName, 10, 'b');
    await waitFor(() => front.subscriptions().find((s) => s.openedAt === lostSubscription.openedAt)?.endReason !== undefined, 5_000, 'the subscription to be cancelled');
    expect(front.subscriptions().find((s) => s.openedAt === lostSubscription.openedAt)!.endReason).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 500));
    expect(lateRecords).toEqual([]);
  });

  it('a slow processor never has more than maxBufferedEventsPerShard events buffered; HTTP/2 flow control holds the rest', async () => {
    const { front, client, streamName } = await setup(1, { maxRecordsPerEvent: 5 });
    const metrics = new PeakMetrics();
    const retrieval = new FanOutRetrieval({ applicationName: uniqueName('app'), kinesisClient: client, registrationPollMs: 50, maxBufferedEventsPerShard: 3, metrics });
    cleanups.push(() => retrieval.close());
    // 300 records of 8 KiB: 60 events of 40 KiB, far beyond one HTTP/2 window (64 KiB).
    const big = Buffer.alloc(8 * 1024, 'x');
    for (let i = 0; i < 300; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => t.kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: `pk-${i + j}`, Data: big }))));
    }
    const retriever = retrieval.createRetriever({ streamName, shardId: 'shardId-000000000000', startingPosition: 'TRIM_HORIZON', shardRange: undefined });
    let consumed = 0;
    let sentWhileSlow = 0;
    for await (const batch of retriever) {
      consumed += batch.records.length > 0 ? 1 : 0;
      await new Promise((r) => setTimeout(r, 100));
      if (consumed === 15) {
        sentWhileSlow = front.stats().eventsSent;
        break;
      }
    }
    const labels = { stream: streamName, shard_id: 'shardId-000000000000' };
    expect(metrics.peak('kcl_fanout_buffered_events', labels)).toBe(3);
    // What the front could write: what was consumed and buffered, plus what the flow-control windows and socket buffers hold.
    expect(sentWhileSlow).toBeLessThan(15 + 3 + 8);
    expect(sentWhileSlow).toBeLessThan(60);
  });
});
