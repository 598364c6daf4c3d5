import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';

/** One line a fixture process reports. */
export interface ChildEvent {
  readonly t: number;
  readonly worker: string;
  readonly event: 'acquired' | 'lost' | 'released' | 'started' | 'closed';
  readonly leaseKey?: string;
}

const FIXTURE = path.join(__dirname, 'fixtures', 'coordinatorProcess.ts');

/**
 * A {@link LeaseCoordinator} running in a separate Node process (tsx, workspace sources), so it can
 * be killed with SIGKILL. Tracks the leases it reports holding.
 */
export class ChildCoordinator {
  readonly held = new Set<string>();
  readonly events: ChildEvent[] = [];
  private readonly process: ChildProcess;
  private readonly exited: Promise<void>;
  private listeners: ((e: ChildEvent) => void)[] = [];

  constructor(options: { env: Readonly<Record<string, string>>; tableName: string; workerId: string; failoverTimeMs: number }) {
    this.process = spawn(process.execPath, ['--conditions=shardline-source', '--import', 'tsx', FIXTURE], {
      cwd: path.join(__dirname, '..'),
      env: {
        ...process.env,
        ...options.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        SHARDLINE_FIXTURE_TABLE: options.tableName,
        SHARDLINE_FIXTURE_WORKER: options.workerId,
        SHARDLINE_FIXTURE_FAILOVER_MS: String(options.failoverTimeMs),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      let event: ChildEvent;
      try {
        event = JSON.parse(line) as ChildEvent;
      } catch {
        return;
      }
      this.events.push(event);
      if (event.event === 'acquired') this.held.add(event.leaseKey!);
      if (event.event === 'lost' || event.event === 'released') this.held.delete(event.leaseKey!);
      for (const listener of this.listeners) listener(event);
    });
  }

  /** Resolves at the first event matching `predicate` (past or future). */
  waitForEvent(predicate: (e: ChildEvent) => boolean, timeoutMs: number): Promise<ChildEvent> {
    const past = this.events.find(predicate);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error(`child event not seen within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (e: ChildEvent): void => {
        if (!predicate(e)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(e);
      };
      this.listeners.push(listener);
    });
  }

  /** SIGKILL: no release, no goodbye. Returns the epoch ms just before the signal. */
  kill(): number {
    const at = Date.now();
    this.process.kill('SIGKILL');
    return at;
  }

  /** Graceful stop (SIGTERM: the child releases its leases), or nothing if already gone. */
  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
      this.process.stdin?.end();
    }
    await this.exited;
  }
}
