import { ExtendedSequenceNumber } from '@shardline/core';
import type { MultiLangDaemonOptions } from '../src/daemon/MultiLangDaemonOptions';
import { ChildProcessError } from '../src/daemon/ChildProcessError';
import type { MultiLangDaemon } from '../src/daemon/MultiLangDaemon';
import { createStream, uniqueName } from '@shardline/testkit';
import { type ChildEvent, FixtureRun, isAlive, leasesOf, putRecords, RecordingLogger, shardId, splitShard, testWorker, useDaemons, useEmulators, waitFor } from './daemonHelpers';

const t = useEmulators();
const daemons = useDaemons();
const runs: FixtureRun[] = [];
afterEach(() => runs.splice(0).forEach((r) => r.remove()));

interface Setup {
  readonly run: FixtureRun;
  readonly daemon: MultiLangDaemon;
  readonly logger: RecordingLogger;
  readonly put: Map<string, { id: string; sequenceNumber: string }[]>;
  readonly failures: [leaseKey: string, outcome: 'failed' | 'hung'][];
}

/** A stream with `shards` shards and `records` records, and a daemon running `fixture` on it. */
async function setup(
  fixture: string,
  options: { shards?: number; records?: number; env?: Record<string, string>; daemon?: Partial<MultiLangDaemonOptions>; worker?: Partial<MultiLangDaemonOptions['worker']> } = {},
): Promise<Setup> {
  const run = new FixtureRun();
  runs.push(run);
  const streamName = uniqueName('ml-faults');
  await createStream(t.kinesis, streamName, options.shards ?? 2);
  const put = await putRecords(t.kinesis, streamName, options.records ?? 100);
  const logger = new RecordingLogger();
  const daemon = await daemons.start({
    executableName: FixtureRun.command(fixture),
    env: run.env(options.env),
    logger,
    ...options.daemon,
    worker: testWorker(t, { applicationName: uniqueName('ml-faults-app'), streamName, ...options.worker }),
  });
  const failures: Setup['failures'] = [];
  daemon.worker.on('processorFailed', (key, outcome) => void failures.push([key, outcome]));
  return { run, daemon, logger, put, failures };
}

const allIds = (put: Setup['put']): string[] => [...put.values()].flat().map((r) => r.id);
const childrenOf = (events: readonly ChildEvent[], shard: string): number[] => [...new Set(events.filter((e) => e.shardId === shard && e.event === 'initialize').map((e) => e.pid))];

/** Every shard's lease ends at the last record put to it: nothing lost, nothing checkpointed beyond. */
async function expectCheckpointsAtLastRecords(s: Setup): Promise<void> {
  await waitFor(
    async () => {
      const leases = await leasesOf(t, s.daemon.worker.options.tableName);
      return [...s.put].every(([shard, records]) => leases.find((l) => l.leaseKey === shard)?.checkpoint?.equals(new ExtendedSequenceNumber(records[records.length - 1]!.sequenceNumber)));
    },
    10_000,
    'checkpoints at the last record of every shard',
  );
}

describe('child faults fail only their own shard, and lose nothing', () => {
  it('a child that exits mid-batch: the call fails with the exit code, the retry starts a new child, re-initializes it and re-sends the batch', async () => {
    const s = await setup('crashing.cjs');
    await waitFor(() => s.run.distinctDelivered().size === 100, 30_000, 'every record');
    await expectCheckpointsAtLastRecords(s);

    const events = s.run.events();
    const crash = events.find((e) => e.event === 'crashing')!;
    const crashed = crash.shardId!;
    const other = [shardId(0), shardId(1)].find((id) => id !== crashed)!;
    expect(childrenOf(events, crashed)).toHaveLength(2);
    expect(childrenOf(events, other)).toHaveLength(1);
    const respawned = events.filter((e) => e.shardId === crashed && e.event === 'initialize')[1]!;
    expect(respawned).toMatchObject({ sequenceNumber: 'TRIM_HORIZON', subSequenceNumber: 0 });
    expect(events.find((e) => e.pid === respawned.pid && e.event === 'records')?.ids).toEqual(crash.ids);
    expect(isAlive(crash.pid)).toBe(false);

    const threw = s.logger.entries.find((e) => e.message === 'processor call threw')!;
    expect(threw.fields.err).toBeInstanceOf(ChildProcessError);
    expect(threw.fields.err).toMatchObject({ shardId: crashed, failure: 'exited', exitCode: 3, pid: crash.pid });
    expect((threw.fields.err as Error).message).toContain(`the child process of ${crashed} (pid ${crash.pid}`);
    expect((threw.fields.err as Error).message).toContain('exited with code 3 while processRecords waited for its status');
    // Retried within maxProcessingAttempts: the lease was never released.
    expect(s.failures).toEqual([]);
  });

  it('a child that hangs past processingTimeoutMs is killed; its lease is released and retaken, the batch re-delivered to a new child', async () => {
    const s = await setup('hanging.cjs', { worker: { processingTimeoutMs: 1_000 } });
    await waitFor(() => s.run.distinctDelivered().size === 100, 30_000, 'every record');
    await expectCheckpointsAtLastRecords(s);

    const events = s.run.events();
    const hang = events.find((e) => e.event === 'hanging')!;
    const hung = hang.shardId!;
    const other = [shardId(0), shardId(1)].find((id) => id !== hung)!;
    expect(isAlive(hang.pid)).toBe(false);
    expect(s.failures).toEqual([[hung, 'hung']]);
    expect(childrenOf(events, other)).toHaveLength(1);
    const [, second] = childrenOf(events, hung);
    expect(events.find((e) => e.pid === second && e.event === 'records')?.ids).toEqual(hang.ids);
    expect(s.logger.entries.some((e) => e.level === 'warn' && e.fields.shardId === hung && e.fields.pid === hang.pid && e.message?.includes('killing the child process'))).toBe(true);
    expect(s.daemon.childCount).toBe(2);
  });

  it('garbage, partial lines, CRLF, trailing text and a line longer than maxLineBytes on stdout are logged and skipped; stderr is logged at info', async () => {
    const maxLineBytes = 4096;
    const s = await setup('noisy.cjs', { records: 50, env: { FIXTURE_MAX_LINE_BYTES: String(maxLineBytes) }, daemon: { maxLineBytes } });
    await waitFor(() => s.run.distinctDelivered().size === 50, 30_000, 'every record');
    await expectCheckpointsAtLastRecords(s);

    // The children log a reply when they read it, a moment after the daemon wrote the checkpoint.
    await waitFor(() => s.run.events().filter((e) => e.event === 'checkpointReply').length >= 2, 5_000, 'each child to read its reply');
    const events = s.run.events();
    expect(s.failures).toEqual([]);
    for (const shard of [shardId(0), shardId(1)]) {
      expect(childrenOf(events, shard)).toHaveLength(1);
      const skipped = s.logger.entries.filter((e) => e.level === 'info' && e.fields.shardId === shard && e.fields.stream === 'stdout' && e.fields.skipped === true).map((e) => e.message);
      expect(skipped).toEqual(expect.arrayContaining(['hello from console.log', 'null', 'log text {"action":"status","responseFor":"processRecords"}']));
      expect(skipped.every((m) => m!.length < maxLineBytes)).toBe(true);
      expect(s.logger.entries.some((e) => e.level === 'info' && e.fields.shardId === shard && e.fields.stream === 'stderr' && e.message === `stderr line from the child of ${shard}`)).toBe(true);
      expect(s.logger.entries.some((e) => e.level === 'warn' && e.fields.shardId === shard && e.fields.stream === 'stdout' && (e.fields.bytes as number) > 3 * maxLineBytes)).toBe(true);
    }
    // The checkpoint split over three writes and ended by CRLF was read whole and answered; the
    // over-long checkpoint-shaped line never was.
    const replies = events.filter((e) => e.event === 'checkpointReply').map((e) => e.reply);
    expect(replies.every((r) => JSON.stringify(r) === '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}')).toBe(true);
    expect(s.logger.entries.filter((e) => e.level === 'error')).toEqual([]);
  });

  it.each([
    ['ignores stdin EOF: SIGTERM after childExitGraceMs', {}, 1],
    ['ignores stdin EOF and SIGTERM: SIGKILL after another childExitGraceMs', { FIXTURE_IGNORE_SIGTERM: '1' }, 2],
  ])('a child that %s', async (_what, env: Record<string, string>, graces) => {
    const childExitGraceMs = 400;
    const s = await setup('stubborn.cjs', { shards: 2, records: 20, env, daemon: { childExitGraceMs } });
    await waitFor(() => s.run.distinctDelivered().size === 20, 30_000, 'every record');
    const pids = [shardId(0), shardId(1)].flatMap((shard) => childrenOf(s.run.events(), shard));
    expect(pids).toHaveLength(2);

    const startedAt = performance.now();
    await s.daemon.stop();
    const tookMs = performance.now() - startedAt;
    expect(tookMs).toBeGreaterThanOrEqual(graces * childExitGraceMs - 20);
    expect(tookMs).toBeLessThan(graces * childExitGraceMs + 3_000);
    expect(pids.every((pid) => !isAlive(pid))).toBe(true);
    expect(s.daemon.childCount).toBe(0);
    const events = s.run.events();
    for (const pid of pids) {
      const lifecycle = events.filter((e) => e.pid === pid && e.event !== 'sigterm').map((e) => e.event);
      expect(lifecycle.slice(-4)).toEqual(['shutdownRequested', 'checkpointReply', 'leaseLost', 'stdinEnd']);
    }
    const warned = (text: string): number => s.logger.entries.filter((e) => e.level === 'warn' && e.message?.includes(text)).length;
    expect(warned('sending SIGTERM')).toBe(2);
    expect(warned('sending SIGKILL')).toBe(graces === 2 ? 2 : 0);
    expect(events.filter((e) => e.event === 'sigterm')).toHaveLength(graces === 2 ? 2 : 0);
    // The final checkpoints were written and the leases released.
    const leases = await leasesOf(t, s.daemon.worker.options.tableName);
    for (const [shard, records] of s.put) {
      expect(leases.find((l) => l.leaseKey === shard)).toMatchObject({ leaseOwner: undefined, checkpoint: new ExtendedSequenceNumber(records[records.length - 1]!.sequenceNumber) });
    }
  });

  it('a checkpoint out of range gets IllegalArgumentException with the position echoed; the child carries on', async () => {
    const s = await setup('outOfRange.cjs', { records: 40 });
    await waitFor(() => s.run.distinctDelivered().size === 40, 30_000, 'the first records');
    const more = await putRecords(t.kinesis, s.daemon.worker.options.streams[0]!.streamName, 40, 'more');
    await waitFor(() => s.run.distinctDelivered().size === 80, 30_000, 'every record');
    for (const [shard, records] of more) s.put.set(shard, [...s.put.get(shard)!, ...records]);
    await expectCheckpointsAtLastRecords(s);

    const replies = s.run.events().filter((e) => e.event === 'checkpointReply');
    const beyond = replies.filter((e) => e.at === 'beyond').map((e) => e.reply as { sequenceNumber: string });
    expect(beyond.length).toBeGreaterThanOrEqual(4);
    for (const reply of beyond) expect(reply).toEqual({ action: 'checkpoint', sequenceNumber: reply.sequenceNumber, subSequenceNumber: null, error: 'IllegalArgumentException' });
    const before = replies.filter((e) => e.at === 'before').map((e) => e.reply);
    expect(before.length).toBeGreaterThanOrEqual(2);
    for (const reply of before) expect(reply).toMatchObject({ action: 'checkpoint', subSequenceNumber: 0, error: 'IllegalArgumentException' });
    for (const reply of replies.filter((e) => e.at === 'last').map((e) => e.reply)) expect(reply).toMatchObject({ action: 'checkpoint', subSequenceNumber: 0, error: null });
    expect(s.failures).toEqual([]);
    expect([shardId(0), shardId(1)].map((shard) => childrenOf(s.run.events(), shard).length)).toEqual([1, 1]);
    expect(allIds(s.put).every((id) => s.run.distinctDelivered().has(id))).toBe(true);
  });

  it('a child that returns from shardEnded without checkpointing SHARD_END is asked again (a new child each time, the lease released after maxProcessingAttempts); the children shards start only once it checkpoints', async () => {
    const s = await setup('noShardEnd.cjs', { shards: 1, records: 20, env: { FIXTURE_SHARD_END_AFTER: '3' }, worker: { maxProcessingAttempts: 2 } });
    const streamName = s.daemon.worker.options.streams[0]!.streamName;
    await waitFor(() => s.run.distinctDelivered().size === 20, 30_000, 'the parent’s records');
    await splitShard(t.kinesis, streamName, shardId(0));
    const after = await putRecords(t.kinesis, streamName, 20, 'after');
    await waitFor(() => s.run.distinctDelivered().size === 40, 30_000, 'the children’s records');

    const events = s.run.events();
    const asked = events.filter((e) => e.shardId === shardId(0) && e.event === 'shardEnded');
    expect(asked).toHaveLength(3);
    expect(new Set(asked.map((e) => e.pid)).size).toBe(3);
    expect(events.filter((e) => e.event === 'refusingShardEnd').map((e) => e.attempt)).toEqual([1, 2]);
    const done = events.findIndex((e) => e.at === 'shardEnded' && e.attempt === 3);
    expect(events[done]!.reply).toEqual({ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null, error: null });
    for (const child of after.keys()) {
      expect(events.findIndex((e) => e.shardId === child)).toBeGreaterThan(done);
    }
    // The respawned child was initialized at the parent's last checkpoint, not from the start.
    const parentRecords = s.put.get(shardId(0))!;
    const lastParent = parentRecords[parentRecords.length - 1]!.sequenceNumber;
    expect(events.filter((e) => e.shardId === shardId(0) && e.event === 'initialize').slice(1)).toEqual([
      expect.objectContaining({ sequenceNumber: lastParent, subSequenceNumber: 0 }),
      expect.objectContaining({ sequenceNumber: lastParent, subSequenceNumber: 0 }),
    ]);
    expect(s.failures).toEqual([[shardId(0), 'failed']]);
    const leases = await leasesOf(t, s.daemon.worker.options.tableName);
    expect(leases.find((l) => l.leaseKey === shardId(0))?.checkpoint).toEqual(ExtendedSequenceNumber.SHARD_END);
    // Each parent record once, in order, each child's too.
    const delivered = s.run.delivered();
    expect(delivered.get(shardId(0))).toEqual(parentRecords.map((r) => r.id));
    for (const [child, records] of after) expect(delivered.get(child)).toEqual(records.map((r) => r.id));
  });
});
