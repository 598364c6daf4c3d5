import { pollUntil, uniqueName } from '@shardline/testkit';
import { LeaseCoordinator } from '../src';
import { DynamoHarness } from './helpers';
import { Timeline } from './Timeline';

const FAILOVER_MS = 3_000;
const LEASES = 24;

let dynamo: DynamoHarness;
const coordinators: LeaseCoordinator[] = [];

beforeAll(async () => {
  dynamo = await DynamoHarness.start();
});

afterAll(async () => {
  await Promise.all(coordinators.map((c) => c.close()));
  await dynamo.stop();
});

function counts(workers: readonly LeaseCoordinator[]): number[] {
  return workers.map((c) => c.heldLeases().length);
}

/** Every lease held by exactly one of `workers`, their counts within one of each other, as the table says too. */
async function balanced(workers: readonly LeaseCoordinator[]): Promise<boolean> {
  const held = counts(workers);
  if (held.reduce((a, b) => a + b, 0) !== LEASES || Math.max(...held) - Math.min(...held) > 1) return false;
  const leases = await workers[0]!.table.listLeases();
  const ids = new Set(workers.map((c) => c.workerId));
  return leases.every((l) => l.leaseOwner !== undefined && ids.has(l.leaseOwner) && workers.find((c) => c.workerId === l.leaseOwner)!.getHeldLease(l.leaseKey) !== undefined);
}

it('balances 24 leases over 5 workers, gives a late joiner its share, hands over on a graceful stop, never double-holds', async () => {
  const tableName = uniqueName('balance');
  const timeline = new Timeline();
  const make = (id: string): LeaseCoordinator => {
    const c = new LeaseCoordinator({ tableName, workerId: id, failoverTimeMs: FAILOVER_MS, clientOptions: { env: dynamo.env } });
    coordinators.push(c);
    timeline.attach(c);
    return c;
  };
  const workers = ['w0', 'w1', 'w2', 'w3', 'w4'].map(make);
  await workers[0]!.createLeasesIfNotExist(Array.from({ length: LEASES }, (_, i) => ({ leaseKey: `shardId-${String(i).padStart(12, '0')}` })));

  // 1. Five workers start together and converge to a spread of at most one lease.
  await Promise.all(workers.map((c) => c.start()));
  expect(await pollUntil(() => balanced(workers), 30_000, 100)).toBe(true);
  expect(Math.max(...counts(workers)) - Math.min(...counts(workers))).toBeLessThanOrEqual(1);

  // 2. A sixth worker joins later and gets its share (24 / 6 = 4) by stealing from the most loaded.
  const late = make('w5');
  await late.start();
  const six = [...workers, late];
  expect(await pollUntil(() => balanced(six), 30_000, 100)).toBe(true);
  expect(late.heldLeases()).toHaveLength(LEASES / 6);

  // 3. A graceful stop releases in DynamoDB; peers take everything on their next taker run.
  const leaving = six[2]!;
  const given = leaving.heldLeases().map((l) => l.leaseKey);
  await leaving.close();
  const releasedAt = Date.now();
  const rest = six.filter((c) => c !== leaving);
  const holders = (): Map<string, string> => timeline.holders();
  expect(await pollUntil(() => given.every((k) => holders().has(k) && holders().get(k) !== leaving.workerId), 10_000, 10)).toBe(true);
  const handoverMs = Math.max(...timeline.entries.filter((e) => e.event === 'acquired' && given.includes(e.leaseKey) && e.t >= releasedAt - 5).map((e) => e.t)) - releasedAt;
  const takerIntervalMs = leaving.options.takerIntervalMs;
  // Within one taker interval (plus request latency), far from the failover time a crash needs.
  expect(handoverMs).toBeLessThanOrEqual(takerIntervalMs + 750);
  expect(await pollUntil(() => balanced(rest), 30_000, 100)).toBe(true);

  // 4. At no moment did two workers believe they held the same lease beyond the failover window.
  const overlap = timeline.maxOverlap();
  expect(overlap.ms).toBeLessThanOrEqual(FAILOVER_MS);
  // Report the figures (not asserted beyond the acceptance bounds).
  console.log(`balance: handover ${handoverMs} ms (taker interval ${takerIntervalMs} ms), max double-hold ${overlap.ms} ms ${overlap.leaseKey ?? ''}, events ${timeline.entries.length}`);
});
