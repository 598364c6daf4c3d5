import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link LineProcess}. */
export interface LineProcessOptions {
  /** What messages call it (a worker id). */
  readonly name: string;
  /** Arguments to `node` (`process.execPath`): the script and its flags. */
  readonly args: readonly string[];
  readonly cwd: string;
  /** The whole environment of the child. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Each line the child writes to stdout. */
  readonly onLine: (line: string) => void;
  /** How many of the last stderr lines to keep. Default 40. */
  readonly stderrLines?: number;
}

/**
 * A Node child process that reports on stdout, line by line, as the crash tests' and the demo's
 * worker processes do: its exit, the last lines of its stderr, signals, and waits bounded in time.
 * Its stdin stays open, so that the child can tell when its parent is gone (stdin ends).
 */
export class LineProcess {
  readonly name: string;
  /** The last stderr lines. */
  readonly stderrTail: string[] = [];
  /** Set when the child has exited: `Date.now()` then, and how. */
  exit: { readonly at: number; readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined;
  /** Resolves once the child has exited and its output has been read to the end. */
  readonly closed: Promise<void>;
  private readonly child: ChildProcess;

  constructor(options: LineProcessOptions) {
    this.name = options.name;
    const keep = options.stderrLines ?? 40;
    this.child = spawn(process.execPath, [...options.args], { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.closed = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.stderrTail.push(`spawn failed: ${String(error)}`);
        this.exit ??= { at: Date.now(), code: null, signal: null };
        resolve();
      });
      this.child.once('exit', (code, signal) => (this.exit ??= { at: Date.now(), code, signal }));
      this.child.once('close', () => resolve());
    });
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', options.onLine);
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > keep) this.stderrTail.shift();
    });
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Sends `signal`; returns `Date.now()` just before. */
  signal(signal: NodeJS.Signals): number {
    const at = Date.now();
    this.child.kill(signal);
    return at;
  }

  /** Resolves true once exited, false if still running after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<boolean> {
    const timer = new AbortController();
    const exited = await Promise.race([this.closed.then(() => true), delay(timeoutMs, false, { signal: timer.signal }).catch(() => false)]);
    timer.abort();
    return exited;
  }

  /**
   * Waits up to `timeoutMs` for the child, sent SIGTERM at `signalledAt`, to exit by itself with
   * code 0; returns when it exited (ms after the signal) and, if it did not, why, in words.
   */
  async awaitCleanExit(signalledAt: number, timeoutMs: number, when = ''): Promise<{ afterMs: number | undefined; problem: string | undefined }> {
    if (!(await this.waitForExit(timeoutMs))) {
      return { afterMs: undefined, problem: `${this.name} did not exit within ${timeoutMs / 1000} s of SIGTERM${when}: the stopped process left a handle open` };
    }
    const { at, code, signal } = this.exit!;
    return { afterMs: at - signalledAt, problem: code === 0 ? undefined : `${this.name} exited with ${code ?? signal} after SIGTERM${when}` };
  }

  /** SIGKILL unless already gone, then waits for the exit. */
  async destroy(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    this.child.stdin?.destroy();
    await this.closed;
  }
}
