import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { freePort, waitForPort } from './freePort';

/** A kinesis-local (kinesis-mock) child process. */
export interface KinesisLocal {
  /** Plain-HTTP endpoint, `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly pid: number;
  /** Kills the process (it ignores SIGTERM) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startKinesisLocal}. */
export interface KinesisLocalOptions {
  /** Milliseconds to wait for the port to open. Default 30,000. */
  readonly startTimeoutMs?: number;
  /** Extra environment for the process (e.g. `SHARD_LIMIT`). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts kinesis-local, the Kinesis engine LocalStack runs, as a child process on free ports, with
 * every create/update duration set to 0 ms. Use it where kinesalite lacks a feature: ListShards
 * filters and paging, ChildShards at shard end, stream consumers.
 */
export async function startKinesisLocal(options: KinesisLocalOptions = {}): Promise<KinesisLocal> {
  const dir = path.dirname(require.resolve('kinesis-local/package.json'));
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const zero = '0ms';
  const child = spawn(process.execPath, [path.join(dir, 'main.js')], {
    env: {
      ...process.env,
      KINESIS_MOCK_CERT_PATH: path.join(dir, 'server.json'),
      KINESIS_MOCK_PLAIN_PORT: String(plainPort),
      KINESIS_MOCK_TLS_PORT: String(tlsPort),
      CREATE_STREAM_DURATION: zero,
      DELETE_STREAM_DURATION: zero,
      MERGE_SHARDS_DURATION: zero,
      SPLIT_SHARD_DURATION: zero,
      UPDATE_SHARD_COUNT_DURATION: zero,
      REGISTER_STREAM_CONSUMER_DURATION: zero,
      DEREGISTER_STREAM_CONSUMER_DURATION: zero,
      SHARD_LIMIT: '1000',
      LOG_LEVEL: 'WARN',
      ...options.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => (alive = false));
  const stop = (): Promise<void> => {
    if (alive) child.kill('SIGKILL');
    return exited;
  };
  try {
    await waitForPort(plainPort, options.startTimeoutMs ?? 30_000, () => alive);
  } catch (error) {
    await stop();
    throw new Error(`kinesis-local did not start: ${(error as Error).message}\n${stderr}`);
  }
  return { endpoint: `http://127.0.0.1:${plainPort}`, pid: child.pid!, stop };
}
