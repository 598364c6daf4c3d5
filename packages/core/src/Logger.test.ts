import { Writable } from 'node:stream';
import { createLogger, createNoopLogger } from './Logger';

describe('createLogger', () => {
  it('redacts credentials at any depth we log them', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination }).child({ component: 'test' });
    log.info({ credentials: { accessKeyId: 'AKIA', secretAccessKey: 'shh' }, client: { secretAccessKey: 'shh2', sessionToken: 'tok' } }, 'hello');
    const entry = JSON.parse(lines[0]!);
    expect(entry.msg).toBe('hello');
    expect(entry.component).toBe('test');
    expect(entry.credentials).toBe('[REDACTED]');
    expect(entry.client.secretAccessKey).toBe('[REDACTED]');
    expect(lines[0]).not.toContain('shh');
    expect(lines[0]).not.toContain('tok');
  });

  it('noop logger returns itself for children', () => {
    const log = createNoopLogger();
    expect(log.child({ a: 1 })).toBe(log);
    expect(() => log.error('x')).not.toThrow();
  });
});
