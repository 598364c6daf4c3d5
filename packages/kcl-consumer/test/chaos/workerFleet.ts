/**
 * The chaos run's worker processes (`workerProcess.ts`): spawning them, signalling them and
 * reading what they write (stdout into the {@link Recorder}, the last stderr lines kept here).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import type { Recorder } from './recording';

const FIXTURE = path.join(__dirname, 'workerProcess.ts');
const PACKAGE_DIR = path.join(__dirname, '..', '..');

/** One `workerProcess.ts` child. */
export class WorkerProcess {
  readonly stderrTail: string[] = [];
  /** Set when the child has exited: `Date.now()` then, and how. */
  exit: { readonly at: number; readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined;
  /** What this run did to it. */
  fate: 'running' | 'killed' | 'terminated' = 'running';
  /** Resolves once the child has exited and its output has been read to the end. */
  readonly closed: Promise<void>;
  private readonly child: ChildProcess;

  constructor(
    readonly workerId: string,
    env: Readonly<Record<string, string>>,
    recorder: Recorder,
  ) {
    this.child = spawn(process.execPath, ['--conditions=shardline-source', '--import', 'tsx', FIXTURE], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SHARDLINE_CHAOS_WORKER: workerId },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.closed = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.stderrTail.push(`spawn failed: ${String(error)}`);
        this.exit ??= { at: Date.now(), code: null, signal: null };
        resolve();
      });
      this.child.once('exit', (code, signal) => (this.exit ??= { at: Date.now(), code, signal }));
      this.child.once('close', () => resolve());
    });
    // stdin stays open: its end tells the child that this process is gone.
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => recorder.add(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 40) this.stderrTail.shift();
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
      return { afterMs: undefined, problem: `${this.workerId} did not exit within ${timeoutMs / 1000} s of SIGTERM${when}: the stopped worker left a handle open` };
    }
    const { at, code, signal } = this.exit!;
    return { afterMs: at - signalledAt, problem: code === 0 ? undefined : `${this.workerId} exited with ${code ?? signal} after SIGTERM${when}` };
  }

  /** SIGKILL unless already gone, then waits for the exit. */
  async destroy(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    this.child.stdin?.destroy();
    await this.closed;
  }
}

/** Every worker process of one run, all with the same environment. */
export class WorkerFleet {
  readonly workers: WorkerProcess[] = [];

  constructor(
    private readonly env: Readonly<Record<string, string>>,
    private readonly recorder: Recorder,
  ) {}

  start(workerId: string): WorkerProcess {
    const w = new WorkerProcess(workerId, this.env, this.recorder);
    this.workers.push(w);
    return w;
  }

  /** The workers this run has not killed or stopped, and that have not exited. */
  live(): WorkerProcess[] {
    return this.workers.filter((w) => w.fate === 'running' && w.alive);
  }

  liveIds(): string[] {
    return this.live().map((w) => w.workerId);
  }

  ready(w: WorkerProcess): boolean {
    return this.recorder.isReady(w.workerId);
  }

  /** Sends SIGTERM to each of `workers` at once (marking them `terminated`); returns `Date.now()` just before. */
  terminate(workers: readonly WorkerProcess[]): number {
    const at = Date.now();
    for (const w of workers) {
      w.fate = 'terminated';
      w.signal('SIGTERM');
    }
    return at;
  }

  /** The last few stderr lines of each worker, on one line. */
  stderrSummary(): string {
    return this.workers.map((w) => `${w.workerId}: ${w.stderrTail.slice(-5).join(' | ')}`).join('; ');
  }

  stderrTails(): Record<string, readonly string[]> {
    return Object.fromEntries(this.workers.map((w) => [w.workerId, w.stderrTail]));
  }

  /** SIGKILLs every worker still running and waits until all have exited. */
  async destroy(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.destroy()));
  }
}
