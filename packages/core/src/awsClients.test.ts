import { isLoopbackEndpoint, resolveAwsClientOptions } from './awsClients';
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
