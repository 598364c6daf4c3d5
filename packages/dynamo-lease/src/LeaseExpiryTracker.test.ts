import { newLease, type Lease } from './Lease';
import { LeaseExpiryTracker } from './LeaseExpiryTracker';

function lease(key: string, owner: string | undefined, counter: number): Lease {
  return { ...newLease({ leaseKey: key }), leaseOwner: owner, leaseCounter: counter };
}

describe('LeaseExpiryTracker', () => {
  it('expires a lease only after its counter stood still for more than the failover time on the local clock', () => {
    const t = new LeaseExpiryTracker(1_000);
    t.observeAll([lease('a', 'w1', 5)], 100);
    expect(t.ageMs(lease('a', 'w1', 5), 100)).toBe(0);
    t.observeAll([lease('a', 'w1', 5)], 700);
    expect(t.isExpired(lease('a', 'w1', 5), 1_100)).toBe(false); // exactly the failover time
    expect(t.isExpired(lease('a', 'w1', 5), 1_101)).toBe(true);
    // The counter moved: the clock starts again from this observation.
    t.observeAll([lease('a', 'w1', 6)], 1_200);
    expect(t.ageMs(lease('a', 'w1', 6), 1_500)).toBe(300);
    expect(t.isExpired(lease('a', 'w1', 6), 2_201)).toBe(true);
  });

  it('stamps a lease first seen owned with the observation time, and one first seen unowned as never renewed', () => {
    const t = new LeaseExpiryTracker(1_000);
    t.observeAll([lease('owned', 'w', 3), lease('free', undefined, 0)], 50);
    expect(t.ageMs(lease('owned', 'w', 3), 60)).toBe(10);
    expect(t.ageMs(lease('free', undefined, 0), 60)).toBe(Infinity);
    // Released later (owner removed, counter bumped): available, but freshly changed, not very old.
    t.observeAll([lease('owned', undefined, 4), lease('free', undefined, 0)], 80);
    expect(t.ageMs(lease('owned', undefined, 4), 90)).toBe(10);
  });

  it('treats an owner change without a counter change (a KCL 3.x handoff) as movement', () => {
    const t = new LeaseExpiryTracker(1_000);
    t.observe(lease('a', 'w1', 5), 0);
    t.observe(lease('a', 'w2', 5), 900);
    expect(t.isExpired(lease('a', 'w2', 5), 1_500)).toBe(false);
  });

  it('judges a lease read elsewhere with a different counter as just moved, and forgets leases gone from the table', () => {
    const t = new LeaseExpiryTracker(1_000);
    t.observeAll([lease('a', 'w', 1), lease('b', 'w', 1)], 0);
    expect(t.ageMs(lease('a', 'w', 2), 5_000)).toBe(0);
    t.observeAll([lease('a', 'w', 1)], 10);
    expect(t.ageMs(lease('b', 'w', 1), 5_000)).toBe(0); // unknown again, owned: fresh
  });

  it('tells when the next watched lease will expire, ignoring excluded and already-due ones', () => {
    const t = new LeaseExpiryTracker(1_000);
    t.observeAll([lease('a', 'w1', 1), lease('b', 'me', 1), lease('c', undefined, 1)], 100);
    t.observeAll([lease('a', 'w1', 1), lease('b', 'me', 2), lease('c', undefined, 1), lease('d', 'w2', 1)], 400);
    expect(t.nextExpiryAt(400, (_k, owner) => owner === 'me')).toBe(1_100);
    expect(t.nextExpiryAt(1_100, (_k, owner) => owner === 'me')).toBe(1_400);
    expect(t.nextExpiryAt(400, () => false)).toBe(1_100);
    expect(t.nextExpiryAt(1_400, (_k, owner) => owner === 'me')).toBeUndefined();
  });
});
