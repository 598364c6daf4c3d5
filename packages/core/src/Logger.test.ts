import { Writable } from 'node:stream';
import fc from 'fast-check';
import { createLogger, createNoopLogger } from './Logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, log: createLogger({ level: 'info', destination }) };
}

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
const TOKEN = 'IQoJb3JpZ2luX2VjE-session-token';

describe('createLogger', () => {
  it('redacts credentials at any depth we log them', () => {
    const { lines, log: root } = capture();
    const log = root.child({ component: 'test' });
    log.info({ credentials: { accessKeyId: 'AKIA', secretAccessKey: 'shh' }, client: { secretAccessKey: 'shh2', sessionToken: 'tok' } }, 'hello');
    const entry = JSON.parse(lines[0]!);
    expect(entry.msg).toBe('hello');
    expect(entry.component).toBe('test');
    expect(entry.credentials).toBe('[REDACTED]');
    expect(entry.client.secretAccessKey).toBe('[REDACTED]');
    expect(lines[0]).not.toContain('shh');
    expect(lines[0]).not.toContain('tok');
  });

  it('redacts a component’s options: credentials three and more levels down', () => {
    const { lines, log } = capture();
    const options = { streamName: 'orders', clientOptions: { region: 'eu-west-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN } } };
    log.info({ options }, 'started');
    log.info({ worker: { producer: { options } } }, 'deeper');
    for (const line of lines) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain('AKIAEXAMPLE');
    }
    expect(JSON.parse(lines[0]!).options).toEqual({ streamName: 'orders', clientOptions: { region: 'eu-west-1', credentials: '[REDACTED]' } });
    // The caller's object is not touched.
    expect(options.clientOptions.credentials.secretAccessKey).toBe(SECRET);
  });

  it('redacts inside arrays, under environment-style and header names, in any case', () => {
    const { lines, log } = capture();
    log.info({
      shards: [{ id: 's-0', auth: { password: SECRET } }, [{ env: { AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN, AWS_REGION: 'us-east-1' } }]],
      request: { headers: { Authorization: `AWS4-HMAC-SHA256 Credential=AKIA, Signature=${SECRET}`, 'X-Amz-Security-Token': TOKEN, 'content-type': 'application/json' } },
      'secret-access-key': SECRET,
      nested: { kinesisSecretAccessKey: SECRET, nextToken: 'page-2' },
    });
    const line = lines[0]!;
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain(TOKEN);
    const entry = JSON.parse(line);
    expect(entry.shards[1][0].env).toEqual({ AWS_SECRET_ACCESS_KEY: '[REDACTED]', AWS_SESSION_TOKEN: '[REDACTED]', AWS_REGION: 'us-east-1' });
    expect(entry.request.headers['content-type']).toBe('application/json');
    expect(entry.nested.nextToken).toBe('page-2');
  });

  it('redacts child bindings, errors and cyclic objects', () => {
    const { lines, log } = capture();
    const child = log.child({ component: 'producer', clientOptions: { credentials: { secretAccessKey: SECRET } } });
    const cyclic: Record<string, unknown> = { name: 'loop', sessionToken: TOKEN };
    cyclic.self = cyclic;
    const err = Object.assign(new Error('put failed'), { credentials: { secretAccessKey: SECRET }, code: 'E' });
    child.info({ cyclic }, 'cyclic');
    child.error({ err }, 'failed');
    child.error(err as never);
    for (const line of lines) {
      expect(line).not.toContain(SECRET);
      expect(line).not.toContain(TOKEN);
    }
    expect(JSON.parse(lines[0]!).cyclic).toEqual({ name: 'loop', sessionToken: '[REDACTED]', self: '[Circular]' });
    // The err serializer still sees an Error: type, message and stack survive the redaction.
    expect(JSON.parse(lines[1]!).err).toMatchObject({ type: 'Error', message: 'put failed', code: 'E', credentials: '[REDACTED]', stack: expect.stringContaining('put failed') });
    expect(JSON.parse(lines[2]!).err).toMatchObject({ message: 'put failed', credentials: '[REDACTED]' });
    expect(JSON.parse(lines[0]!).component).toBe('producer');
  });

  it('never prints a secret, wherever it sits in a JSON tree, and keeps everything else (property)', () => {
    const secretKeys = fc.constantFrom(
      'secretAccessKey',
      'SECRET_ACCESS_KEY',
      'AWS_SECRET_ACCESS_KEY',
      'sessionToken',
      'aws_session_token',
      'x-amz-security-token',
      'Authorization',
      'password',
      'credentials',
      'accessKeyId',
      'clientSecret',
    );
    const plainKey = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !/secret|token|key|cred|auth|pass|cookie/i.test(k) && k !== '__proto__');
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(
          fc.string({ maxLength: 10 }).filter((s) => !s.includes('EXAMPLE')),
          fc.integer(),
          fc.boolean(),
          fc.constant(null),
        ),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(plainKey, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(
        fc.dictionary(plainKey, tree, { minKeys: 1, maxKeys: 4 }),
        fc.array(fc.tuple(fc.array(fc.nat(), { maxLength: 8 }), secretKeys), { minLength: 1, maxLength: 4 }),
        (fields, placements) => {
          // Put a secret under each chosen key, at the object reached by following the path of indexes.
          const withSecrets = structuredClone<Record<string, unknown>>(fields);
          const expected = structuredClone<Record<string, unknown>>(fields);
          for (const [path, key] of placements) {
            let [a, b]: [Record<string, unknown>, Record<string, unknown> | undefined] = [withSecrets, expected];
            for (const step of path) {
              const keys = Object.keys(a).filter((k) => a[k] !== null && typeof a[k] === 'object');
              if (keys.length === 0) break;
              const k = keys[step % keys.length]!;
              // Below a secret placed earlier, the expected tree is already '[REDACTED]'.
              [a, b] = [a[k] as Record<string, unknown>, b && typeof b[k] === 'object' ? (b[k] as Record<string, unknown>) : undefined];
            }
            a[key] = Array.isArray(a) ? SECRET : { nested: SECRET, list: [SECRET] };
            if (b) b[key] = '[REDACTED]';
          }
          const { lines, log } = capture();
          log.info({ fields: withSecrets }, 'line');
          expect(lines[0]).not.toContain('EXAMPLEKEY');
          expect(JSON.parse(lines[0]!).fields).toEqual(JSON.parse(JSON.stringify(expected)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops fields it cannot walk rather than print them unredacted', () => {
    const { lines, log } = capture();
    const { proxy, revoke } = Proxy.revocable({ secretAccessKey: SECRET }, {});
    revoke();
    expect(() => log.info({ holder: { proxy } }, 'odd')).not.toThrow();
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'odd', redaction: 'failed: fields dropped' });
  });

  it('noop logger returns itself for children', () => {
    const log = createNoopLogger();
    expect(log.child({ a: 1 })).toBe(log);
    expect(() => log.error('x')).not.toThrow();
  });
});
