/**
 * Enhanced fan-out on a second engine: kinesis-local 0.6.2 (the engine LocalStack runs), which
 * implements RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers and
 * SubscribeToShard itself, so this test does not go through testkit's HTTP/2 front at all.
 *
 * What it shows: a Worker with `retrieval: 'fanout'` registers its stream consumer on a real
 * engine (not our own front), waits for it to be ACTIVE, subscribes to each held shard from
 * TRIM_HORIZON, decodes that engine's event stream, delivers every record exactly once in put
 * order per shard (records put before the worker started and records put while it is subscribed),
 * never calls GetRecords, and stops cleanly (leases on dynalite as in the other tests).
 *
 * What it does not show, because kinesis-local cannot do it:
 * - HTTP/2: kinesis-local's HTTP/2 stack breaks the stock `NodeHttp2Handler` (an unsolicited PING
 *   ACK after the handler's GOAWAY; see local-emulators.md), so `fanout.kinesisClient` here is an
 *   HTTP/1.1 `NodeHttpHandler` client (core's `createKinesisClient`). Real AWS requires HTTP/2; the
 *   HTTP/2 path is covered by fanout.integration.test.ts against the front.
 * - Shard end: kinesis-local never sends the final event (null ContinuationSequenceNumber with
 *   ChildShards) on a closed shard, so splits and merges are not tested here (the front does it).
 * - Subscription renewal: its subscriptions last the real 5 minutes, longer than a test may run, so
 *   resubscription from ContinuationSequenceNumber is not exercised here (the front's are 1.5 s).
 * - Faults (ResourceInUse, exception events, silence): it has no knobs for them.
 * It sends an event every 1000 ms and a subscription takes ~2 s to open, so latency is not
 * measured here either.
 */
import { type KinesisClient, ListStreamConsumersCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '@shardline/core';
import { createStream, injectFaults, type KinesisLocal, startKinesisLocal, uniqueName } from '@shardline/testkit';
import { Worker } from '../src';
import { PeakMetrics } from './fanoutHelpers';
import { Ledger, putRecords, testWorkerOptions, useEmulators, waitFor } from './helpers';

jest.setTimeout(60_000);

// dynalite only: the leases; every Kinesis call goes to kinesis-local.
const t = useEmulators({ kinesis: false });
let local: KinesisLocal;
let kinesis: KinesisClient;

beforeAll(async () => {
  local = await startKinesisLocal();
  // HTTP/1.1 (NodeHttpHandler): the only transport kinesis-local's SubscribeToShard works over.
  kinesis = createKinesisClient({ endpoint: local.endpoint, env: {}, maxAttempts: 1 });
});

afterAll(async () => {
  kinesis?.destroy();
  await local?.stop();
});

describe('enhanced fan-out retrieval on kinesis-local (HTTP/1.1)', () => {
  it('registers the consumer, reads every record exactly once in order per shard, and stops cleanly', async () => {
    const streamName = uniqueName('fanout-local');
    await createStream(kinesis, streamName, 2);
    const streamArn = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary!.StreamARN!;
    const before = await putRecords(kinesis, streamName, 60, 'a');
    const faults = injectFaults(kinesis, {});
    const ledger = new Ledger();
    const metrics = new PeakMetrics();
    const applicationName = uniqueName('app');
    const worker = new Worker(
      testWorkerOptions(t, {
        applicationName,
        streamName,
        processor: ledger.processor(),
        metrics,
        kinesisClient: kinesis,
        retrieval: 'fanout',
        fanout: { kinesisClient: kinesis, registrationPollMs: 100, healthCheckTimeoutMs: 10_000, resubscribeBackoff: { baseDelayMs: 100, maxDelayMs: 1_000 } },
      }),
    );
    try {
      await worker.start();
      await waitFor(() => ledger.distinct().size === 60, 25_000, 'the 60 records put before the start');
      // Put while subscribed: pushed on the open subscriptions (kinesis-local sends an event a second).
      const during = await putRecords(kinesis, streamName, 40, 'b');
      await waitFor(() => ledger.distinct().size === 100, 15_000, 'the 40 records put while subscribed');
      const stopStarted = performance.now();
      await worker.stop();
      expect(performance.now() - stopStarted).toBeLessThan(10_000);
      // Exactly once, in put order, per shard.
      const shards = new Set([...before.keys(), ...during.keys()]);
      for (const shardId of shards) expect(ledger.byShard.get(shardId)).toEqual([...(before.get(shardId) ?? []), ...(during.get(shardId) ?? [])]);
      expect([...ledger.byShard.keys()].sort()).toEqual([...shards].sort());
      expect(ledger.calls.filter((c) => c.startsWith('shutdownRequested')).sort()).toEqual([...shards].map((s) => `shutdownRequested ${s}`).sort());
      // Fan-out, not polling: every record came from SubscribeToShard events.
      expect(faults.calls.get('GetRecordsCommand') ?? 0).toBe(0);
      expect(faults.calls.get('SubscribeToShardCommand')).toBeGreaterThanOrEqual(shards.size);
      expect(faults.calls.get('RegisterStreamConsumerCommand')).toBe(1);
      expect(metrics.total('kcl_fanout_records_received_total')).toBe(100);
      const consumers = await kinesis.send(new ListStreamConsumersCommand({ StreamARN: streamArn }));
      expect((consumers.Consumers ?? []).map((c) => `${c.ConsumerName} ${c.ConsumerStatus}`)).toEqual([`${applicationName} ACTIVE`]);
    } finally {
      faults.remove();
      await worker.stop();
    }
  });
});
