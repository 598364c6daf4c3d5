/**
 * The demo's worker processes (`workerProcess`): spawning, signalling and reading them. Run from
 * sources (tests, tsx) the child is `workerProcess.ts` under tsx with the workspace's source
 * condition; run from `dist/` it is `workerProcess.js` under plain node.
 */
import * as path from 'node:path';
import { LineProcess } from '@shardline/testkit';
import type { Recorder } from './Recorder';
import type { WorkerConfig } from './workerLine';

const FROM_SOURCES = __filename.endsWith('.ts');
const ENTRY = path.join(__dirname, FROM_SOURCES ? 'workerProcess.ts' : 'workerProcess.js');
const NODE_ARGS = FROM_SOURCES ? ['--conditions=shardline-source', '--import', 'tsx', ENTRY] : [ENTRY];

/** What became of a worker process. */
export type WorkerFate = 'running' | 'killed' | 'terminated';

/** One worker child process: its stdout lines go to the {@link Recorder}. */
export class WorkerProcess extends LineProcess {
  fate: WorkerFate = 'running';

  constructor(
    readonly workerId: string,
    config: WorkerConfig,
    env: Readonly<Record<string, string | undefined>>,
    recorder: Recorder,
  ) {
    super({
      name: workerId,
      args: NODE_ARGS,
      cwd: path.join(__dirname, '..'),
      env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', SHARDLINE_DEMO_WORKER: JSON.stringify(config) },
      onLine: (line) => recorder.add(line),
      stderrLines: 20,
    });
  }

  /** Sends `signal` (marking the fate); returns `Date.now()` just before. */
  override signal(signal: 'SIGKILL' | 'SIGTERM'): number {
    this.fate = signal === 'SIGKILL' ? 'killed' : 'terminated';
    return super.signal(signal);
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
