import { LineProcess } from '../src';

const script = (body: string): string[] => ['-e', body];

describe('LineProcess', () => {
  it('hands over stdout line by line, keeps the last stderr lines and records a clean exit', async () => {
    const lines: string[] = [];
    const p = new LineProcess({
      name: 'child',
      args: script("console.log('a'); console.log('b'); for (let i = 0; i < 5; i++) console.error('e' + i);"),
      cwd: process.cwd(),
      env: process.env,
      onLine: (line) => lines.push(line),
      stderrLines: 2,
    });
    await p.closed;
    expect(lines).toEqual(['a', 'b']);
    expect(p.stderrTail).toEqual(['e3', 'e4']);
    expect(p.alive).toBe(false);
    expect(p.exit).toMatchObject({ code: 0, signal: null });
  });

  it('says in words when a child does not exit cleanly after SIGTERM, and destroy() ends it', async () => {
    // Ignores SIGTERM and stays up until killed; 'up' is written once the handler is in place.
    let up!: () => void;
    const isUp = new Promise<void>((resolve) => (up = resolve));
    const p = new LineProcess({
      name: 'stubborn',
      args: script("process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000);"),
      cwd: process.cwd(),
      env: process.env,
      onLine: (line) => line === 'up' && up(),
    });
    await isUp;
    const at = p.signal('SIGTERM');
    await expect(p.awaitCleanExit(at, 300)).resolves.toEqual({ afterMs: undefined, problem: 'stubborn did not exit within 0.3 s of SIGTERM: the stopped process left a handle open' });
    await p.destroy();
    expect(p.exit?.signal).toBe('SIGKILL');
  });
});
