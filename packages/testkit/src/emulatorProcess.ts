import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { type LimitsFront, resolveShardLimits, type ShardLimits, startLimitsFront } from './limits';
import { startEmulators } from './startEmulators';

/** One emulator running in a child process of its own, so that it does not share a benchmark's CPU. */
export interface EmulatorProcess {
  /** `http://127.0.0.1:<port>` of the emulator (of its limits front, when `limits` was given). */
  readonly endpoint: string;
  /** With `limits`: kinesalite itself, behind the front (calls there are not limited). Else the same as `endpoint`. */
  readonly unlimitedEndpoint: string;
  readonly child: ChildProcess;
}

/** Options of {@link startEmulatorProcess}. */
export interface EmulatorProcessOptions {
  /**
   * Kinesis only: run a limits front ({@link startLimitsFront}) before kinesalite in the child, with
   * AWS's per-shard limits (`true`) or these. Its counters are served at `LIMITS_STATS_PATH`
   * (`fetchLimitsStats(endpoint)`). Default: no limits.
   */
  readonly limits?: boolean | Partial<ShardLimits>;
}

/** The child side: one emulator in this process; prints `{"endpoint": …}`, stops when stdin closes. */
export async function serveEmulator(service: 'kinesis' | 'dynamodb', options: EmulatorProcessOptions = {}): Promise<void> {
  const emulators = await startEmulators({ kinesis: service === 'kinesis', dynamodb: service === 'dynamodb' });
  const unlimitedEndpoint = (service === 'kinesis' ? emulators.kinesisEndpoint : emulators.dynamoDbEndpoint)!;
  let front: LimitsFront | undefined;
  if (options.limits) front = await startLimitsFront({ kinesisEndpoint: unlimitedEndpoint, limits: options.limits === true ? {} : options.limits });
  process.stdout.write(JSON.stringify({ endpoint: front?.endpoint ?? unlimitedEndpoint, unlimitedEndpoint }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void Promise.all([front?.close(), emulators.stop()]).then(() => process.exit(0)));
}

/** Starts kinesalite (optionally behind a limits front) or dynalite in a child process (this package's sources run through tsx). */
export async function startEmulatorProcess(service: 'kinesis' | 'dynamodb', options: EmulatorProcessOptions = {}): Promise<EmulatorProcess> {
  if (options.limits !== undefined && typeof options.limits !== 'boolean') resolveShardLimits(options.limits, 'emulatorProcess.limits');
  if (options.limits && service !== 'kinesis') throw new TypeError('emulatorProcess.limits applies to the kinesis emulator only');
  // From the sources (tests, benches) through tsx; from a build as plain JavaScript.
  const fromSources = __filename.endsWith('.ts');
  const entry = path.join(__dirname, `serveEmulatorMain.${fromSources ? 'ts' : 'js'}`);
  const args = [...(fromSources ? ['--import', 'tsx', '--conditions=shardline-source'] : []), entry, service, JSON.stringify(options)];
  const child = spawn(process.execPath, args, {
    cwd: path.join(__dirname, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const started = await new Promise<{ endpoint: string; unlimitedEndpoint: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${service} emulator exited with ${code}`)));
    child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { endpoint: string; unlimitedEndpoint: string }));
  });
  return { ...started, child };
}

/** Stops an emulator process: closes its stdin, then kills it if it has not exited within 5 s. */
export async function stopEmulatorProcess(p: EmulatorProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.stdin!.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
  clearTimeout(timer);
  if (p.child.exitCode === null) p.child.kill();
}
