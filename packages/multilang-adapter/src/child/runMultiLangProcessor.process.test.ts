import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { parseChildLine } from '../protocol/parseLine';

const FIXTURE = path.join(__dirname, '..', '..', 'test', 'fixtures', 'chattyProcessor.ts');
const SEQ = '49590338271490256608559692538361571095921575989136588898';

/** The fixture in its own Node process (tsx, workspace sources), driven line by line like a daemon. */
function startChild(env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--conditions=shardline-source', '--import', 'tsx', FIXTURE], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, ...env, SHARDLINE_LOG_LEVEL: 'info' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => stdout.push(c));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    send: (line: string) => child.stdin.write(`${line}\n`),
    end: () => child.stdin.end(),
    next: (timeoutMs = 20_000): Promise<Record<string, unknown>> => {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(JSON.parse(line) as Record<string, unknown>);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line from the child in ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
        waiters.push((l) => {
          clearTimeout(timer);
          resolve(JSON.parse(l) as Record<string, unknown>);
        });
      });
    },
    exited,
    stdout: () => Buffer.concat(stdout).toString('utf8'),
    stderr: () => stderr,
    kill: () => child.kill('SIGKILL'),
  };
}

describe('runMultiLangProcessor in a real child process', () => {
  it('keeps stdout to protocol lines while the processor logs to stdout', async () => {
    const child = startChild();
    try {
      // The Java daemon's lines (KCL 2.x/3.x), with a non-ASCII partition key
      child.send('{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}');
      expect(await child.next()).toEqual({ action: 'status', responseFor: 'initialize' });
      child.send(
        `{"action":"processRecords","records":[{"data":"aGVsbG8=","partitionKey":"pé中","sequenceNumber":"${SEQ}","approximateArrivalTimestamp":1700000000000,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}`,
      );
      expect(await child.next()).toEqual({ action: 'checkpoint', sequenceNumber: SEQ, subSequenceNumber: 0 });
      child.send(`{"action":"checkpoint","sequenceNumber":"${SEQ}","subSequenceNumber":0,"error":null}`);
      expect(await child.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
      child.send('{"action":"shardEnded"}');
      expect(await child.next()).toEqual({ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null });
      child.send('{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}');
      expect(await child.next()).toEqual({ action: 'status', responseFor: 'shardEnded' });
      child.end();
      expect(await child.exited).toBe(0);

      const out = child.stdout();
      expect(out).toBe(
        [
          '{"action":"status","responseFor":"initialize"}',
          `{"action":"checkpoint","sequenceNumber":"${SEQ}","subSequenceNumber":0}`,
          '{"action":"status","responseFor":"processRecords"}',
          '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}',
          '{"action":"status","responseFor":"shardEnded"}',
          '',
        ].join('\n'),
      );
      for (const line of out.split('\n').filter(Boolean)) expect(parseChildLine(line)).toBeDefined();
      const err = child.stderr();
      for (const text of [
        'initialize shardId-000000000001 TRIM_HORIZON',
        'an info line',
        'a debug line',
        'a warn line',
        'a raw stdout write',
        'a Buffer stdout write',
        'records: pé中=hello',
        'shard ended',
      ]) {
        expect(err).toContain(text);
      }
    } finally {
      child.kill();
    }
  }, 60_000);

  it('exits non-zero without a status when processRecords throws', async () => {
    const child = startChild({ SHARDLINE_FIXTURE_THROW: 'processRecords' });
    try {
      child.send('{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":null,"subSequenceNumber":null}');
      expect(await child.next()).toEqual({ action: 'status', responseFor: 'initialize' });
      child.send(
        `{"action":"processRecords","records":[{"data":"aGVsbG8=","partitionKey":"pk1","sequenceNumber":"${SEQ}","approximateArrivalTimestamp":1700000000000,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}`,
      );
      expect(await child.exited).toBe(1);
      expect(child.stdout()).toBe('{"action":"status","responseFor":"initialize"}\n');
      expect(child.stderr()).toContain('processRecords failed on purpose');
    } finally {
      child.kill();
    }
  }, 60_000);
});
