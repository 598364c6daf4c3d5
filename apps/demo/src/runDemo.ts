import { SplitShardCommand } from '@aws-sdk/client-kinesis';
import { compareSequenceNumbers, createKinesisClient, createLogger, MemoryMetrics } from '@shardline/core';
import { type KinesisClientRecord, type RecordProcessor, type ShardContext, Worker } from '@shardline/kcl-consumer';
import { ShardMap } from '@shardline/kpl-aggregation';
import { Producer } from '@shardline/producer';
import { createStream, startEmulators, uniqueName, waitForStreamActive } from '@shardline/testkit';
import { randomUUID } from 'node:crypto';
import type { DemoArgs } from './parseDemoArgs';

/** What a demo run found. */
export interface DemoSummary {
  readonly ok: boolean;
  readonly produced: number;
  readonly consumed: number;
  readonly redeliveries: number;
  readonly orderViolations: number;
  readonly lineageViolations: number;
  readonly leases: number;
}

/**
 * Shardline demo: a producer writes records (KPL aggregation, shard prediction) while consumer
 * workers share the stream's shards through a KCL-compatible lease table. Midway a shard is split
 * and a worker leaves gracefully. At the end every record must have been consumed, children after
 * parents. With no AWS_ENDPOINT_URL* set, kinesalite and dynalite run in this process.
 */
export async function runDemo(args: DemoArgs, say: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<DemoSummary> {
  let ok = true;
  const log = createLogger({ name: 'demo', level: (process.env.SHARDLINE_LOG_LEVEL as 'info') ?? 'warn' });
  const external = Boolean(process.env.AWS_ENDPOINT_URL || process.env.AWS_ENDPOINT_URL_KINESIS);
  const emulators = external ? undefined : await startEmulators();
  const env = emulators ? { ...process.env, ...emulators.env } : process.env;
  say(`shardline demo: ${emulators ? 'embedded kinesalite + dynalite' : `external endpoints (${env.AWS_ENDPOINT_URL_KINESIS ?? env.AWS_ENDPOINT_URL})`}`);

  const kinesis = createKinesisClient({ env });
  const metrics = new MemoryMetrics();
  const streamName = process.env.SHARDLINE_DEMO_STREAM ?? uniqueName('shardline-demo');
  const tableName = `${streamName}-leases`;
  const workers: Worker[] = [];
  let producer: Producer | undefined;
  const seen = new Map<string, number>(); // record id → times consumed
  const byWorker = new Map<string, number>();
  const firstDeliveryAt = new Map<string, number>();
  const shardEndAt = new Map<string, number>();
  let orderViolations = 0;
  try {
    await createStream(kinesis, streamName, args.shards);
    say(`stream ${streamName}: ${args.shards} shards; lease table ${tableName}; ${args.workers} workers`);

    const onRecords = (workerId: string, shardId: string, records: readonly KinesisClientRecord[]): void => {
      byWorker.set(workerId, (byWorker.get(workerId) ?? 0) + records.length);
      if (records.length && !firstDeliveryAt.has(shardId)) firstDeliveryAt.set(shardId, performance.now());
      let previous: KinesisClientRecord | undefined;
      for (const r of records) {
        if (previous && (previous.sequenceNumber === r.sequenceNumber ? previous.subSequenceNumber >= r.subSequenceNumber : compareSequenceNumbers(previous.sequenceNumber, r.sequenceNumber) > 0)) orderViolations++;
        previous = r;
        const id = r.data.toString('utf8', 0, 36);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    };
    // The lifecycle shape: checkpoint each batch once it is recorded, and SHARD_END when the shard ends.
    const processor = (workerId: string) => (shard: ShardContext): RecordProcessor => ({
      processRecords: async ({ records, checkpointer }) => {
        onRecords(workerId, shard.shardId, records);
        await checkpointer.checkpoint();
      },
      shardEnded: async ({ checkpointer }) => {
        shardEndAt.set(shard.shardId, performance.now());
        await checkpointer.checkpoint();
      },
    });
    // Each worker syncs shards to leases at start (the first creates them), creates child leases at
    // a shard's end, and starts a child only once every parent has checkpointed SHARD_END.
    for (let i = 0; i < args.workers; i++) {
      const workerId = `worker-${i + 1}`;
      const worker = new Worker({
        applicationName: tableName, // the lease table's name, by KCL convention
        workerId,
        streamName,
        initialPosition: 'TRIM_HORIZON',
        processor: processor(workerId),
        failoverTimeMs: 3_000,
        idleTimeBetweenReadsMs: 250,
        clientOptions: { env },
        logger: log,
        metrics,
      });
      worker.on('error', (error) => log.warn({ err: error, workerId }, 'worker background task failed'));
      workers.push(worker);
      await worker.start();
    }

    // Let the workers balance the leases first: a lease that moves re-delivers from its checkpoint.
    const balancedBy = Date.now() + 15_000;
    while (Date.now() < balancedBy && !workers.every((w) => w.shards.length >= Math.floor(args.shards / args.workers))) await new Promise((r) => setTimeout(r, 100));
    say(`leases balanced: ${workers.map((w) => `${w.workerId} ${w.shards.length}`).join(', ')}`);

    producer = new Producer({ streamName, clientOptions: { env }, logger: log, metrics });
    const started = Date.now();
    const puts: Promise<unknown>[] = [];
    const shardsSeen = new Map<string, number>();
    for (let i = 0; i < args.records; i++) {
      const id = randomUUID();
      const p = producer.put(Buffer.from(`${id} ${JSON.stringify({ n: i, at: Date.now() })}`), `user-${i % 5000}`).then((r) => {
        shardsSeen.set(r.shardId, (shardsSeen.get(r.shardId) ?? 0) + 1);
      });
      puts.push(p);
      if (args.reshard && i === Math.floor(args.records / 2)) {
        await producer.flush();
        const first = (await ShardMap.fromStream(kinesis, { streamName })).shards[0]!;
        const mid = (first.range.startingHashKey + first.range.endingHashKey) / 2n;
        await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: first.shardId, NewStartingHashKey: mid.toString() }));
        await waitForStreamActive(kinesis, streamName);
        say(`resharding: split ${first.shardId} while producing`);
      }
      if (args.handover && workers.length > 1 && i === Math.floor((args.records * 3) / 4)) {
        const leaving = workers.pop()!;
        const held = leaving.shards.map((s) => s.leaseKey);
        await leaving.stop();
        say(`handover: ${leaving.workerId} left gracefully while producing, released ${held.length} lease(s): ${held.join(', ') || 'none'}`);
      }
    }
    await Promise.all(puts);
    await producer.close();
    const producedMs = Date.now() - started;
    say(`produced ${args.records} records in ${producedMs} ms (${Math.round((args.records / producedMs) * 1000)} records/s) over shards ${[...shardsSeen.keys()].sort().join(', ')}`);
    say(`  Kinesis records put: ${metrics.total('producer_kinesis_records_put_total') || 'n/a'} (KPL aggregation)`);

    const deadline = Date.now() + args.timeoutMs;
    while (seen.size < args.records && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    const consumedMs = Date.now() - started;
    const duplicates = [...seen.values()].reduce((s, n) => s + n - 1, 0);
    let lineageViolations = 0;
    say(`consumed ${seen.size}/${args.records} distinct records in ${consumedMs} ms; ${duplicates} re-deliveries (at-least-once); in order per shard: ${orderViolations === 0 ? 'yes' : `NO (${orderViolations})`}`);
    for (const [w, n] of [...byWorker].sort()) say(`  ${w}: ${n} records`);
    const leases = await workers[0]!.coordinator.table.listLeases();
    for (const l of leases) {
      const childFirst = firstDeliveryAt.get(l.leaseKey);
      for (const parent of l.parentShardIds) if (childFirst !== undefined && !(shardEndAt.get(parent)! <= childFirst)) lineageViolations++;
    }
    say(`  children after parents: ${lineageViolations === 0 ? 'yes' : `NO (${lineageViolations} violations)`}`);
    if (lineageViolations || orderViolations) ok = false;
    for (const l of leases.sort((a, b) => a.leaseKey.localeCompare(b.leaseKey))) {
      say(`  lease ${l.leaseKey}: owner ${l.leaseOwner ?? '-'}, checkpoint ${l.checkpoint?.toString().slice(0, 24) ?? '-'}${l.parentShardIds.length ? `, parents ${l.parentShardIds.join('+')}` : ''}`);
    }
    if (seen.size !== args.records) {
      say('demo FAILED: not every record was consumed');
      ok = false;
    } else say('demo finished: every record produced was consumed');
    return { ok, produced: args.records, consumed: seen.size, redeliveries: duplicates, orderViolations, lineageViolations, leases: leases.length };
  } finally {
    await producer?.close().catch(() => undefined);
    await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
    kinesis.destroy();
    await emulators?.stop();
  }
}

