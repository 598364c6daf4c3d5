import { PassThrough } from 'node:stream';
import { Console } from 'node:console';
import { guardStdout } from './stdoutGuard';

function collect(stream: PassThrough): () => string {
  const parts: Buffer[] = [];
  stream.on('data', (c: Buffer) => parts.push(c));
  return () => Buffer.concat(parts).toString('utf8');
}

describe('guardStdout', () => {
  it('sends user writes and console output to stderr, and only protocol writes to stdout', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = collect(stdout);
    const err = collect(stderr);
    const target = new Console({ stdout, stderr });
    const guard = guardStdout({ stdout, stderr, console: target });
    try {
      stdout.write('user text\n');
      stdout.write(Buffer.from('user bytes\n'));
      target.log('log %d', 1);
      target.info('info', { a: 1 });
      target.debug('debug');
      target.warn('warn');
      guard.write('{"action":"status","responseFor":"initialize"}\n');
    } finally {
      guard.restore();
    }
    expect(out()).toBe('{"action":"status","responseFor":"initialize"}\n');
    expect(err()).toBe('user text\nuser bytes\nlog 1\ninfo { a: 1 }\ndebug\nwarn\n');
  });

  it('restores stdout.write and the console methods', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = collect(stdout);
    const target = new Console({ stdout, stderr });
    const log = target.log;
    const guard = guardStdout({ stdout, stderr, console: target });
    guard.restore();
    guard.restore();
    expect(Object.prototype.hasOwnProperty.call(stdout, 'write')).toBe(false);
    expect(target.log).toBe(log);
    stdout.write('after\n');
    expect(out()).toBe('after\n');
  });

  it('keeps the protocol on the real stdout when guards are nested', () => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = collect(stdout);
    const err = collect(stderr);
    const target = new Console({ stdout, stderr });
    const outer = guardStdout({ stdout, stderr, console: target });
    const inner = guardStdout({ stdout, stderr, console: target });
    inner.write('protocol\n');
    stdout.write('user\n');
    inner.restore();
    outer.restore();
    expect(out()).toBe('protocol\n');
    expect(err()).toBe('user\n');
  });

  it('guards process.stdout by default', () => {
    const stderr = new PassThrough();
    const err = collect(stderr);
    const original = process.stdout.write;
    const guard = guardStdout({ stderr, console: new Console({ stdout: stderr }) });
    try {
      process.stdout.write('redirected\n');
    } finally {
      guard.restore();
    }
    expect(process.stdout.write).toBe(original);
    expect(err()).toBe('redirected\n');
  });
});
