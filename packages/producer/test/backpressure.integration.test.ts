import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { createStream, uniqueName } from '@shardline/testkit';
import { useKinesalite } from './kinesalite';

const MiB = 1024 * 1024;

interface Report {
  accepted: number;
  offeredBytes: number;
  acceptedBytes: number;
  bufferedBytes: number;
  outstanding: number;
  waitingPuts: number;
  putSettled: boolean;
  offeringDone: boolean;
  baselineRss: number;
  maxRss: number;
}

function runChild(env: Record<string, string>): Promise<Report> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=shardline-source', path.join(__dirname, 'fixtures', 'stalledProducer.ts')], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    // The child ends by closing what it opened: still running well after its report means a leaked handle.
    let leakTimer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d) => {
      out += d;
      leakTimer ??= out.includes('\n')
        ? setTimeout(() => {
            child.kill();
            reject(new Error('child did not exit after closing its producer and client: a timer, socket or handle was left open'));
          }, 15_000)
        : undefined;
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(leakTimer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as Report);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

describe('Producer backpressure with a stalled endpoint', () => {
  const k = useKinesalite();

  it('holds 256 MiB offered against a 32 MiB buffer under 200 MB RSS, with put waiting', async () => {
    const streamName = uniqueName('stall');
    await createStream(k.kinesis, streamName, 4);
    const report = await runChild({ KINESIS_ENDPOINT: k.emulators.kinesisEndpoint!, STREAM_NAME: streamName });
    console.log(
      `backpressure: accepted ${(report.acceptedBytes / MiB).toFixed(1)} MiB of ${report.offeredBytes / MiB} MiB offered; RSS ${(report.baselineRss / MiB).toFixed(0)} MB at start, ${(report.maxRss / MiB).toFixed(0)} MB at most`,
    );
    expect(report.offeringDone).toBe(false);
    expect(report.bufferedBytes).toBeLessThanOrEqual(32 * MiB);
    expect(report.acceptedBytes).toBeLessThanOrEqual(32 * MiB);
    expect(report.acceptedBytes).toBeGreaterThan(31 * MiB);
    expect(report.waitingPuts).toBe(2);
    expect(report.putSettled).toBe(false);
    expect(report.maxRss).toBeLessThan(200 * 1000 * 1000);
  });
});
