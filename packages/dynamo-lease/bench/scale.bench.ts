/**
 * How lease coordination cost grows with the work: L leases over W coordinators at
 * failoverTimeMs F = 10,000 (the default), against dynalite in a child process of its own
 * (testkit startEmulatorProcess; a fresh one per size). Coordinators run in GROUPS child processes
 * (bench/coordinatorGroup.ts); the first process holds one coordinator alone: the SIGKILL victim.
 *
 * Per size:
 *   1. cold start: L unowned leases, every coordinator started at once; time until every lease is
 *      owned by a live coordinator and owner counts differ by at most 1 (checked on a table scan
 *      by this process, uninstrumented);
 *   2. steady state: Scan requests/s, conditional writes/s (every write with a ConditionExpression:
 *      renewals, takes, handoffs) and read capacity units per lease-minute, counted by a middleware on
 *      every coordinator's own DynamoDB client (DynamoDB's ConsumedCapacity, eventually consistent scans),
 *      over STEADY_MS;
 *   3. SIGKILL of the victim's process: time until its leases are owned by the survivors and balanced.
 * Next to the Java KCL 2.x's timers for the same sizes, MODELLED (formulas in each line): renew every
 * F/3 − ε per lease, one full-table scan per worker every 2(F + ε), expiry seen by the second scan
 * after the last renewal; a convergence round (take or steal) per 2(F + ε).
 *
 * Sizes: BENCH_SCALE=full runs L ∈ {100, 300, 1000} × W ∈ {10, 50} (about 15 minutes); the default
 * (to stay within ~6 minutes on a 2-core machine) runs 100×10, 300×10 and 100×50. BENCH_SCALE='1000x10,…'
 * runs the sizes listed. BENCH_STEADY_MS (15,000) sets the window, BENCH_CONVERGE_TIMEOUT_MS (60,000)
 * how long a convergence may take before it is reported as not converged (with what was held).
 * On this machine dynalite (one process, ~500 conditional writes/s) cannot serve 1,000 leases' renewals
 * or 50 coordinators' scans of 300 leases: leases then expire and churn, which the lines report.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { createDynamoDbClient } from '@shardline/core';
import { startEmulatorProcess, stopEmulatorProcess, uniqueName } from '@shardline/testkit';
import { LeaseCoordinator, LeaseTable } from '../src';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const F = 10_000;
const EPSILON = 25;
const GROUPS = 5;
const STEADY_MS = Number(process.env.BENCH_STEADY_MS ?? 15_000);
const CONVERGE_TIMEOUT_MS = Number(process.env.BENCH_CONVERGE_TIMEOUT_MS ?? 60_000);
const FULL = ['100x10', '300x10', '1000x10', '100x50', '300x50', '1000x50'];
const DEFAULT = ['100x10', '300x10', '100x50'];
const chosen = process.env.BENCH_SCALE === 'full' ? FULL : process.env.BENCH_SCALE ? process.env.BENCH_SCALE.split(',') : DEFAULT;
const kclTakerMs = 2 * (F + EPSILON);
const kclRenewMs = Math.floor(F / 3) - EPSILON;

function line(name: string, value: number, unit: string, conditions: string): void {
  const shown = unit === 'x' ? value.toFixed(2) : Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(3);
  console.log(`bench: ${name} ${shown} ${unit} -- ${conditions}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Report {
  readonly held: Record<string, number>;
  readonly scans: number;
  readonly scanItems: number;
  readonly conditionalWrites: number;
  readonly failedConditionalWrites: number;
  readonly readUnits: number;
  readonly requests: number;
}

/** One child process running some coordinators. */
class Group {
  last: Report | undefined;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  readonly ready: Promise<void>;

  constructor(
    endpoint: string,
    tableName: string,
    readonly workerIds: readonly string[],
  ) {
    const entry = path.join(__dirname, 'coordinatorGroup.ts');
    this.child = spawn(process.execPath, ['--conditions=shardline-source', '--import', 'tsx', entry, JSON.stringify({ endpoint, tableName, workerIds, failoverTimeMs: F })], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    let readied!: () => void;
    this.ready = new Promise((resolve) => (readied = resolve));
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      try {
        const message = JSON.parse(text) as Report & { ready?: boolean };
        if (message.ready) readied();
        else this.last = message;
      } catch {
        // not ours
      }
    });
  }

  go(): void {
    this.child.stdin!.write('go\n');
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Ends the group: stdin closes (the coordinators stop), SIGKILL after 8 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 8_000);
    await this.exited;
    clearTimeout(timer);
  }
}

function sum(groups: readonly Group[], key: Exclude<keyof Report, 'held'>): number {
  return groups.reduce((s, g) => s + (g.last?.[key] ?? 0), 0);
}

/** True when every lease is owned by one of `live` and their counts differ by at most one (ground truth: a scan). */
async function converged(table: LeaseTable, live: ReadonlySet<string>, leases: number): Promise<boolean> {
  const all = await table.listLeases({ consistentRead: true });
  const counts = new Map([...live].map((w) => [w, 0]));
  for (const l of all) {
    if (l.leaseOwner === undefined || !counts.has(l.leaseOwner)) return false;
    counts.set(l.leaseOwner, counts.get(l.leaseOwner)! + 1);
  }
  const values = [...counts.values()];
  return all.length === leases && Math.max(...values) - Math.min(...values) <= 1;
}

/** Cheap pre-check on what the groups report (local views), before the scan. */
function looksConverged(groups: readonly Group[], live: ReadonlySet<string>, leases: number): boolean {
  const values: number[] = [];
  for (const g of groups) if (g.alive && g.last) for (const [w, n] of Object.entries(g.last.held)) if (live.has(w)) values.push(n);
  return values.length === live.size && values.reduce((a, b) => a + b, 0) === leases && Math.max(...values) - Math.min(...values) <= 1;
}

interface Convergence {
  readonly ms: number;
  readonly converged: boolean;
  /** What the groups last reported: leases held by live coordinators, and the spread of their counts. */
  readonly held: number;
  readonly spread: number;
}

function reported(groups: readonly Group[], live: ReadonlySet<string>): { held: number; spread: number } {
  const values: number[] = [];
  for (const g of groups) if (g.alive && g.last) for (const [w, n] of Object.entries(g.last.held)) if (live.has(w)) values.push(n);
  return { held: values.reduce((a, b) => a + b, 0), spread: values.length ? Math.max(...values) - Math.min(...values) : NaN };
}

/** Waits (up to CONVERGE_TIMEOUT_MS) for every lease owned by `live` and balanced; never throws for a timeout. */
async function waitConverged(table: LeaseTable, groups: readonly Group[], live: ReadonlySet<string>, leases: number, what: string): Promise<Convergence> {
  const started = Date.now();
  let nextLog = started + 10_000;
  while (Date.now() - started < CONVERGE_TIMEOUT_MS) {
    if (looksConverged(groups, live, leases) && (await converged(table, live, leases))) return { ms: Date.now() - started, converged: true, ...reported(groups, live) };
    if (Date.now() > nextLog) {
      const r = reported(groups, live);
      console.error(`  ${what}: ${((Date.now() - started) / 1000).toFixed(0)} s, ${r.held}/${leases} held, spread ${r.spread}`);
      nextLog += 10_000;
    }
    await sleep(100);
  }
  return { ms: Date.now() - started, converged: false, ...reported(groups, live) };
}

/** The text of a convergence line that timed out. */
function outcome(c: Convergence, leases: number): string {
  return c.converged ? '' : `NOT converged within ${CONVERGE_TIMEOUT_MS / 1000} s (value is the timeout: a lower bound); at the end ${c.held}/${leases} held, spread ${c.spread}; `;
}

async function runSize(leases: number, workers: number): Promise<void> {
  const dynalite = await startEmulatorProcess('dynamodb');
  const client = createDynamoDbClient({ endpoint: dynalite.endpoint, env: {}, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const groups: Group[] = [];
  const size = `${leases}-leases-${workers}-coordinators`;
  const conditions = `${leases} leases over ${workers} coordinators in ${GROUPS} processes, failoverTimeMs ${F}, dynalite in its own process, 2-core machine`;
  try {
    const tableName = uniqueName('scale');
    const setup = new LeaseCoordinator({ tableName, workerId: 'setup', client });
    await setup.createLeasesIfNotExist(Array.from({ length: leases }, (_, i) => ({ leaseKey: `shardId-${String(i).padStart(12, '0')}` })));
    await setup.close();
    const table = new LeaseTable({ tableName, client });
    const ids = Array.from({ length: workers }, (_, i) => `w${String(i).padStart(2, '0')}`);
    // The victim alone in the first process; the others spread over the rest.
    const rest = ids.slice(1);
    const per = Math.ceil(rest.length / (GROUPS - 1));
    groups.push(new Group(dynalite.endpoint, tableName, [ids[0]!]));
    for (let i = 0; i < rest.length; i += per) groups.push(new Group(dynalite.endpoint, tableName, rest.slice(i, i + per)));
    await Promise.all(groups.map((g) => g.ready));

    // 1. Cold start.
    for (const g of groups) g.go();
    const live = new Set(ids);
    const cold = await waitConverged(table, groups, live, leases, `${size} cold start`);
    const coldMs = cold.ms;

    // 2. Steady state.
    await sleep(1_000);
    const at = (): Record<string, number> => ({
      scans: sum(groups, 'scans'),
      scanItems: sum(groups, 'scanItems'),
      writes: sum(groups, 'conditionalWrites'),
      failed: sum(groups, 'failedConditionalWrites'),
      rcu: sum(groups, 'readUnits'),
    });
    const before = at();
    const from = Date.now();
    await sleep(STEADY_MS);
    const after = at();
    const seconds = (Date.now() - from) / 1000;
    const scansPerS = (after.scans! - before.scans!) / seconds;
    const writesPerS = (after.writes! - before.writes!) / seconds;
    const rcuPerLeaseMinute = (after.rcu! - before.rcu!) / leases / (seconds / 60);
    const rcuPerScan = (after.rcu! - before.rcu!) / Math.max(1, after.scans! - before.scans!);

    // 3. SIGKILL of the victim's process.
    groups[0]!.kill();
    live.delete(ids[0]!);
    const kill = await waitConverged(table, groups, live, leases, `${size} after SIGKILL`);
    const killMs = kill.ms;

    // The KCL 2.x timer model for the same size.
    const kclScansPerS = workers / (kclTakerMs / 1000);
    const kclWritesPerS = leases / (kclRenewMs / 1000);
    const kclRcuPerLeaseMinute = (workers * (60_000 / kclTakerMs) * rcuPerScan) / leases;
    // Our rounds: cold-start convergence in units of our taker interval; the model gives the KCL as many rounds at its interval.
    const ourTakerMs = F / 4;
    const rounds = Math.max(1, Math.ceil(coldMs / ourTakerMs));
    const kclColdMs = rounds * kclTakerMs;
    const kclKillMs = 1.5 * kclTakerMs;
    const p = `scale-${size}`;
    const churn = cold.converged ? '' : 'NOT a steady state (the cold start did not converge: leases churn); ';
    line(`${p}-cold-convergence`, coldMs, 'ms', `${outcome(cold, leases)}cold start to every lease owned and balanced (spread <= 1); ${conditions}`);
    if (cold.converged) {
      line(`${p}-cold-convergence-kcl2-modelled`, kclColdMs, 'ms', `modelled: the KCL 2.x at our ${rounds} taker rounds x its interval 2(F + eps) = ${kclTakerMs} ms`);
      line(`${p}-cold-convergence-vs-kcl2-modelled`, coldMs / kclColdMs, 'x', 'ours / modelled KCL 2.x (lower is faster)');
    }
    line(`${p}-sigkill-convergence`, killMs, 'ms', `${outcome(kill, leases)}SIGKILL of one coordinator's process to its leases owned by survivors and balanced; ${conditions}`);
    if (kill.converged) {
      line(
        `${p}-sigkill-convergence-kcl2-modelled`,
        kclKillMs,
        'ms',
        `modelled: expiry seen by the 2nd scan after the last renewal, scans every 2(F + eps): between ${kclTakerMs} and ${2 * kclTakerMs} ms, midpoint shown`,
      );
      line(`${p}-sigkill-convergence-vs-kcl2-modelled`, killMs / kclKillMs, 'x', 'ours / modelled KCL 2.x midpoint (lower is faster)');
    }
    line(`${p}-scans-per-s`, scansPerS, 'req/s', `${churn}Scan requests (pages) per second at steady state, counted on every coordinator's client over ${seconds.toFixed(0)} s; ${conditions}`);
    line(`${p}-scans-per-s-kcl2-modelled`, kclScansPerS, 'req/s', `modelled: W / 2(F + eps) = ${workers} / ${kclTakerMs / 1000} s (one full-table scan per worker per taker run)`);
    line(`${p}-scans-per-s-vs-kcl2-modelled`, scansPerS / kclScansPerS, 'x', 'ours / modelled KCL 2.x (our taker runs every F/4, jittered down by up to 20 %)');
    line(
      `${p}-conditional-writes-per-s`,
      writesPerS,
      'req/s',
      `${churn}writes with a ConditionExpression per second at steady state (renewals, takes, handoffs); ${((after.failed! - before.failed!) / seconds).toFixed(1)}/s failed their condition; ${conditions}`,
    );
    line(`${p}-conditional-writes-per-s-kcl2-modelled`, kclWritesPerS, 'req/s', `modelled: L / (F/3 - eps) = ${leases} / ${kclRenewMs / 1000} s (renewals only)`);
    line(`${p}-conditional-writes-per-s-vs-kcl2-modelled`, writesPerS / kclWritesPerS, 'x', 'ours / modelled KCL 2.x');
    line(
      `${p}-read-units-per-lease-minute`,
      rcuPerLeaseMinute,
      'RCU',
      `${churn}read capacity units (DynamoDB ConsumedCapacity, eventually consistent scans) per lease per minute at steady state; ${rcuPerScan.toFixed(1)} RCU per scan of ${leases} leases; ${conditions}`,
    );
    line(`${p}-read-units-per-lease-minute-kcl2-modelled`, kclRcuPerLeaseMinute, 'RCU', `modelled: W x (60 s / 2(F + eps)) x ${rcuPerScan.toFixed(1)} RCU per scan (measured, same table) / L`);
    line(`${p}-read-units-per-lease-minute-vs-kcl2-modelled`, rcuPerLeaseMinute / kclRcuPerLeaseMinute, 'x', 'ours / modelled KCL 2.x');
  } finally {
    await Promise.all(groups.map((g) => g.stop()));
    client.destroy();
    await stopEmulatorProcess(dynalite);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  console.error(`scale bench sizes (leases x coordinators): ${chosen.join(', ')}${chosen.length < FULL.length ? ' (BENCH_SCALE=full for the full grid)' : ''}`);
  for (const size of chosen) {
    const [leases, workers] = size.split('x').map(Number) as [number, number];
    const t = Date.now();
    await runSize(leases, workers).catch((error: unknown) => {
      console.error(`${size} failed:`, error);
      process.exitCode = 1;
    });
    console.error(`${size}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  line(
    'scale-sizes-run',
    chosen.length,
    'sizes',
    `leases x coordinators: ${chosen.join(', ')}${chosen.length < FULL.length ? ` (subset; BENCH_SCALE=full adds ${FULL.filter((s) => !chosen.includes(s)).join(', ')})` : ' (full grid)'}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
