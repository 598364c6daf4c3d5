import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { startEmulators } from './startEmulators';

/** One emulator running in a child process of its own, so that it does not share a benchmark's CPU. */
export interface EmulatorProcess {
  /** `http://127.0.0.1:<port>` of the emulator. */
  readonly endpoint: string;
  readonly child: ChildProcess;
}

/** The child side: one emulator in this process; prints `{"endpoint": …}`, stops when stdin closes. */
export async function serveEmulator(service: 'kinesis' | 'dynamodb'): Promise<void> {
  const emulators = await startEmulators({ kinesis: service === 'kinesis', dynamodb: service === 'dynamodb' });
  process.stdout.write(JSON.stringify({ endpoint: service === 'kinesis' ? emulators.kinesisEndpoint : emulators.dynamoDbEndpoint }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void emulators.stop().then(() => process.exit(0)));
}

/** Starts kinesalite or dynalite in a child process (this package's sources run through tsx). */
export async function startEmulatorProcess(service: 'kinesis' | 'dynamodb'): Promise<EmulatorProcess> {
  // From the sources (tests, benches) through tsx; from a build as plain JavaScript.
  const fromSources = __filename.endsWith('.ts');
  const entry = path.join(__dirname, `serveEmulatorMain.${fromSources ? 'ts' : 'js'}`);
  const child = spawn(process.execPath, [...(fromSources ? ['--import', 'tsx', '--conditions=shardline-source'] : []), entry, service], {
    cwd: path.join(__dirname, '..'),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${service} emulator exited with ${code}`)));
    child.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { endpoint: string }).endpoint));
  });
  return { endpoint, child };
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
