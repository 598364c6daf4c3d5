import { isSecretKey, REDACTED, redactSecrets } from './redactSecrets';

describe('redactSecrets', () => {
  it.each([
    ['secretAccessKey', true],
    ['SecretAccessKey', true],
    ['AWS_SECRET_ACCESS_KEY', true],
    ['aws_secret_access_key', true],
    ['AWSSecretKey', true],
    ['AWS_SESSION_TOKEN', true],
    ['sessionToken', true],
    ['x-amz-security-token', true],
    ['authorization', true],
    ['Proxy-Authorization', true],
    ['credentials', true],
    ['accessKeyId', true],
    ['dbPassword', true],
    ['clientSecret', true],
    ['token', true],
    ['Cookie', true],
    ['nextToken', false],
    ['NextShardIterator', false],
    ['partitionKey', false],
    ['explicitHashKey', false],
    ['streamName', false],
    ['region', false],
  ])('isSecretKey(%p) is %p', (key, secret) => {
    expect(isSecretKey(key)).toBe(secret);
  });

  it('returns the value itself when there is nothing to redact (no copy for ordinary lines)', () => {
    const flat = { shardId: 'shardId-000000000001', records: 500, millisBehindLatest: 0 };
    const nested = { batch: { shardId: 's', positions: [{ sequenceNumber: '1', subSequenceNumber: 0 }] }, data: Buffer.from('secret=1') };
    expect(redactSecrets(flat)).toBe(flat);
    expect(redactSecrets(nested)).toBe(nested);
    expect(redactSecrets('plain')).toBe('plain');
    expect(redactSecrets(null)).toBe(null);
  });

  it('copies only when needed and leaves opaque values (buffers, dates, maps) as they are', () => {
    const data = Buffer.from('x');
    const at = new Date(0);
    const input = { data, at, list: [1, 2], options: { credentials: { secretAccessKey: 's' } } };
    const out = redactSecrets(input);
    expect(out).not.toBe(input);
    expect(out.data).toBe(data);
    expect(out.at).toBe(at);
    expect(out.options.credentials).toBe(REDACTED);
    expect(input.options.credentials.secretAccessKey).toBe('s');
  });

  it('keeps class instances and errors recognisable, and follows an error’s cause', () => {
    class Options {
      constructor(
        readonly region: string,
        readonly credentials: object,
      ) {}
      get describe(): string {
        return this.region;
      }
    }
    const o = redactSecrets({ o: new Options('eu-west-1', { secretAccessKey: 's' }) }).o;
    expect(o).toBeInstanceOf(Options);
    expect(o.describe).toBe('eu-west-1');
    expect(o.credentials).toBe(REDACTED);
    const err = new Error('outer', { cause: { sessionToken: 't' } });
    const copy = redactSecrets(err);
    expect(copy).toBeInstanceOf(Error);
    expect(copy.message).toBe('outer');
    expect(copy.stack).toBe(err.stack);
    expect(copy.cause).toEqual({ sessionToken: REDACTED });
    expect(Object.keys(copy)).toEqual([]);
  });

  it('handles cycles and shared references', () => {
    const shared = { region: 'x' };
    const a: Record<string, unknown> = { shared, again: shared, password: 'p' };
    a.self = a;
    const out = redactSecrets<Record<string, unknown>>(a);
    expect(out.self).toBe('[Circular]');
    expect(out.shared).toBe(out.again);
    expect(out.password).toBe(REDACTED);
    const deep: Record<string, unknown> = {};
    let node = deep;
    for (let i = 0; i < 5_000; i++) node = node.next = {};
    node.secret = 's';
    expect(JSON.stringify(redactSecrets(deep))).not.toContain('"s"');
  });
});
