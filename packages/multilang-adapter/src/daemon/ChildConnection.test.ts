import { InvalidStateError, ProtocolError } from '@shardline/core';
import { encodeInitialize, encodeProcessRecords } from '../protocol/messages';
import { FixtureRun, isAlive, RecordingLogger } from '../../test/daemonHelpers';
import { ChildConnection } from './ChildConnection';
import { ChildProcessError } from './ChildProcessError';

const unused = (): Promise<string | null> => Promise.resolve('InvalidStateException');

function connect(fixture: string, run: FixtureRun, logger = new RecordingLogger()): ChildConnection {
  return new ChildConnection({ executableName: FixtureRun.command(fixture), shardId: 'shardId-000000000007', maxLineBytes: 4096, env: run.env(), logger });
}

describe('ChildConnection', () => {
  const runs: FixtureRun[] = [];
  const newRun = (): FixtureRun => {
    const run = new FixtureRun();
    runs.push(run);
    return run;
  };
  afterEach(() => runs.splice(0).forEach((r) => r.remove()));

  it('a status for another action is a ProtocolError naming the shard; the connection is then unusable, and close() still ends the child', async () => {
    const child = connect('wrongStatus.cjs', newRun());
    await child.send(encodeInitialize('shardId-000000000007', undefined), 'initialize', unused);
    const failed = child.send(encodeProcessRecords([], 0), 'processRecords', unused);
    await expect(failed).rejects.toThrow(ProtocolError);
    await expect(failed).rejects.toThrow('the child process of shardId-000000000007 (pid ');
    await expect(failed).rejects.toThrow('answered processRecords with a status for "initialize"');
    expect(child.running).toBe(false);
    await expect(child.send(encodeProcessRecords([], 0), 'processRecords', unused)).rejects.toThrow(ProtocolError);
    expect(await child.close(2_000)).toEqual({ code: 0, signal: null });
    expect(isAlive(child.pid!)).toBe(false);
  });

  it('one action at a time', async () => {
    const child = connect('consumer.cjs', newRun());
    const first = child.send(encodeInitialize('shardId-000000000007', undefined), 'initialize', unused);
    await expect(child.send(encodeInitialize('shardId-000000000007', undefined), 'initialize', unused)).rejects.toThrow(InvalidStateError);
    await first;
    await child.close(2_000);
  });

  it('a command that cannot be started rejects the first send with a ChildProcessError; close() and kill() resolve', async () => {
    const child = new ChildConnection({ executableName: '/nonexistent/kcl-child --flag', shardId: 'shardId-000000000007', maxLineBytes: 4096, logger: new RecordingLogger() });
    const failed = child.send(encodeInitialize('shardId-000000000007', undefined), 'initialize', unused);
    await expect(failed).rejects.toBeInstanceOf(ChildProcessError);
    await expect(failed).rejects.toMatchObject({ failure: 'spawn-failed', shardId: 'shardId-000000000007', retryable: true });
    await expect(failed).rejects.toThrow('could not start the child process of shardId-000000000007 ("/nonexistent/kcl-child --flag")');
    await child.close(100);
    await child.kill();
  });

  it('a child that closes its stdout but lives on fails the wait with stdout-closed; kill() ends it', async () => {
    const child = connect('closesStdout.cjs', newRun());
    await child.send(encodeInitialize('shardId-000000000007', undefined), 'initialize', unused);
    await expect(child.send(encodeProcessRecords([], 0), 'processRecords', unused)).rejects.toMatchObject({ failure: 'stdout-closed', exitCode: null, pid: child.pid });
    expect(isAlive(child.pid!)).toBe(true);
    expect(await child.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isAlive(child.pid!)).toBe(false);
  });

  it('runs each checkpoint met while waiting and writes its reply before reading on', async () => {
    const run = newRun();
    const child = connect('consumer.cjs', run);
    await child.send(encodeInitialize('shardId-000000000007', undefined), 'initialize', unused);
    const seen: (string | null)[] = [];
    // consumer.cjs checkpoints (null) during processRecords; the handler sees it and answers.
    await child.send(encodeProcessRecords([], 0), 'processRecords', async (sequenceNumber) => {
      seen.push(sequenceNumber);
      return null;
    });
    expect(seen).toEqual([null]);
    expect(run.events().find((e) => e.event === 'checkpointReply')?.reply).toEqual({ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null, error: null });
    await child.close(2_000);
  });
});
