import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ExtendedSequenceNumber } from '@shardline/core';
import { createStream, uniqueName } from '@shardline/testkit';
import { type ChildEvent, FixtureRun, isAlive, leasesOf, putRecords, RecordingLogger, shardId, splitShard, testWorker, useDaemons, useEmulators, waitFor } from './daemonHelpers';

// The real aws-kcl npm package (its child-side library, unmodified) as the daemon's child. The
// fixture is written in aws-kcl's own sample style: callbacks, `kcl(recordProcessor).run()`.
const t = useEmulators();
const daemons = useDaemons();
const runs: FixtureRun[] = [];
afterEach(() => runs.splice(0).forEach((r) => r.remove()));

const PACKAGE_DIR = path.join(__dirname, '..');
const awsKclVersion = (JSON.parse(fs.readFileSync(require.resolve('aws-kcl/package.json'), 'utf8')) as { version: string }).version;

const lastOf = <T>(items: readonly T[]): T => items[items.length - 1]!;
const lifecycleOf = (events: readonly ChildEvent[], shard: string): string[] =>
  events.filter((e) => e.shardId === shard).map((e) => (e.event === 'checkpointed' ? `checkpointed:${String(e.at)}` : e.event));

describe(`aws-kcl ${awsKclVersion} (Node) children, unmodified, under shardline's daemon`, () => {
  it('gets every record, stores its checkpoints, ends a split shard with SHARD_END, and gets shutdownRequested at a graceful stop', async () => {
    expect(awsKclVersion).toBe('2.3.2');
    const run = new FixtureRun();
    runs.push(run);
    const streamName = uniqueName('ml-awskcl');
    await createStream(t.kinesis, streamName, 2);
    const before = await putRecords(t.kinesis, streamName, 200, 'before');
    const logger = new RecordingLogger();
    const daemon = await daemons.start({
      executableName: FixtureRun.command('awsKclConsumer.cjs'),
      env: run.env(),
      logger,
      worker: testWorker(t, { applicationName: uniqueName('ml-awskcl-app'), streamName }),
    });
    const tableName = daemon.worker.options.tableName;

    await waitFor(() => run.distinctDelivered().size === 200, 30_000, 'the first 200 records');
    // aws-kcl checkpoints by sequence number only ({"action":"checkpoint","sequenceNumber":…}): sub-sequence 0.
    await waitFor(
      async () => {
        const leases = await leasesOf(t, tableName);
        return [...before].every(([shard, records]) => leases.find((l) => l.leaseKey === shard)?.checkpoint?.equals(new ExtendedSequenceNumber(lastOf(records).sequenceNumber)));
      },
      10_000,
      'checkpoints at the last record of each shard',
    );
    // The child reports a reply once its callback ran, which can be just after the lease table shows the write.
    const repliesSoFar = () => run.events().filter((e) => e.event === 'checkpointed' && e.at === 'processRecords');
    await waitFor(() => repliesSoFar().length >= 2, 10_000, 'the checkpoint replies');
    const replies = repliesSoFar();
    // The callback gets (error name or null, the sequence number echoed).
    expect(replies.every((e) => e.err === null && typeof e.sequenceNumber === 'string')).toBe(true);

    // Its console.log line on stdout is logged and skipped; its stderr line is logged at info, with the shard.
    for (const shard of [shardId(0), shardId(1)]) {
      expect(logger.entries.some((e) => e.level === 'info' && e.fields.shardId === shard && e.fields.stream === 'stdout' && e.fields.skipped === true && e.message === `initialized ${shard}`)).toBe(
        true,
      );
      expect(logger.entries.some((e) => e.level === 'info' && e.fields.shardId === shard && e.fields.stream === 'stderr' && e.message === `stderr: initialized ${shard}`)).toBe(true);
    }

    // Split shard 0: its child gets shardEnded and checkpoints without a sequence number, which is SHARD_END.
    await splitShard(t.kinesis, streamName, shardId(0));
    const after = await putRecords(t.kinesis, streamName, 100, 'after');
    await waitFor(() => run.distinctDelivered().size === 300, 30_000, 'all 300 records');
    await waitFor(async () => (await leasesOf(t, tableName)).find((l) => l.leaseKey === shardId(0))?.checkpoint?.equals(ExtendedSequenceNumber.SHARD_END) ?? false, 10_000, 'SHARD_END on the parent');
    await waitFor(() => run.events().some((e) => e.shardId === shardId(0) && e.event === 'stdinEnd'), 10_000, 'the parent’s child to be told stdin EOF');

    const events = run.events();
    expect(lifecycleOf(events, shardId(0)).slice(-3)).toEqual(['shardEnded', 'checkpointed:shardEnded', 'stdinEnd']);
    expect(events.find((e) => e.shardId === shardId(0) && e.at === 'shardEnded')).toMatchObject({ err: null, sequenceNumber: null });
    const parentEnd = events.findIndex((e) => e.shardId === shardId(0) && e.event === 'shardEnded');
    for (const child of [shardId(2), shardId(3)]) {
      expect(events.findIndex((e) => e.shardId === child && e.event === 'initialize')).toBeGreaterThan(parentEnd);
    }
    const parentPid = events[parentEnd]!.pid;
    await waitFor(() => !isAlive(parentPid), 5_000, 'the parent shard’s child to exit');

    // Every record exactly once, in order, per shard; one child per shard (none failed).
    const delivered = run.delivered();
    for (const [shard, records] of [...before, ...after]) {
      const ids = records.map((r) => r.id);
      expect(delivered.get(shard)!.filter((id) => ids.includes(id))).toEqual(ids);
    }
    expect([...delivered.values()].flat()).toHaveLength(300);
    for (const shard of [shardId(0), shardId(1), shardId(2), shardId(3)]) {
      expect(new Set(events.filter((e) => e.shardId === shard && e.event === 'initialize').map((e) => e.pid)).size).toBe(1);
    }

    // Graceful stop: shutdownRequested (the child checkpoints), then leaseLost and stdin EOF; leases released.
    const pids = [...new Set(events.filter((e) => e.event === 'initialize' && e.shardId !== shardId(0)).map((e) => e.pid))];
    await daemon.stop();
    const final = run.events();
    for (const shard of [shardId(1), shardId(2), shardId(3)]) {
      expect(lifecycleOf(final, shard).slice(-4)).toEqual(['shutdownRequested', 'checkpointed:shutdownRequested', 'leaseLost', 'stdinEnd']);
      expect(final.find((e) => e.shardId === shard && e.at === 'shutdownRequested')).toMatchObject({ err: null, sequenceNumber: null });
    }
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 5_000, 'every child to exit');
    expect(daemon.childCount).toBe(0);
    const leases = await leasesOf(t, tableName);
    expect(leases.filter((l) => l.leaseOwner !== undefined)).toEqual([]);
    for (const [shard, records] of after) {
      expect(leases.find((l) => l.leaseKey === shard)?.checkpoint).toEqual(new ExtendedSequenceNumber(lastOf(records).sequenceNumber));
    }
    expect(logger.entries.filter((e) => e.level === 'error' || e.level === 'warn')).toEqual([]);
  });

  describe('through the shardline-multilang command, with a Java daemon properties file', () => {
    let cli: ChildProcess | undefined;
    afterEach(() => {
      if (cli && cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
      cli = undefined;
    });

    it('SIGTERM stops gracefully: shutdownRequested to the child, its final checkpoint stored, leases released, exit code 0', async () => {
      const run = new FixtureRun();
      runs.push(run);
      const streamName = uniqueName('ml-awskcl-cli');
      const applicationName = uniqueName('ml-awskcl-cli-app');
      await createStream(t.kinesis, streamName, 1);
      const put = await putRecords(t.kinesis, streamName, 50);
      const properties = path.join(run.dir, 'app.properties');
      // What an aws-kcl application's file looks like, pointed at the emulators.
      fs.writeFileSync(
        properties,
        [
          `executableName = ${FixtureRun.command('awsKclConsumer.cjs')}`,
          `applicationName = ${applicationName}`,
          `streamName = ${streamName}`,
          'AwsCredentialsProvider = DefaultCredentialsProvider',
          'processingLanguage = nodejs/20',
          'initialPositionInStream = TRIM_HORIZON',
          'regionName = us-east-1',
          `kinesisEndpoint = ${t.env.AWS_ENDPOINT_URL_KINESIS}`,
          `dynamoDBEndpoint = ${t.env.AWS_ENDPOINT_URL_DYNAMODB}`,
          'idleTimeBetweenReadsInMillis = 200',
          'failoverTimeMillis = 2000',
          'shardSyncIntervalMillis = 1000',
          'timeoutInSeconds = 30',
          'shutdownGraceMillis = 10000',
          '',
        ].join('\n'),
      );
      // The endpoints come from the file only; the credentials from the environment (the default chain).
      const env: Record<string, string | undefined> = {
        ...process.env,
        FIXTURE_LOG: run.log,
        FIXTURE_DIR: run.dir,
        AWS_ACCESS_KEY_ID: t.env.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: t.env.AWS_SECRET_ACCESS_KEY,
        SHARDLINE_LOG_LEVEL: 'info',
      };
      for (const key of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_KINESIS', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_PROFILE', 'AWS_REGION']) delete env[key];
      const started = spawn(process.execPath, ['--conditions=shardline-source', '--import', 'tsx', path.join(PACKAGE_DIR, 'src', 'cli.ts'), '--properties', properties], {
        cwd: PACKAGE_DIR,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      cli = started;
      let stdout = '';
      let stderr = '';
      started.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
      started.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => started.once('exit', (code, signal) => resolve({ code, signal })));

      await waitFor(() => run.distinctDelivered().size === 50, 60_000, `the 50 records (daemon stderr so far: ${stderr.slice(-2_000)})`);
      const last = lastOf(put.get(shardId(0))!).sequenceNumber;
      await waitFor(
        async () => (await leasesOf(t, applicationName)).find((l) => l.leaseKey === shardId(0))?.checkpoint?.equals(new ExtendedSequenceNumber(last)) ?? false,
        10_000,
        'the checkpoint at the last record',
      );
      const [childPid] = run
        .events()
        .filter((e) => e.event === 'initialize')
        .map((e) => e.pid);

      started.kill('SIGTERM');
      const exit = await exited;
      expect({ ...exit, stderr: exit.code === 0 ? '' : stderr }).toEqual({ code: 0, signal: null, stderr: '' });
      expect(lifecycleOf(run.events(), shardId(0)).slice(-4)).toEqual(['shutdownRequested', 'checkpointed:shutdownRequested', 'leaseLost', 'stdinEnd']);
      expect(isAlive(childPid!)).toBe(false);
      const [lease] = await leasesOf(t, applicationName);
      expect(lease).toMatchObject({ leaseKey: shardId(0), leaseOwner: undefined, checkpoint: new ExtendedSequenceNumber(last) });

      // stdout stays empty; the logs are pino JSON lines on stderr, the child's own lines among them with its shard.
      expect(stdout).toBe('');
      const lines = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((l) => l.stream === 'stderr' && l.msg === `stderr: initialized ${shardId(0)}`)).toMatchObject({ level: 30, shardId: shardId(0) });
      expect(lines.find((l) => l.stream === 'stdout' && l.msg === `initialized ${shardId(0)}`)).toMatchObject({ level: 30, shardId: shardId(0), skipped: true });
      expect(lines.some((l) => l.msg === 'signal received; stopping gracefully' && l.signal === 'SIGTERM')).toBe(true);
      expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    });
  });
});
