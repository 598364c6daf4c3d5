import { type Logger, MemoryMetrics } from '@shardline/core';
import { guardLogger, guardMetrics } from './guardedSeams';

function recordingLogger(): Logger & { lines: unknown[][] } {
  const lines: unknown[][] = [];
  const log = (...args: unknown[]): void => void lines.push(args);
  const logger = { lines, trace: log, debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

describe('guardLogger', () => {
  it('passes calls through unchanged, and turns a throwing sink into one process warning', () => {
    const inner = recordingLogger();
    guardLogger(inner).child({ component: 'x' }).info({ a: 1 }, 'hello');
    guardLogger(inner).warn('just a message');
    expect(inner.lines).toEqual([[{ a: 1 }, 'hello'], ['just a message']]);

    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const fail = (): never => {
        throw new Error('sink down');
      };
      const broken: Logger = { trace: fail, debug: fail, info: fail, warn: fail, error: fail, child: fail };
      const guarded = guardLogger(broken).child({ component: 'x' });
      expect(() => guarded.error({ err: new Error('x') }, 'a')).not.toThrow();
      expect(() => guarded.info('b')).not.toThrow();
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(String(emitWarning.mock.calls[0]![0])).toContain('sink down');
    } finally {
      emitWarning.mockRestore();
    }
  });
});

describe('guardMetrics', () => {
  it('passes updates through, and logs an instrument that throws once instead of throwing', () => {
    const memory = new MemoryMetrics();
    const logger = recordingLogger();
    const counter = guardMetrics(memory, logger).counter({ name: 'ok_total', help: 'h' });
    counter.add(2);
    expect(memory.total('ok_total')).toBe(2);

    const fail = (): never => {
      throw new Error('backend down');
    };
    const broken = guardMetrics({ counter: () => ({ add: fail }), gauge: () => ({ set: fail, add: fail }), histogram: () => ({ observe: fail }) }, logger);
    const c = broken.counter({ name: 'c_total', help: 'h' });
    const h = broken.histogram({ name: 'h_seconds', help: 'h' });
    expect(() => {
      c.add(1);
      c.add(1);
      h.observe(1);
      broken.gauge({ name: 'g', help: 'h' }).set(1);
    }).not.toThrow();
    expect(logger.lines.map((l) => (l[0] as { metric: string }).metric)).toEqual(['c_total', 'h_seconds', 'g']);
  });
});
