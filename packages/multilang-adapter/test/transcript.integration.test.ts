import { GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createStream, uniqueName } from '@shardline/testkit';
import fs from 'node:fs';
import path from 'node:path';
import { MultiLangShardProcessor } from '../src/daemon/MultiLangShardProcessor';
import { FixtureRun, RecordingLogger, shardId, splitShard, testWorker, useDaemons, useEmulators, waitFor } from './daemonHelpers';

const t = useEmulators();
const daemons = useDaemons();

/** Every transcript the recorder children wrote, by the shard their first line (initialize) names. */
function transcripts(dir: string): Map<string, Buffer[]> {
  const byShard = new Map<string, Buffer[]>();
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('transcript.'))
    .sort()) {
    const bytes = fs.readFileSync(path.join(dir, file));
    const lines: Buffer[] = [];
    for (let start = 0, nl = bytes.indexOf(0x0a); nl >= 0; start = nl + 1, nl = bytes.indexOf(0x0a, start)) lines.push(bytes.subarray(start, nl));
    const first = JSON.parse(lines[0]!.toString('utf8')) as { shardId: string };
    byShard.set(first.shardId, [...(byShard.get(first.shardId) ?? []), ...lines]);
  }
  return byShard;
}

const utf8 = (lines: readonly string[]): Buffer[] => lines.map((l) => Buffer.from(l, 'utf8'));

describe('what the daemon writes to its children, byte for byte as the Java daemon (KCL 2.x/3.x) does', () => {
  it('initialize, processRecords, checkpoint replies, shardEnded, shutdownRequested and leaseLost are the Java daemon’s lines, field order and nulls included', async () => {
    const run = new FixtureRun();
    const streamName = uniqueName('ml-transcript');
    await createStream(t.kinesis, streamName, 1);
    const put = await t.kinesis.send(
      new PutRecordsCommand({
        StreamName: streamName,
        Records: [
          { PartitionKey: 'pk1', Data: Buffer.from('hello') },
          { PartitionKey: 'pé中', Data: Buffer.from([0xfb, 0xff, 0xfe]) },
          { PartitionKey: 'pk3', Data: Buffer.from('{"a":"ü"}') },
        ],
      }),
    );
    const seqs = put.Records!.map((r) => r.SequenceNumber!);
    const iterator = await t.kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId(0), ShardIteratorType: 'TRIM_HORIZON' }));
    const arrivals = (await t.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator! }))).Records!.map((r) => r.ApproximateArrivalTimestamp!.getTime());
    // The parent shard is closed before the daemon starts, so it ends with shardEnded.
    await splitShard(t.kinesis, streamName, shardId(0));

    const daemon = await daemons.start({
      executableName: FixtureRun.command('recorder.cjs'),
      env: run.env({ FIXTURE_TRANSCRIPT: path.join(run.dir, 'transcript') }),
      logger: new RecordingLogger(),
      worker: testWorker(t, { applicationName: uniqueName('ml-transcript-app'), streamName }),
    });
    await waitFor(() => [shardId(1), shardId(2)].every((s) => run.events().some((e) => e.shardId === s && e.event === 'initialize')), 30_000, 'both children of the split to start');
    await daemon.stop();

    const byShard = transcripts(run.dir);
    const parent = byShard.get(shardId(0))!;
    const processRecords = parent[2]!.toString('utf8');
    const millisBehindLatest = /"millisBehindLatest":(\d+)\}$/.exec(processRecords)?.[1];
    expect(millisBehindLatest).toBeDefined();
    expect(parent).toEqual(
      utf8([
        '{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}',
        '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"InvalidStateException"}',
        '{"action":"processRecords","records":[' +
          `{"data":"aGVsbG8=","partitionKey":"pk1","sequenceNumber":"${seqs[0]}","approximateArrivalTimestamp":${arrivals[0]},"subSequenceNumber":0,"action":"record"},` +
          `{"data":"+//+","partitionKey":"pé中","sequenceNumber":"${seqs[1]}","approximateArrivalTimestamp":${arrivals[1]},"subSequenceNumber":0,"action":"record"},` +
          `{"data":"eyJhIjoiw7wifQ==","partitionKey":"pk3","sequenceNumber":"${seqs[2]}","approximateArrivalTimestamp":${arrivals[2]},"subSequenceNumber":0,"action":"record"}` +
          `],"millisBehindLatest":${millisBehindLatest}}`,
        `{"action":"checkpoint","sequenceNumber":"${seqs[0]}","subSequenceNumber":null,"error":null}`,
        `{"action":"checkpoint","sequenceNumber":"${'9'.repeat(60)}","subSequenceNumber":0,"error":"IllegalArgumentException"}`,
        '{"action":"checkpoint","sequenceNumber":"bogus","subSequenceNumber":null,"error":"IllegalArgumentException"}',
        '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}',
        '{"action":"shardEnded"}',
        '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}',
      ]),
    );
    for (const child of [shardId(1), shardId(2)]) {
      expect(byShard.get(child)).toEqual(
        utf8([
          `{"action":"initialize","shardId":"${child}","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}`,
          '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"InvalidStateException"}',
          '{"action":"shutdownRequested"}',
          '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}',
          '{"action":"leaseLost"}',
          '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"InvalidStateException"}',
        ]),
      );
    }
    // Never the KCL 1.x `shutdown`.
    expect([...byShard.values()].flat().some((l) => l.includes('"action":"shutdown"'))).toBe(false);
    run.remove();
  });

  it('initialize carries nulls when the lease has no checkpoint', async () => {
    const run = new FixtureRun();
    const processor = new MultiLangShardProcessor({
      shard: { shardId: shardId(9), streamName: 'unused', leaseKey: shardId(9) },
      executableName: FixtureRun.command('recorder.cjs'),
      childExitGraceMs: 2_000,
      maxLineBytes: 1024 * 1024,
      env: run.env({ FIXTURE_TRANSCRIPT: path.join(run.dir, 'transcript') }),
      logger: new RecordingLogger(),
    });
    // The worker always has a position (a new lease's is TRIM_HORIZON); a lease item without one is the case here.
    await processor.initialize({ shardId: shardId(9), streamName: 'unused', leaseKey: shardId(9), checkpoint: undefined as never, pendingCheckpoint: undefined, pendingCheckpointState: undefined });
    await processor.leaseLost();
    expect(transcripts(run.dir).get(shardId(9))).toEqual(
      utf8([
        '{"action":"initialize","shardId":"shardId-000000000009","sequenceNumber":null,"subSequenceNumber":null}',
        '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"InvalidStateException"}',
        '{"action":"leaseLost"}',
        '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"InvalidStateException"}',
      ]),
    );
    expect(run.events().map((e) => e.event)).toEqual(['initialize', 'leaseLost', 'stdinEnd']);
    run.remove();
  });
});
