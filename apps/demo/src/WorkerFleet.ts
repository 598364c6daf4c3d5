/**
 * The demo's worker processes (`workerProcess`): spawning, signalling and reading them. Run from
 * sources (tests, tsx) the child is `workerProcess.ts` under tsx with the workspace's source
 * condition; run from `dist/` it is `workerProcess.js` under plain node.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import type { Recorder } from './Recorder';
import type { WorkerConfig } from './workerLine';

const FROM_SOURCES = __filename.endsWith('.ts');
const ENTRY = path.join(__dirname, FROM_SOURCES ? 'workerProcess.ts' : 'workerProcess.js');
const NODE_ARGS = FROM_SOURCES ? ['--conditions=shardline-source', '--import', 'tsx', ENTRY] : [ENTRY];

/** What became of a worker process. */
export type WorkerFate = 'running' | 'killed' | 'terminated';

/** One worker child process. */
export class WorkerProcess {
  readonly stderrTail: string[] = [];
  /** `Date.now()` when it exited, and how. */
  exit: { readonly at: number; readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined;
  fate: WorkerFate = 'running';
  /** Resolves once the child has exited and its output has been read. */
  readonly closed: Promise<void>;
  private readonly child: ChildProcess;

  constructor(
    readonly workerId: string,
    config: WorkerConfig,
    env: Readonly<Record<string, string | undefined>>,
    recorder: Recorder,
  ) {
    this.child = spawn(process.execPath, NODE_ARGS, {
      cwd: path.join(__dirname, '..'),
      env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SHARDLINE_DEMO_WORKER: JSON.stringify(config) },
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
    // stdin stays open: its end tells the child that the demo is gone.
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => recorder.add(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Sends `signal` (marking the fate); returns `Date.now()` just before. */
  signal(signal: 'SIGKILL' | 'SIGTERM'): number {
    this.fate = signal === 'SIGKILL' ? 'killed' : 'terminated';
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

  /** SIGKILL unless gone, then waits for the exit. */
  async destroy(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    this.child.stdin?.destroy();
    await this.closed;
  }
}

/** Every worker process of one run. */
export class WorkerFleet {
  readonly workers: WorkerProcess[] = [];

  constructor(
    private readonly env: Readonly<Record<string, string | undefined>>,
    private readonly recorder: Recorder,
  ) {}

  start(config: WorkerConfig): WorkerProcess {
    const w = new WorkerProcess(config.workerId, config, this.env, this.recorder);
    this.workers.push(w);
    return w;
  }

  /** Workers not killed or stopped by the demo that are still running. */
  live(): WorkerProcess[] {
    return this.workers.filter((w) => w.fate === 'running' && w.alive);
  }

  /** The last stderr lines of each worker, on one line. */
  stderrSummary(): string {
    return this.workers.map((w) => `${w.workerId}: ${w.stderrTail.slice(-5).join(' | ') || '(nothing on stderr)'}`).join('; ');
  }

  /** SIGKILLs every worker still running and waits until all have exited. */
  async destroy(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.destroy()));
  }
}
