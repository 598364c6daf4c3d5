import { Writable } from 'node:stream';
import * as util from 'node:util';
import { type AwsClientOptions, createLogger } from '@shardline/core';
import { LeaseCoordinator } from '@shardline/dynamo-lease';
import { Poller } from '@shardline/kinesis-poller';
import { Producer } from '@shardline/producer';
import { Worker } from '../src';

// Every component keeps the client options it was given and exposes them (`options`, or the
// instance itself for the poller). Printed any way (our logger, JSON as any other logger writes
// it, util.inspect), they must show no secret, while the clients still sign with the credentials.

const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'FQoGZXIvYXdzEXAMPLESESSIONTOKEN';
const ENV_SECRET = 'env-secret-EXAMPLE-0123456789';

function clientOptions(): AwsClientOptions {
  return {
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:1',
    credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: TOKEN },
    env: { AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: ENV_SECRET, AWS_SESSION_TOKEN: TOKEN, AWS_REGION: 'eu-west-1' },
  };
}

function lines(write: (destination: Writable) => void): string {
  const out: string[] = [];
  write(new Writable({ write: (chunk, _enc, cb) => (out.push(String(chunk)), cb()) }));
  return out.join('');
}

/** Everything a user or a status page might do to look at `value`. */
function printed(value: unknown): Record<string, string> {
  return {
    shardlineLogger: lines((destination) => createLogger({ destination }).info({ value }, 'options')),
    inspect: util.inspect(value, { depth: Infinity }),
    json: (() => {
      try {
        return JSON.stringify(value);
      } catch {
        return util.inspect(value, { depth: Infinity, getters: true });
      }
    })(),
  };
}

function expectNoSecret(value: unknown): void {
  for (const [how, text] of Object.entries(printed(value))) {
    for (const secret of [SECRET, TOKEN, ENV_SECRET]) {
      if (text.includes(secret)) throw new Error(`${how} printed a secret: ${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 50)}`);
    }
  }
}

describe('component options carry no printable secret', () => {
  it('producer', async () => {
    const producer = new Producer({ streamName: 'orders', clientOptions: clientOptions(), logger: createLogger({ level: 'silent' }) });
    try {
      expectNoSecret(producer.options);
      expect(createLoggerLine({ options: producer.options })).not.toContain(SECRET);
      // The client built from them still has the keys.
      const client = (producer as unknown as { client: { config: { credentials(): Promise<unknown> } } }).client;
      await expect(client.config.credentials()).resolves.toMatchObject({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET, sessionToken: TOKEN });
    } finally {
      await producer.close();
    }
  });

  it('poller', async () => {
    const poller = new Poller({ streamName: 'orders', aws: clientOptions() });
    try {
      expectNoSecret((poller as unknown as { o: unknown }).o);
      expect(createLoggerLine({ poller })).not.toContain(SECRET);
    } finally {
      await poller.stop();
    }
  });

  it('lease coordinator', async () => {
    const coordinator = new LeaseCoordinator({ tableName: 'orders-app', workerId: 'w', clientOptions: clientOptions() });
    try {
      expectNoSecret(coordinator.options);
      const client = (coordinator as unknown as { client: { config: { credentials(): Promise<unknown> } } }).client;
      await expect(client.config.credentials()).resolves.toMatchObject({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
    } finally {
      (coordinator as unknown as { client: { destroy(): void } }).client.destroy();
    }
  });

  it('worker (and the coordinator it builds)', async () => {
    const worker = new Worker({ applicationName: 'orders-app', streamName: 'orders', workerId: 'w', handler: () => undefined, clientOptions: clientOptions() });
    try {
      expectNoSecret(worker.options);
      expectNoSecret(worker.coordinator.options);
      expect(createLoggerLine({ options: worker.options, coordinator: worker.coordinator.options })).not.toContain(SECRET);
      const kinesis = (worker as unknown as { kinesis: { config: { credentials(): Promise<unknown> } } }).kinesis;
      await expect(kinesis.config.credentials()).resolves.toMatchObject({ accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET });
    } finally {
      await worker.stop();
    }
  });
});

function createLoggerLine(fields: Record<string, unknown>): string {
  return lines((destination) => createLogger({ destination }).info(fields, 'line'));
}
