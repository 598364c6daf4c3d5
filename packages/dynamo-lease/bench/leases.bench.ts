/**
 * Lease coordination benchmark against dynalite (in process), printing `bench:` lines:
 * convergence of 5 workers over 24 leases, DynamoDB requests per lease per minute at steady state,
 * handover after a graceful stop, and failover after SIGKILL of a worker in another process —
 * each next to the Java KCL 2.x figures for the same failoverTimeMs, derived from the timers of its
 * DynamoDBLeaseCoordinator: renew every F/3 − ε (ε = 25 ms), taker every 2(F + ε), expiry detected one
 * taker run after the first scan that saw the last renewal, and no release on graceful shutdown (the
 * KCL 2.x only drops the lease locally: awslabs/amazon-kinesis-client issue #845).
 *
 * Every KCL figure is MODELLED from its timers (lines named `…-kcl2-modelled`, formula printed), not
 * measured: no JVM runs here. Convergence has no KCL formula; it is compared with this implementation
 * run with the KCL's taker interval (2(F + ε)), labelled `…-kcl-taker-interval`.
 * Lines: `bench: <name> <value> <unit> -- <peer and conditions>`; see also bench/scale.bench.ts.
 *
 * Usage: pnpm bench   (BENCH_FAILOVER_MS=3000 by default; BENCH_STEADY_MS=20000)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '@shardline/core';
import { injectFaults, startEmulators, uniqueName, waitFor, type Emulators } from '@shardline/testkit';
import { LeaseCoordinator, type LeaseCoordinatorOptions } from '../src';
import { ChildCoordinator } from '../test/childCoordinator';
import { Timeline } from '../test/Timeline';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const F = Number(process.env.BENCH_FAILOVER_MS ?? 3_000);
const STEADY_MS = Number(process.env.BENCH_STEADY_MS ?? 20_000);
const EPSILON = 25;
const WORKERS = 5;
const LEASES = 24;

const kcl = {
  renewIntervalMs: Math.floor(F / 3) - EPSILON,
  takerIntervalMs: (F + EPSILON) * 2,
};

function line(name: string, value: number, unit: string, conditions: string): void {
  const shown = unit === 'x' ? value.toFixed(2) : Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
  console.log(`bench: ${name} ${shown} ${unit} -- ${conditions}`);
}

/** The conditions every line shares. */
const SETUP = `${WORKERS} workers, ${LEASES} leases, failoverTimeMs ${F}, dynalite in this process`;
/** How the KCL 2.x figures are modelled from the timers of its DynamoDBLeaseCoordinator (ε = 25 ms). */
const KCL_TIMERS = `renew every F/3 - eps = ${Math.floor(F / 3) - EPSILON} ms, taker every 2(F + eps) = ${(F + EPSILON) * 2} ms`;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function balanced(counts: readonly number[]): boolean {
  return counts.reduce((a, b) => a + b, 0) === LEASES && Math.max(...counts) - Math.min(...counts) <= 1;
}

class Fleet {
  readonly coordinators: LeaseCoordinator[] = [];
  readonly clients: DynamoDBClient[] = [];
  readonly calls: ReadonlyMap<string, number>[] = [];

  constructor(
    private readonly emulators: Emulators,
    private readonly tableName: string,
    private readonly timeline: Timeline,
  ) {}

  add(workerId: string, options: Partial<LeaseCoordinatorOptions> = {}): LeaseCoordinator {
    const client = createDynamoDbClient({ env: this.emulators.env });
    this.clients.push(client);
    this.calls.push(injectFaults(client, {}).calls);
    const c = new LeaseCoordinator({ tableName: this.tableName, workerId, failoverTimeMs: F, client, ...options });
    this.coordinators.push(c);
    this.timeline.attach(c);
    return c;
  }

  counts(): number[] {
    return this.coordinators.map((c) => c.heldLeases().length);
  }

  requests(): Record<string, number> {
    const total: Record<string, number> = {};
    for (const calls of this.calls) for (const [name, n] of calls) total[name] = (total[name] ?? 0) + n;
    return total;
  }

  async close(): Promise<void> {
    await Promise.all(this.coordinators.map((c) => c.close()));
    for (const client of this.clients) client.destroy();
  }
}

async function freshTable(emulators: Emulators): Promise<string> {
  const tableName = uniqueName('bench');
  const client = createDynamoDbClient({ env: emulators.env });
  const setup = new LeaseCoordinator({ tableName, workerId: 'setup', client });
  await setup.createLeasesIfNotExist(Array.from({ length: LEASES }, (_, i) => ({ leaseKey: `shardId-${String(i).padStart(12, '0')}` })));
  await setup.close();
  client.destroy();
  return tableName;
}

/** Time from a simultaneous start of 5 workers over 24 unowned leases to a spread of at most 1. */
async function convergence(emulators: Emulators, timeline: Timeline, options: Partial<LeaseCoordinatorOptions>): Promise<{ ms: number; fleet: Fleet }> {
  const fleet = new Fleet(emulators, await freshTable(emulators), timeline);
  for (let i = 0; i < WORKERS; i++) fleet.add(`w${i}`, options);
  const startedAt = Date.now();
  await Promise.all(fleet.coordinators.map((c) => c.start()));
  await waitFor(() => balanced(fleet.counts()), 120_000, 'convergence', 5);
  return { ms: Date.now() - startedAt, fleet };
}

async function main(): Promise<void> {
  const emulators = await startEmulators({ kinesis: false, dynamodb: true });
  const timeline = new Timeline();
  try {
    line('failover-time-config', F, 'ms', 'failoverTimeMs of every coordinator in this bench (BENCH_FAILOVER_MS)');

    // 1. Convergence, ours and with the KCL's taker interval.
    const ours = await convergence(emulators, timeline, {});
    const model = await convergence(emulators, new Timeline(), { takerIntervalMs: kcl.takerIntervalMs });
    await model.fleet.close();
    line('convergence-5-workers-24-leases', ours.ms, 'ms', `simultaneous start to a spread of at most 1; ${SETUP}`);
    line(
      'convergence-5-workers-24-leases-kcl-taker-interval',
      model.ms,
      'ms',
      `this implementation run with the KCL 2.x taker interval 2(F + eps) = ${kcl.takerIntervalMs} ms (a model of the KCL, not the KCL); ${SETUP}`,
    );
    line('convergence-5-workers-24-leases-vs-kcl-taker-interval', ours.ms / model.ms, 'x', 'ours / ours at the KCL taker interval (lower is faster)');

    // 2. Steady state: requests per lease per minute.
    const fleet = ours.fleet;
    await sleep(2_000);
    const before = fleet.requests();
    const movesBefore = timeline.entries.length;
    await sleep(STEADY_MS);
    const after = fleet.requests();
    const perLeaseMinute = (name?: string): number => {
      const keys = name ? [name] : Object.keys(after);
      const n = keys.reduce((sum, k) => sum + (after[k] ?? 0) - (before[k] ?? 0), 0);
      return n / LEASES / (STEADY_MS / 60_000);
    };
    const kclRenewals = 60_000 / kcl.renewIntervalMs;
    const kclScans = ((60_000 / kcl.takerIntervalMs) * WORKERS) / LEASES;
    const steady = `steady state over ${STEADY_MS / 1000} s, counted on every worker's DynamoDB client; ${SETUP}`;
    line('steady-state-lease-moves', timeline.entries.length - movesBefore, 'events', steady);
    line('requests-per-lease-per-minute', perLeaseMinute(), 'req', steady);
    line('requests-per-lease-per-minute-kcl2-modelled', kclRenewals + kclScans, 'req', `modelled from the KCL 2.x timers: 60 s / (F/3 - eps) + (60 s / 2(F + eps)) x workers / leases; ${KCL_TIMERS}`);
    line('requests-per-lease-per-minute-vs-kcl2-modelled', perLeaseMinute() / (kclRenewals + kclScans), 'x', 'ours / modelled KCL 2.x (lower is cheaper)');
    line('renewals-per-lease-per-minute', perLeaseMinute('UpdateItemCommand'), 'req', `${steady} (every UpdateItem)`);
    line('renewals-per-lease-per-minute-kcl2-modelled', kclRenewals, 'req', `modelled: 60 s / (F/3 - eps); ${KCL_TIMERS}`);
    line('renewals-per-lease-per-minute-vs-kcl2-modelled', perLeaseMinute('UpdateItemCommand') / kclRenewals, 'x', 'ours / modelled KCL 2.x');
    line('scans-per-lease-per-minute', perLeaseMinute('ScanCommand'), 'req', steady);
    line('scans-per-lease-per-minute-kcl2-modelled', kclScans, 'req', `modelled: (60 s / 2(F + eps)) x workers / leases; ${KCL_TIMERS}`);
    line('scans-per-lease-per-minute-vs-kcl2-modelled', perLeaseMinute('ScanCommand') / kclScans, 'x', 'ours / modelled KCL 2.x: our taker runs every F/4 (jittered down by up to 20 %)');

    // 3. Graceful stop: the leaving worker releases; peers take over on their next taker run.
    const leaving = fleet.coordinators[0]!;
    const given = leaving.heldLeases().map((l) => l.leaseKey);
    const rest = fleet.coordinators.slice(1);
    await leaving.close();
    const releasedAt = Date.now();
    await waitFor(() => given.every((k) => rest.some((c) => c.getHeldLease(k))), 60_000, 'handover', 5);
    const handoverMs = Date.now() - releasedAt;
    const kclHandoverMid = 1.5 * kcl.takerIntervalMs;
    line('handover-after-graceful-stop', handoverMs, 'ms', `a worker closes (releasing its leases) until peers hold them all; ${SETUP}`);
    line('taker-interval', leaving.options.takerIntervalMs, 'ms', 'our takerIntervalMs (default F/4)');
    line(
      'handover-after-graceful-stop-kcl2-modelled',
      kclHandoverMid,
      'ms',
      `modelled: the KCL 2.x does not release on shutdown (amazon-kinesis-client #845), so peers wait for expiry as after a crash: between 2(F + eps) = ${kcl.takerIntervalMs} and 4(F + eps) = ${2 * kcl.takerIntervalMs} ms, midpoint shown`,
    );
    line('handover-after-graceful-stop-vs-kcl2-modelled', handoverMs / kclHandoverMid, 'x', 'ours / modelled KCL 2.x midpoint (lower is faster)');
    await fleet.close();

    // 4. SIGKILL of a worker in another process: its leases re-owned by the survivors.
    const tableName = await freshTable(emulators);
    const survivors = new Fleet(emulators, tableName, timeline);
    const child = new ChildCoordinator({ env: emulators.env, tableName, workerId: 'doomed', failoverTimeMs: F });
    try {
      await child.waitForEvent((e) => e.event === 'started', 60_000);
      for (let i = 0; i < WORKERS - 1; i++) survivors.add(`s${i}`);
      await Promise.all(survivors.coordinators.map((c) => c.start()));
      await waitFor(() => balanced([...survivors.counts(), child.held.size]), 120_000, 'convergence with the child', 5);
      await sleep(F); // a few renewals in, so the kill lands at a random point of the renew cycle
      const doomed = [...child.held];
      const killedAt = child.kill();
      for (const e of child.events) timeline.addChildEvent(e);
      timeline.killed('doomed', killedAt);
      await waitFor(() => doomed.every((k) => survivors.coordinators.some((c) => c.getHeldLease(k))), 60_000, 'failover', 5);
      const failoverMs = Date.now() - killedAt;
      const kclFailoverMid = 1.5 * kcl.takerIntervalMs;
      line('failover-after-sigkill', failoverMs, 'ms', `SIGKILL of a worker process until survivors hold its leases; ${SETUP}`);
      line('failover-after-sigkill-vs-failover-time', failoverMs / F, 'x', `failover / failoverTimeMs; bound F + takerIntervalMs = ${(1.25 * F).toFixed(0)} ms plus latency`);
      line(
        'failover-after-sigkill-kcl2-modelled',
        kclFailoverMid,
        'ms',
        `modelled: expiry is seen by the 2nd taker scan after the last renewal, scans every 2(F + eps): between ${kcl.takerIntervalMs} and ${2 * kcl.takerIntervalMs} ms, midpoint shown`,
      );
      line('failover-after-sigkill-vs-kcl2-modelled', failoverMs / kclFailoverMid, 'x', 'ours / modelled KCL 2.x midpoint (lower is faster)');
    } finally {
      await child.stop();
      await survivors.close();
    }
    line('max-double-hold', timeline.maxOverlap().ms, 'ms', `longest time two workers both believed they held one lease, over the whole run; ${SETUP}`);
  } finally {
    await emulators.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
