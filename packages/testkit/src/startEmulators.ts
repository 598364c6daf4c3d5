import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of kinesalite passed through by {@link startEmulators}. */
export interface KinesaliteOptions {
  /** Milliseconds a stream stays CREATING. Default 0. */
  readonly createStreamMs?: number;
  /** Milliseconds a stream stays DELETING. Default 0. */
  readonly deleteStreamMs?: number;
  /** Milliseconds a stream stays UPDATING after a split or merge. Default 0. */
  readonly updateStreamMs?: number;
  /** Shards allowed per account. Default 1000. */
  readonly shardLimit?: number;
}

/** Options of {@link startEmulators}. */
export interface StartEmulatorsOptions {
  /** Start kinesalite (default true), optionally with its options. */
  readonly kinesis?: boolean | KinesaliteOptions;
  /** Start dynalite (default true). */
  readonly dynamodb?: boolean;
}

/** Running in-process emulators. */
export interface Emulators {
  /** `http://127.0.0.1:<port>` of kinesalite, when started. */
  readonly kinesisEndpoint: string | undefined;
  /** `http://127.0.0.1:<port>` of dynalite, when started. */
  readonly dynamoDbEndpoint: string | undefined;
  /** The standard variables that point an AWS SDK (or another process) at these emulators. */
  readonly env: Readonly<Record<string, string>>;
  /** Closes every server and every open connection. Idempotent. */
  stop(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  // Keep-alive sockets from SDK clients would otherwise hold close() open until they time out.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Starts kinesalite and dynalite in this process on free loopback ports, in memory.
 * The integration tests of every package and the demo's embedded mode use this.
 */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const servers: Server[] = [];
  const env: Record<string, string> = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'shardline-local', AWS_SECRET_ACCESS_KEY: 'shardline-local' };
  let kinesisEndpoint: string | undefined;
  let dynamoDbEndpoint: string | undefined;
  try {
    if (options.kinesis !== false) {
      const k = typeof options.kinesis === 'object' ? options.kinesis : {};
      const kinesalite = require('kinesalite') as (o: object) => Server;
      const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 1000, ...k });
      servers.push(server);
      kinesisEndpoint = await listen(server);
      env.AWS_ENDPOINT_URL_KINESIS = kinesisEndpoint;
    }
    if (options.dynamodb !== false) {
      const dynalite = require('dynalite') as (o: object) => Server;
      const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
      servers.push(server);
      dynamoDbEndpoint = await listen(server);
      env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDbEndpoint;
    }
  } catch (error) {
    await Promise.all(servers.map(close));
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    kinesisEndpoint,
    dynamoDbEndpoint,
    env,
    stop: () => (stopped ??= Promise.all(servers.map(close)).then(() => undefined)),
  };
}
