import { pollUntil, uniqueName } from '@shardline/testkit';
import { LeaseCoordinator } from '../src';
import { ChildCoordinator } from './childCoordinator';
import { DynamoHarness } from './helpers';
import { Timeline } from './Timeline';

const FAILOVER_MS = 3_000;
const LEASES = 24;

let dynamo: DynamoHarness;
const coordinators: LeaseCoordinator[] = [];
const children: ChildCoordinator[] = [];

beforeAll(async () => {
  dynamo = await DynamoHarness.start();
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.stop()));
  await Promise.all(coordinators.map((c) => c.close()));
  await dynamo.stop();
});

it('re-owns the leases of a worker killed with SIGKILL within 1.5 × failoverTimeMs, never double-holding beyond the failover window', async () => {
  const tableName = uniqueName('failover');
  const timeline = new Timeline();
  const local = ['w0', 'w1', 'w2', 'w3'].map((id) => {
    const c = new LeaseCoordinator({ tableName, workerId: id, failoverTimeMs: FAILOVER_MS, clientOptions: { env: dynamo.env } });
    coordinators.push(c);
    timeline.attach(c);
    return c;
  });
  await local[0]!.createLeasesIfNotExist(Array.from({ length: LEASES }, (_, i) => ({ leaseKey: `shardId-${String(i).padStart(12, '0')}` })));
  const child = new ChildCoordinator({ env: dynamo.env, tableName, workerId: 'doomed', failoverTimeMs: FAILOVER_MS });
  children.push(child);
  await child.waitForEvent((e) => e.event === 'started', 60_000);
  await Promise.all(local.map((c) => c.start()));

  // Converge: the child holds its share of 24 / 5, the local workers the rest.
  const converged = (): boolean => {
    const localCounts = local.map((c) => c.heldLeases().length);
    const all = [...localCounts, child.held.size];
    return all.reduce((a, b) => a + b, 0) === LEASES && Math.max(...all) - Math.min(...all) <= 1;
  };
  expect(await pollUntil(converged, 30_000, 50)).toBe(true);
  for (const e of child.events) timeline.addChildEvent(e);
  const doomedLeases = [...child.held];
  expect(doomedLeases.length).toBeGreaterThanOrEqual(4);

  const killedAt = child.kill();
  timeline.killed('doomed', killedAt);
  const reowned = (): boolean => doomedLeases.every((k) => local.some((c) => c.getHeldLease(k) !== undefined));
  expect(await pollUntil(reowned, 6 * FAILOVER_MS, 10)).toBe(true);
  const acquiredAt = doomedLeases.map((k) => Math.min(...timeline.entries.filter((e) => e.leaseKey === k && e.event === 'acquired' && e.t >= killedAt).map((e) => e.t)));
  const failoverMs = Math.max(...acquiredAt) - killedAt;
  expect(failoverMs).toBeLessThanOrEqual(1.5 * FAILOVER_MS);

  expect(await pollUntil(() => local.reduce((n, c) => n + c.heldLeases().length, 0) === LEASES, 30_000, 50)).toBe(true);
  const overlap = timeline.maxOverlap();
  expect(overlap.ms).toBeLessThanOrEqual(FAILOVER_MS);
  console.log(`failover: ${doomedLeases.length} leases re-owned ${failoverMs} ms after SIGKILL (bound ${1.5 * FAILOVER_MS} ms), max double-hold ${overlap.ms} ms`);
});
