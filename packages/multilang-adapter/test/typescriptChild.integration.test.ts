import path from 'node:path';
import { PutRecordCommand } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber } from '@shardline/core';
import { Aggregator } from '@shardline/kpl-aggregation';
import { createStream, uniqueName } from '@shardline/testkit';
import type { MultiLangDaemonOptions } from '../src/daemon/MultiLangDaemonOptions';
import { type ChildEvent, FixtureRun, isAlive, leasesOf, putRecords, RecordingLogger, shardId, splitShard, testWorker, useDaemons, useEmulators, waitFor } from './daemonHelpers';

// shardline's daemon with a child written in TypeScript on runMultiLangProcessor, run from its
// sources the way a TypeScript application runs one without a build step.
const t = useEmulators();
const daemons = useDaemons();
const runs: FixtureRun[] = [];
afterEach(() => runs.splice(0).forEach((r) => r.remove()));

const PACKAGE_DIR = path.join(__dirname, '..');
const CHILD = `${process.execPath} --conditions=shardline-source --import tsx ${path.join(__dirname, 'fixtures', 'typescriptConsumer.ts')}`;

const lastOf = <T>(items: readonly T[]): T => items[items.length - 1]!;
const lifecycleOf = (events: readonly ChildEvent[], shard: string): string[] =>
  events.filter((e) => e.shardId === shard).map((e) => (e.event === 'checkpointed' ? `checkpointed:${String(e.at)}` : e.event));

/** A daemon running the TypeScript child; tsx compiles the child at its start, so calls get a generous timeout. */
function daemonOptions(
  run: FixtureRun,
  logger: RecordingLogger,
  worker: Pick<MultiLangDaemonOptions['worker'], 'applicationName' | 'streamName'>,
  env: Record<string, string> = {},
): MultiLangDaemonOptions {
  return { executableName: CHILD, cwd: PACKAGE_DIR, env: run.env(env), logger, worker: testWorker(t, { ...worker, processingTimeoutMs: 30_000 }) };
}

describe('MultiLangDaemon with a TypeScript child (runMultiLangProcessor)', () => {
  it('delivers every record, stores the child’s checkpoints, ends a split shard with SHARD_END and stops gracefully; console.log in the child goes to the daemon’s log', async () => {
    const run = new FixtureRun();
    runs.push(run);
    const streamName = uniqueName('ml-ts');
    await createStream(t.kinesis, streamName, 2);
    const before = await putRecords(t.kinesis, streamName, 200, 'before');
    const logger = new RecordingLogger();
    const daemon = await daemons.start(daemonOptions(run, logger, { applicationName: uniqueName('ml-ts-app'), streamName }));
    const tableName = daemon.worker.options.tableName;

    await waitFor(() => run.distinctDelivered().size === 200, 30_000, 'the first 200 records');
    await waitFor(
      async () => {
        const leases = await leasesOf(t, tableName);
        return [...before].every(([shard, records]) => leases.find((l) => l.leaseKey === shard)?.checkpoint?.equals(new ExtendedSequenceNumber(lastOf(records).sequenceNumber)));
      },
      10_000,
      'checkpoints at the last record of each shard',
    );
    // The stdout guard sends console.log to stderr: the daemon logs it as a stderr line, never as a skipped stdout line.
    for (const shard of [shardId(0), shardId(1)]) {
      expect(logger.entries.some((e) => e.level === 'info' && e.fields.shardId === shard && e.fields.stream === 'stderr' && e.message === `console.log from the child of ${shard}`)).toBe(true);
    }
    expect(logger.entries.filter((e) => e.fields.skipped === true)).toEqual([]);

    await splitShard(t.kinesis, streamName, shardId(0));
    const after = await putRecords(t.kinesis, streamName, 100, 'after');
    await waitFor(() => run.distinctDelivered().size === 300, 30_000, 'all 300 records');
    await waitFor(async () => (await leasesOf(t, tableName)).find((l) => l.leaseKey === shardId(0))?.checkpoint?.equals(ExtendedSequenceNumber.SHARD_END) ?? false, 10_000, 'SHARD_END on the parent');
    await waitFor(() => run.events().some((e) => e.shardId === shardId(0) && e.event === 'stdinEnd'), 10_000, 'the parent’s child to see stdin EOF');

    const events = run.events();
    expect(lifecycleOf(events, shardId(0)).slice(-3)).toEqual(['shardEnded', 'checkpointed:shardEnded', 'stdinEnd']);
    expect(events.find((e) => e.shardId === shardId(0) && e.at === 'shardEnded')?.position).toBe('SHARD_END');
    const parentEnd = events.findIndex((e) => e.shardId === shardId(0) && e.event === 'shardEnded');
    for (const child of [shardId(2), shardId(3)]) {
      expect(events.findIndex((e) => e.shardId === child && e.event === 'initialize')).toBeGreaterThan(parentEnd);
    }
    await waitFor(() => !isAlive(events[parentEnd]!.pid), 5_000, 'the parent shard’s child to exit');
    // Every record exactly once, in order, per shard.
    const put = new Map([...before].map(([shard, records]) => [shard, records.map((r) => r.id)]));
    for (const [shard, records] of after) put.set(shard, [...(put.get(shard) ?? []), ...records.map((r) => r.id)]);
    expect(run.delivered()).toEqual(put);

    const pids = [...new Set(events.filter((e) => e.event === 'initialize').map((e) => e.pid))];
    expect(pids).toHaveLength(4);
    await daemon.stop();
    const final = run.events();
    for (const shard of [shardId(1), shardId(2), shardId(3)]) {
      expect(lifecycleOf(final, shard).slice(-4)).toEqual(['shutdownRequested', 'checkpointed:shutdownRequested', 'leaseLost', 'stdinEnd']);
    }
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 5_000, 'every child to exit');
    const leases = await leasesOf(t, tableName);
    expect(leases.filter((l) => l.leaseOwner !== undefined)).toEqual([]);
    for (const [shard, records] of after) expect(leases.find((l) => l.leaseKey === shard)?.checkpoint).toEqual(new ExtendedSequenceNumber(lastOf(records).sequenceNumber));
    expect(logger.entries.filter((e) => e.level === 'error' || e.level === 'warn')).toEqual([]);
  });

  it('a checkpoint at sub-sequence number 3 of a KPL aggregate is stored as such, and a restarted daemon resumes right after it: sub-records 4..9 first', async () => {
    const run = new FixtureRun();
    runs.push(run);
    const streamName = uniqueName('ml-ts-kpl');
    const applicationName = uniqueName('ml-ts-kpl-app');
    await createStream(t.kinesis, streamName, 1);
    const aggregator = new Aggregator();
    for (let i = 0; i < 10; i++) expect(aggregator.add({ partitionKey: `user-${i}`, data: Buffer.from(`agg-${i}`) })).toBeUndefined();
    const aggregate = aggregator.flush()!;
    expect(aggregate).toMatchObject({ aggregated: true, userRecords: expect.any(Array) });
    expect(aggregate.userRecords).toHaveLength(10);
    const { SequenceNumber: seq } = await t.kinesis.send(
      new PutRecordCommand({ StreamName: streamName, PartitionKey: aggregate.partitionKey, ExplicitHashKey: aggregate.explicitHashKey, Data: aggregate.data }),
    );
    const atSub3 = new ExtendedSequenceNumber(seq!, 3);

    // First run: the child checkpoints (seq, 3) only, then the daemon stops (the child does not checkpoint at the stop).
    const firstLogger = new RecordingLogger();
    const first = await daemons.start(daemonOptions(run, firstLogger, { applicationName, streamName }, { FIXTURE_CHECKPOINT_SUB: '3' }));
    await waitFor(() => run.events().some((e) => e.event === 'checkpointed'), 30_000, 'the checkpoint at sub-sequence 3');
    const firstEvents = run.events();
    expect(firstEvents.find((e) => e.event === 'records')).toMatchObject({
      ids: aggregate.userRecords.map((r) => r.data.toString()),
      positions: Array.from({ length: 10 }, (_, i) => `${seq}/${i}`),
      aggregated: Array.from({ length: 10 }, () => true),
    });
    expect(firstEvents.find((e) => e.event === 'checkpointed')?.position).toBe(atSub3.toString());
    expect((await leasesOf(t, applicationName))[0]?.checkpoint).toEqual(atSub3);
    await first.stop();
    expect(lifecycleOf(run.events(), shardId(0)).slice(-3)).toEqual(['shutdownRequested', 'leaseLost', 'stdinEnd']);
    expect((await leasesOf(t, applicationName))[0]).toMatchObject({ leaseOwner: undefined, checkpoint: atSub3 });

    // Second run, on the same lease table, with a child that checkpoints every batch.
    const seen = run.events().length;
    const [later] = (await putRecords(t.kinesis, streamName, 1, 'later')).get(shardId(0))!;
    const secondLogger = new RecordingLogger();
    const second = await daemons.start(daemonOptions(run, secondLogger, { applicationName, streamName }));
    await waitFor(() => run.distinctDelivered().has(later!.id), 30_000, 'the record put after the restart');
    const resumed = run.events().slice(seen);
    expect(resumed.find((e) => e.event === 'initialize')).toMatchObject({ sequenceNumber: seq, subSequenceNumber: 3 });
    const batches = resumed.filter((e) => e.event === 'records');
    expect(batches.flatMap((e) => e.ids as string[])).toEqual(['agg-4', 'agg-5', 'agg-6', 'agg-7', 'agg-8', 'agg-9', later!.id]);
    expect((batches[0]!.positions as string[]).slice(0, 6)).toEqual([4, 5, 6, 7, 8, 9].map((i) => `${seq}/${i}`));
    await waitFor(async () => (await leasesOf(t, applicationName))[0]?.checkpoint?.equals(new ExtendedSequenceNumber(later!.sequenceNumber)) ?? false, 10_000, 'the checkpoint at the later record');
    await second.stop();
    for (const logger of [firstLogger, secondLogger]) expect(logger.entries.filter((e) => e.level === 'error' || e.level === 'warn')).toEqual([]);
  });
});
