/**
 * Lease coordination benchmark against dynalite (in process), printing `bench:` lines:
 * convergence of 5 workers over 24 leases, DynamoDB requests per lease per minute at steady state,
 * handover after a graceful stop, and failover after SIGKILL of a worker in another process —
 * each next to the Java KCL 2.x figures for the same failoverTimeMs (reference §2.1, §2.6), derived
 * from its timers: renew every F/3 − ε, taker every 2(F + ε), expiry detected one taker run after
 * the first scan that saw the last renewal, no release on graceful shutdown (issue #845).
 *
 * Convergence has no published KCL figure; it is compared with this implementation run with the
 * KCL's taker interval (2(F + ε)), labelled `kcl-timing-model`.
 *
 * Usage: pnpm bench   (BENCH_FAILOVER_MS=3000 by default; BENCH_STEADY_MS=20000)
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '@shardline/core';
import { injectFaults, startEmulators, uniqueName, type Emulators } from '@shardline/testkit';
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

function line(name: string, value: number, unit: string): void {
  const shown = Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2);
  console.log(`bench: ${name} ${shown} ${unit}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
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
  await until(() => balanced(fleet.counts()), 120_000, 'convergence');
  return { ms: Date.now() - startedAt, fleet };
}

async function main(): Promise<void> {
  const emulators = await startEmulators({ kinesis: false, dynamodb: true });
  const timeline = new Timeline();
  try {
    line('failover-time-config', F, 'ms');

    // 1. Convergence, ours and with the KCL's taker interval.
    const ours = await convergence(emulators, timeline, {});
    const model = await convergence(emulators, new Timeline(), { takerIntervalMs: kcl.takerIntervalMs });
    await model.fleet.close();
    line('convergence-5-workers-24-leases', ours.ms, 'ms');
    line('kcl-timing-model-convergence-5-workers-24-leases', model.ms, 'ms');
    line('convergence-vs-kcl-timing-model', ours.ms / model.ms, 'x');

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
    line('steady-state-lease-moves', timeline.entries.length - movesBefore, 'events');
    line('requests-per-lease-per-minute', perLeaseMinute(), 'req');
    line('renewals-per-lease-per-minute', perLeaseMinute('UpdateItemCommand'), 'req');
    line('scans-per-lease-per-minute', perLeaseMinute('ScanCommand'), 'req');
    line('kcl-requests-per-lease-per-minute', kclRenewals + kclScans, 'req');
    line('kcl-renewals-per-lease-per-minute', kclRenewals, 'req');
    line('kcl-scans-per-lease-per-minute', kclScans, 'req');
    line('requests-vs-kcl', perLeaseMinute() / (kclRenewals + kclScans), 'x');

    // 3. Graceful stop: the leaving worker releases; peers take over on their next taker run.
    const leaving = fleet.coordinators[0]!;
    const given = leaving.heldLeases().map((l) => l.leaseKey);
    const rest = fleet.coordinators.slice(1);
    await leaving.close();
    const releasedAt = Date.now();
    await until(() => given.every((k) => rest.some((c) => c.getHeldLease(k))), 60_000, 'handover');
    const handoverMs = Date.now() - releasedAt;
    const kclHandoverMid = 1.5 * kcl.takerIntervalMs;
    line('handover-after-graceful-stop', handoverMs, 'ms');
    line('taker-interval', leaving.options.takerIntervalMs, 'ms');
    line('kcl-handover-after-graceful-stop-min', kcl.takerIntervalMs, 'ms');
    line('kcl-handover-after-graceful-stop-max', 2 * kcl.takerIntervalMs, 'ms');
    line('handover-vs-kcl-midpoint', handoverMs / kclHandoverMid, 'x');
    await fleet.close();

    // 4. SIGKILL of a worker in another process: its leases re-owned by the survivors.
    const tableName = await freshTable(emulators);
    const survivors = new Fleet(emulators, tableName, timeline);
    const child = new ChildCoordinator({ env: emulators.env, tableName, workerId: 'doomed', failoverTimeMs: F });
    try {
      await child.waitForEvent((e) => e.event === 'started', 60_000);
      for (let i = 0; i < WORKERS - 1; i++) survivors.add(`s${i}`);
      await Promise.all(survivors.coordinators.map((c) => c.start()));
      await until(() => balanced([...survivors.counts(), child.held.size]), 120_000, 'convergence with the child');
      await sleep(F); // a few renewals in, so the kill lands at a random point of the renew cycle
      const doomed = [...child.held];
      const killedAt = child.kill();
      for (const e of child.events) timeline.addChildEvent(e);
      timeline.killed('doomed', killedAt);
      await until(() => doomed.every((k) => survivors.coordinators.some((c) => c.getHeldLease(k))), 60_000, 'failover');
      const failoverMs = Date.now() - killedAt;
      const kclFailoverMid = 1.5 * kcl.takerIntervalMs;
      line('failover-after-sigkill', failoverMs, 'ms');
      line('failover-after-sigkill-vs-failover-time', failoverMs / F, 'x');
      line('kcl-failover-after-sigkill-min', kcl.takerIntervalMs, 'ms');
      line('kcl-failover-after-sigkill-max', 2 * kcl.takerIntervalMs, 'ms');
      line('failover-vs-kcl-midpoint', failoverMs / kclFailoverMid, 'x');
    } finally {
      await child.stop();
      await survivors.close();
    }
    line('max-double-hold', timeline.maxOverlap().ms, 'ms');
  } finally {
    await emulators.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
