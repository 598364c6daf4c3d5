import { MemoryMetrics } from '@shardline/core';
import { injectFaults, networkError, pollUntil, uniqueName } from '@shardline/testkit';
import { LeaseCoordinator, LeaseTable, newLease, type DuplicateWorkerId, type Lease } from '../src';
import { DynamoHarness, RecordingLogger } from './helpers';

let dynamo: DynamoHarness;
const running: LeaseCoordinator[] = [];
beforeAll(async () => {
  dynamo = await DynamoHarness.start();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await dynamo.stop();
});

async function ownedBy(table: LeaseTable, key: string, owner: string): Promise<Lease> {
  await table.createLeaseIfNotExists(newLease({ leaseKey: key }));
  const taken = await table.takeLease((await table.getLease(key))!, owner);
  if (!taken.ok) throw new Error('setup take failed');
  return taken.lease;
}

describe('two processes with the same worker id', () => {
  it('a rejected write sent once is never taken for our own, even when the item shows exactly the write we meant', async () => {
    const mine = await dynamo.table();
    const twin = new LeaseTable({ tableName: mine.tableName, client: dynamo.client() });
    const held = await ownedBy(mine, 's-1', 'twin');
    // The other process renews first: same owner name, counter + 1 — what our renewal would have written.
    expect((await twin.renewLease(held)).ok).toBe(true);
    expect(await mine.renewLease(held)).toMatchObject({ ok: false, current: { leaseOwner: 'twin', leaseCounter: held.leaseCounter + 1 } });
    // Same for a take from a stale observation: the other process took it under our name.
    const free = (await mine.createLeaseIfNotExists(newLease({ leaseKey: 's-2' })), (await mine.getLease('s-2'))!);
    expect((await twin.takeLease(free, 'twin')).ok).toBe(true);
    expect(await mine.takeLease(free, 'twin')).toMatchObject({ ok: false, current: { leaseOwner: 'twin', leaseCounter: 1 } });
  });

  it('still recognises its own write whose response was lost in an earlier call', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    // The first attempt is applied but its response is lost; the network then stays down for the
    // retries, so the call fails: the holder cannot know whether its renewal was written.
    const faults = injectFaults(dynamo.clientOf(table), {
      before(ctx) {
        if (ctx.commandName === 'UpdateItemCommand' && ctx.call > 1 && ctx.call <= 3) throw networkError('ECONNRESET');
      },
      after(ctx) {
        if (ctx.commandName === 'UpdateItemCommand' && ctx.call === 1) throw networkError('ECONNRESET');
      },
    });
    await expect(table.renewLease(held)).rejects.toThrow();
    // The holder did not see its renewal; the next one, on the old counter, finds it applied.
    expect(await table.renewLease(held)).toMatchObject({ ok: true, recoveredSpuriousRetry: true, lease: { leaseCounter: held.leaseCounter + 1 } });
    faults.remove();
  });

  it('is detected: logged at error with the id and the lease, a duplicateWorkerId event and a metric; the lease then stays with one of them', async () => {
    const tableName = uniqueName('twins');
    const make = (): { c: LeaseCoordinator; logger: RecordingLogger; metrics: MemoryMetrics; duplicates: DuplicateWorkerId[] } => {
      const logger = new RecordingLogger();
      const metrics = new MemoryMetrics();
      const c = new LeaseCoordinator({ tableName, workerId: 'twin', failoverTimeMs: 1500, takerIntervalMs: 200, client: dynamo.client(), logger, metrics });
      running.push(c);
      const duplicates: DuplicateWorkerId[] = [];
      c.on('duplicateWorkerId', (d) => duplicates.push(d));
      return { c, logger, metrics, duplicates };
    };
    const first = make();
    await first.c.init();
    await first.c.createLeasesIfNotExist([{ leaseKey: 's-0' }, { leaseKey: 's-1' }]);
    await first.c.start();
    expect(await pollUntil(() => first.c.heldLeases().length === 2, 5_000)).toBe(true);

    // A second replica started with the same id takes "its" leases back at start…
    const second = make();
    await second.c.start();
    expect(
      second.c
        .heldLeases()
        .map((l) => l.leaseKey)
        .sort(),
    ).toEqual(['s-0', 's-1']);
    // …and the first notices at its next renewal.
    expect(await pollUntil(() => first.duplicates.length === 2, 5_000)).toBe(true);
    expect(first.duplicates.map((d) => d.leaseKey).sort()).toEqual(['s-0', 's-1']);
    expect(first.duplicates[0]).toMatchObject({ workerId: 'twin', operation: 'renew' });
    const loud = first.logger.find('error', 'same worker id');
    expect(loud.map((l) => [l.fields.workerId, l.fields.leaseKey]).sort()).toEqual([
      ['twin', 's-0'],
      ['twin', 's-1'],
    ]);
    expect(first.metrics.total('dynamo_lease_duplicate_worker_id_total')).toBe(2);

    // From then on nobody "reclaims" what the other is renewing: no ping-pong.
    const takes = (): number => first.metrics.total('dynamo_lease_takes_total') + second.metrics.total('dynamo_lease_takes_total');
    const takesBefore = takes();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 150));
      for (const key of ['s-0', 's-1']) expect([first.c, second.c].filter((c) => c.getHeldLease(key)).length).toBe(1);
    }
    expect(takes()).toBe(takesBefore);
    expect(first.metrics.value('dynamo_lease_duplicate_id_leases')).toBe(2);
    expect(first.duplicates).toHaveLength(2);
    expect(second.duplicates).toHaveLength(0);
  });
});
