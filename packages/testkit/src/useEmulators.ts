import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisClient as Client } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { type Emulators, type StartEmulatorsOptions, startEmulators } from './startEmulators';

/** Emulators for the tests of one file, with a Kinesis client on them (SDK retries off). */
export interface TestEmulators {
  readonly emulators: Emulators;
  readonly kinesis: KinesisClient;
  /** The variables that point an SDK client (or a child process) at the emulators. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Jest: starts kinesalite and dynalite before the file's tests and stops them after. The returned
 * object is filled in `beforeAll`.
 */
export function useEmulators(options: StartEmulatorsOptions = {}): TestEmulators {
  // Jest's globals, reached without its types so that this package builds without them.
  const { beforeAll, afterAll } = globalThis as unknown as { beforeAll: (fn: () => Promise<void>) => void; afterAll: (fn: () => Promise<void>) => void };
  const context = {} as { emulators: Emulators; kinesis: KinesisClient; env: Readonly<Record<string, string>> };
  beforeAll(async () => {
    context.emulators = await startEmulators(options);
    context.env = context.emulators.env;
    context.kinesis = new Client({
      region: context.env.AWS_REGION,
      endpoint: context.emulators.kinesisEndpoint,
      credentials: { accessKeyId: context.env.AWS_ACCESS_KEY_ID!, secretAccessKey: context.env.AWS_SECRET_ACCESS_KEY! },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true }) }),
    });
  });
  afterAll(async () => {
    context.kinesis?.destroy();
    await context.emulators?.stop();
  });
  return context;
}
