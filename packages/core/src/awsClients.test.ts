import { Writable } from 'node:stream';
import * as util from 'node:util';
import { createDynamoDbClient, createKinesisClient, hideCredentials, isLoopbackEndpoint, resolveAwsClientOptions } from './awsClients';
import pino from 'pino';
import { InvalidArgumentError } from './errors';

describe('resolveAwsClientOptions', () => {
  it('reads the service endpoint variable before the generic one', () => {
    const env = { AWS_ENDPOINT_URL: 'http://localhost:4566', AWS_ENDPOINT_URL_KINESIS: 'http://127.0.0.1:4568' };
    expect(resolveAwsClientOptions('kinesis', { env }).endpoint).toBe('http://127.0.0.1:4568');
    expect(resolveAwsClientOptions('dynamodb', { env }).endpoint).toBe('http://localhost:4566');
    expect(resolveAwsClientOptions('dynamodb', { env, endpoint: 'http://127.0.0.1:1' }).endpoint).toBe('http://127.0.0.1:1');
  });

  it('gives loopback endpoints a region and dummy credentials, and AWS endpoints neither', () => {
    const local = resolveAwsClientOptions('kinesis', { env: { AWS_ENDPOINT_URL: 'http://localhost:4566' } });
    expect(local.region).toBe('us-east-1');
    expect(local.credentials).toEqual({ accessKeyId: 'shardline-local', secretAccessKey: 'shardline-local' });
    const aws = resolveAwsClientOptions('kinesis', { env: { AWS_REGION: 'eu-west-1' } });
    expect(aws.region).toBe('eu-west-1');
    expect(aws.endpoint).toBeUndefined();
    expect(aws.credentials).toBeUndefined();
  });

  it('validates before any I/O', () => {
    expect(() => resolveAwsClientOptions('kinesis', { endpoint: 'not a url', env: {} })).toThrow(InvalidArgumentError);
    expect(() => resolveAwsClientOptions('kinesis', { endpoint: 'ftp://x', env: {} })).toThrow('kinesis.endpoint must use http or https (got "ftp://x")');
    expect(() => resolveAwsClientOptions('kinesis', { maxSockets: 0, env: {} })).toThrow('kinesis.maxSockets must be an integer between 1 and 1024 (got 0)');
    expect(() => resolveAwsClientOptions('kinesis', { regoin: 'x', env: {} } as never)).toThrow('kinesis.regoin is not an option');
    expect(() => resolveAwsClientOptions('kinesis', { credentials: { accessKeyId: '' } as never, env: {} })).toThrow(/credentials must have/);
  });

  it('recognises loopback hosts', () => {
    expect(isLoopbackEndpoint('http://127.0.0.1:1')).toBe(true);
    expect(isLoopbackEndpoint('http://localhost')).toBe(true);
    expect(isLoopbackEndpoint('https://kinesis.us-east-1.amazonaws.com')).toBe(false);
    expect(isLoopbackEndpoint(undefined)).toBe(false);
  });
});

describe('hideCredentials', () => {
  const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
  const TOKEN = 'IQoJb3JpZ2luX2VjE-session-token';
  const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN };
  const env = { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN, AWS_REGION: 'eu-west-1' };

  function printed(value: unknown): string[] {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) });
    // A logger without any redaction (plain pino) prints what JSON serialization sees.
    pino({}, destination).info({ value }, 'x');
    return [JSON.stringify(value), util.inspect(value, { depth: Infinity }), String(value && JSON.stringify({ ...value })), ...lines];
  }

  it('keeps secrets out of everything that prints the options, while clients still get them', async () => {
    const hidden = hideCredentials({ region: 'eu-west-1', credentials, env });
    for (const text of printed(hidden)) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(TOKEN);
    }
    // The SDK gets the same keys, also through a spread of the options (as components build clients).
    for (const client of [createKinesisClient({ ...hidden, maxAttempts: 1 }), createDynamoDbClient(hidden)]) {
      await expect(client.config.credentials()).resolves.toMatchObject(credentials);
      client.destroy();
    }
    expect(resolveAwsClientOptions('kinesis', { env: hideCredentials({ env }).env }).credentials).toEqual(credentials);
    expect(resolveAwsClientOptions('kinesis', hideCredentials({ env })).region).toBe('eu-west-1');
    // Idempotent, and the caller's object is left as it was.
    const twice = hideCredentials(hideCredentials({ credentials, env }));
    expect(resolveAwsClientOptions('kinesis', { env: twice.env }).credentials).toEqual(credentials);
    const provider = twice.credentials as () => Promise<unknown>;
    await expect(provider()).resolves.toBe(credentials);
    expect(credentials.secretAccessKey).toBe(SECRET);
    expect(Object.keys(env)).toContain('AWS_SECRET_ACCESS_KEY');
  });

  it('leaves what it need not hide, and what validation must see, as it is', () => {
    expect(hideCredentials(undefined)).toBeUndefined();
    const plain = { region: 'eu-west-1' };
    expect(hideCredentials(plain)).toEqual(plain);
    const provider = async () => credentials;
    expect(hideCredentials({ credentials: provider }).credentials).toBe(provider);
    const invalid = { credentials: { accessKeyId: '' } as never };
    expect(() => resolveAwsClientOptions('kinesis', hideCredentials(invalid))).toThrow(/credentials must have/);
  });
});
