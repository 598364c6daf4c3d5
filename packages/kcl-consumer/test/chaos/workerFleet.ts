/**
 * The chaos run's worker processes (`workerProcess.ts`): spawning them, signalling them and
 * reading what they write (stdout into the {@link Recorder}, the last stderr lines kept here).
 */
import * as path from 'node:path';
import { LineProcess } from '@shardline/testkit';
import type { Recorder } from './recording';

const FIXTURE = path.join(__dirname, 'workerProcess.ts');
const PACKAGE_DIR = path.join(__dirname, '..', '..');

/** One `workerProcess.ts` child: its stdout lines go to the {@link Recorder}. */
export class WorkerProcess extends LineProcess {
  /** What this run did to it. */
  fate: 'running' | 'killed' | 'terminated' = 'running';

  constructor(
    readonly workerId: string,
    env: Readonly<Record<string, string>>,
    recorder: Recorder,
  ) {
    super({
      name: workerId,
      args: ['--conditions=shardline-source', '--import', 'tsx', FIXTURE],
      cwd: PACKAGE_DIR,
      env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SHARDLINE_CHAOS_WORKER: workerId },
      onLine: (line) => recorder.add(line),
    });
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
