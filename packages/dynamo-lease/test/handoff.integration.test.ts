import { ExtendedSequenceNumber } from '@shardline/core';
import { pollUntil, uniqueName } from '@shardline/testkit';
import { LeaseCoordinator, type Lease, type LeaseCoordinatorOptions } from '../src';
import { DynamoHarness } from './helpers';

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

function coordinator(tableName: string, workerId: string, options: Partial<LeaseCoordinatorOptions> = {}): LeaseCoordinator {
  const c = new LeaseCoordinator({ tableName, workerId, failoverTimeMs: 1500, takerIntervalMs: 200, client: dynamo.client(), ...options });
  running.push(c);
  return c;
}

/** Worker a holds both leases of a new table; b is created (not started). */
async function aHoldsTwo(options: Partial<LeaseCoordinatorOptions> = {}): Promise<[LeaseCoordinator, LeaseCoordinator]> {
  const tableName = uniqueName('handoff');
  const a = coordinator(tableName, 'a', options);
  await a.init();
  await a.createLeasesIfNotExist([{ leaseKey: 's-0' }, { leaseKey: 's-1' }]);
  await a.start();
  await pollUntil(() => a.heldLeases().length === 2, 10_000);
  return [a, coordinator(tableName, 'b', options)];
}

describe('graceful handoff when balancing', () => {
  it('the holder finishes and checkpoints before the thief starts, from that checkpoint; nobody holds it twice', async () => {
    const [a, b] = await aHoldsTwo();
    const requested: Lease[] = [];
    const aLost: string[] = [];
    a.on('leaseLost', (l) => aLost.push(l.leaseKey));
    a.on('leaseHandoffRequested', (l) => requested.push(l));
    const bAcquired: Lease[] = [];
    b.on('leaseAcquired', (l) => bAcquired.push(l));
    await b.start();
    expect(await pollUntil(() => requested.length === 1, 10_000)).toBe(true);
    const key = requested[0]!.leaseKey;
    expect(requested[0]!.leaseOwner).toBe('b');
    expect(requested[0]!.checkpointOwner).toBe('a');
    // Still a's to finish: b has not started it, and a can checkpoint.
    await new Promise((r) => setTimeout(r, 600));
    expect(bAcquired).toHaveLength(0);
    const final = new ExtendedSequenceNumber('4959', 3);
    const checkpointer = a.checkpointer(key);
    checkpointer.setLargestPermittedCheckpoint(final);
    await checkpointer.checkpoint(final);
    expect(await a.releaseLease(key)).toBe(true);
    expect(await pollUntil(() => bAcquired.length === 1, 10_000)).toBe(true);
    expect(bAcquired[0]!.leaseKey).toBe(key);
    expect(bAcquired[0]!.checkpoint?.equals(final)).toBe(true);
    expect(bAcquired[0]!.checkpointOwner).toBeUndefined();
    expect(aLost).toEqual([]);
    expect(a.heldLeases().map((l) => l.leaseKey)).toEqual([requested[0]!.leaseKey === 's-0' ? 's-1' : 's-0']);
  });

  it('a holder that never completes the handoff loses the lease after handoffTimeoutMs', async () => {
    const [a, b] = await aHoldsTwo({ handoffTimeoutMs: 1_000 });
    const aLost: string[] = [];
    a.on('leaseHandoffRequested', () => undefined); // listens, never hands over
    a.on('leaseLost', (l) => aLost.push(l.leaseKey));
    await b.start();
    expect(await pollUntil(() => b.heldLeases().length === 1, 15_000)).toBe(true);
    expect(await pollUntil(() => aLost.length === 1, 5_000)).toBe(true);
    expect(aLost[0]).toBe(b.heldLeases()[0]!.leaseKey);
  });

  it('without a listener the lease is handed over at once; with gracefulHandoff false it is stolen as before', async () => {
    const [a, b] = await aHoldsTwo();
    const aReleased: string[] = [];
    a.on('leaseReleased', (l) => aReleased.push(l.leaseKey));
    await b.start();
    expect(await pollUntil(() => b.heldLeases().length === 1 && a.heldLeases().length === 1, 10_000)).toBe(true);
    expect(aReleased).toHaveLength(1);

    const [c, d] = await aHoldsTwo({ gracefulHandoff: false });
    const cLost: string[] = [];
    c.on('leaseLost', (l) => cLost.push(l.leaseKey));
    await d.start();
    expect(await pollUntil(() => d.heldLeases().length === 1 && cLost.length === 1, 10_000)).toBe(true);
  });
});

describe('a requester that stops while its handoff is pending', () => {
  it('owns nothing once stopped: the lease it asked for is released, not left under its id until it expires', async () => {
    const [a, b] = await aHoldsTwo();
    const requested: Lease[] = [];
    a.on('leaseHandoffRequested', (l) => requested.push(l));
    await b.start();
    expect(await pollUntil(() => requested.length === 1, 10_000)).toBe(true);
    const key = requested[0]!.leaseKey;
    await b.stop(); // a is still finishing: b is leaseOwner, a checkpointOwner
    const table = await dynamo.table(a.options.tableName);
    const after = await table.getLease(key);
    expect(after?.leaseOwner).not.toBe('b');
    // a, still running, gets it back through its taker: nothing waits for b's expiry.
    expect(await pollUntil(() => a.heldLeases().length === 2, 10_000)).toBe(true);
  });
});
