import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createKinesisClient } from '@shardline/core';
import { type Emulators, startEmulators } from '@shardline/testkit';

/** kinesalite for one test file, and a client for the test's own calls (SDK retries on). */
export interface Kinesalite {
  readonly emulators: Emulators;
  readonly kinesis: KinesisClient;
}

/** Starts kinesalite before the file's tests and stops it (and the client) after them. */
export function useKinesalite(): Kinesalite {
  const handle = {} as { emulators: Emulators; kinesis: KinesisClient };
  beforeAll(async () => {
    handle.emulators = await startEmulators({ dynamodb: false });
    handle.kinesis = createKinesisClient({ env: handle.emulators.env });
  });
  afterAll(async () => {
    handle.kinesis.destroy();
    await handle.emulators.stop();
  });
  return handle;
}
