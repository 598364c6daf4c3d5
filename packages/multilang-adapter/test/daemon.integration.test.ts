import { ExtendedSequenceNumber } from '@shardline/core';
import { createStream, uniqueName } from '@shardline/testkit';
import { FixtureRun, isAlive, leasesOf, putRecords, RecordingLogger, shardId, splitShard, testWorker, useDaemons, useEmulators, waitFor } from './daemonHelpers';

const t = useEmulators();
const daemons = useDaemons();

describe('MultiLangDaemon end to end against kinesalite + dynalite', () => {
  it('delivers every record to one child per shard, stores the children’s checkpoints, handles a shard end after a split, and stops gracefully', async () => {
    const run = new FixtureRun();
    const streamName = uniqueName('ml-e2e');
    await createStream(t.kinesis, streamName, 2);
    const before = await putRecords(t.kinesis, streamName, 200, 'before');
    const logger = new RecordingLogger();
    const daemon = await daemons.start({
      executableName: FixtureRun.command('consumer.cjs'),
      env: run.env(),
      logger,
      worker: testWorker(t, { applicationName: uniqueName('ml-e2e-app'), streamName }),
    });
    const tableName = daemon.worker.options.tableName;

    await waitFor(() => run.distinctDelivered().size === 200, 30_000, 'the first 200 records');
    // Each child checkpointed its batches with a null sequence number: the last record delivered.
    await waitFor(
      async () => {
        const leases = await leasesOf(t, tableName);
        return [...before].every(([shard, records]) => leases.find((l) => l.leaseKey === shard)?.checkpoint?.equals(new ExtendedSequenceNumber(records[records.length - 1]!.sequenceNumber)));
      },
      10_000,
      'checkpoints at the last record of each shard',
    );
    expect(daemon.childCount).toBe(2);

    // Split shard 0: its child gets shardEnded and checkpoints null, which is SHARD_END.
    await splitShard(t.kinesis, streamName, shardId(0));
    const after = await putRecords(t.kinesis, streamName, 100, 'after');
    await waitFor(() => run.distinctDelivered().size === 300, 30_000, 'all 300 records');
    await waitFor(async () => (await leasesOf(t, tableName)).find((l) => l.leaseKey === shardId(0))?.checkpoint?.equals(ExtendedSequenceNumber.SHARD_END) ?? false, 10_000, 'SHARD_END on the parent');

    const events = run.events();
    const parentEnd = events.findIndex((e) => e.shardId === shardId(0) && e.event === 'shardEnded');
    expect(parentEnd).toBeGreaterThanOrEqual(0);
    expect(events.find((e) => e.shardId === shardId(0) && e.at === 'shardEnded')?.reply).toEqual({ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null, error: null });
    for (const child of [shardId(2), shardId(3)]) {
      expect(events.findIndex((e) => e.shardId === child && e.event === 'initialize')).toBeGreaterThan(parentEnd);
    }
    // The parent's child process was told stdin EOF and exited.
    const parentPid = events[parentEnd]!.pid;
    await waitFor(() => !isAlive(parentPid), 5_000, 'the parent shard’s child to exit');
    expect(events.filter((e) => e.shardId === shardId(0) && e.event === 'stdinEnd')).toHaveLength(1);

    // Every record once, in order, per shard (no failure happened).
    const delivered = run.delivered();
    for (const [shard, records] of [...before, ...after]) {
      const ids = records.map((r) => r.id);
      expect(delivered.get(shard)!.filter((id) => ids.includes(id))).toEqual(ids);
    }

    // Graceful stop: shutdownRequested to each child (which checkpoints), then leaseLost and EOF.
    const pids = [...new Set(events.filter((e) => e.event === 'initialize' && e.shardId !== shardId(0)).map((e) => e.pid))];
    await daemon.stop();
    const final = run.events();
    for (const shard of [shardId(1), shardId(2), shardId(3)]) {
      const calls = final.filter((e) => e.shardId === shard).map((e) => e.event);
      expect(calls.slice(-4)).toEqual(['shutdownRequested', 'checkpointReply', 'leaseLost', 'stdinEnd']);
    }
    expect(pids.every((pid) => !isAlive(pid))).toBe(true);
    expect(daemon.childCount).toBe(0);
    const leases = await leasesOf(t, tableName);
    expect(leases.filter((l) => l.leaseOwner !== undefined)).toEqual([]);
    for (const [shard, records] of after) {
      expect(leases.find((l) => l.leaseKey === shard)?.checkpoint).toEqual(new ExtendedSequenceNumber(records[records.length - 1]!.sequenceNumber));
    }
    expect(logger.entries.filter((e) => e.level === 'error')).toEqual([]);
    run.remove();
  });

  it('stops gracefully on a signal once handleSignals() is called (SIGTERM and SIGINT by default)', async () => {
    const run = new FixtureRun();
    const streamName = uniqueName('ml-signal');
    await createStream(t.kinesis, streamName, 1);
    await putRecords(t.kinesis, streamName, 10);
    const logger = new RecordingLogger();
    const daemon = await daemons.start({
      executableName: FixtureRun.command('consumer.cjs'),
      env: run.env(),
      logger,
      worker: testWorker(t, { applicationName: uniqueName('ml-signal-app'), streamName }),
    });
    const remove = daemon.handleSignals({ signals: ['SIGUSR2'] });
    await waitFor(() => run.distinctDelivered().size === 10, 30_000, 'the records');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(logger.entries.some((e) => e.message === 'signal received; stopping gracefully' && e.fields.signal === 'SIGUSR2')).toBe(true);
    await waitFor(() => logger.entries.some((e) => e.message === 'MultiLang daemon stopped'), 10_000, 'the stop the signal started');
    remove();
    expect(
      run
        .events()
        .map((e) => e.event)
        .slice(-4),
    ).toEqual(['shutdownRequested', 'checkpointReply', 'leaseLost', 'stdinEnd']);
    expect((await leasesOf(t, daemon.worker.options.tableName)).map((l) => l.leaseOwner)).toEqual([undefined]);
    run.remove();
  });
});
