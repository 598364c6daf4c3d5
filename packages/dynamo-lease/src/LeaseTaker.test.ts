import fc from 'fast-check';
import { newLease, type Lease } from './Lease';
import { decideLeasesToTake, type LeaseTakerPolicy } from './LeaseTaker';

const FAILOVER = 10_000;
const policy: LeaseTakerPolicy = { failoverTimeMs: FAILOVER, maxLeasesForWorker: Infinity, maxLeasesToStealAtOneTime: 1, veryOldLeaseMultiplier: 3, enablePriorityLeaseAssignment: true };

function lease(key: string, owner?: string): Lease {
  return { ...newLease({ leaseKey: key }), leaseOwner: owner, leaseCounter: owner ? 1 : 0 };
}

/** Leases `prefix-0..n-1` owned by `owner`. */
function owned(owner: string | undefined, n: number, prefix = owner ?? 'free'): Lease[] {
  return Array.from({ length: n }, (_, i) => lease(`${prefix}-${i}`, owner));
}

function decide(leases: Lease[], options: { me?: string; held?: string[]; ages?: Record<string, number>; policy?: Partial<LeaseTakerPolicy> } = {}) {
  const me = options.me ?? 'me';
  const held = new Set(options.held ?? leases.filter((l) => l.leaseOwner === me).map((l) => l.leaseKey));
  // Owned leases are fresh unless told otherwise; unowned ones were never seen renewed.
  const ageMs = (l: Lease): number => options.ages?.[l.leaseKey] ?? (l.leaseOwner === undefined ? Infinity : 0);
  let seed = 42;
  const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  return decideLeasesToTake({ workerId: me, leases, heldLeaseKeys: held, ageMs }, { ...policy, ...options.policy }, random);
}

describe('decideLeasesToTake', () => {
  it('takes every unowned lease when it sees no other worker', () => {
    const d = decide(owned(undefined, 24));
    expect(d).toMatchObject({ target: 24, numWorkers: 1, availableLeases: 24, veryOldLeases: 24 });
    expect(d.toTake).toHaveLength(24);
    expect(d.toSteal).toHaveLength(0);
  });

  it('aims for ceil(leases / workers) and takes only what it needs', () => {
    const leases = [...owned('a', 6), ...owned('b', 6), ...owned('c', 5), ...owned(undefined, 7)];
    const d = decide(leases);
    expect(d).toMatchObject({ target: 6, numWorkers: 4, totalLeases: 24 });
    expect(d.toTake).toHaveLength(6);
    expect(d.toTake.every((l) => l.leaseOwner === undefined)).toBe(true);
  });

  it('target is 1 when there are at least as many workers as leases', () => {
    const d = decide([lease('x', 'a'), lease('y', 'b'), lease('z')]);
    expect(d.target).toBe(1);
    expect(d.toTake.map((l) => l.leaseKey)).toEqual(['z']);
  });

  it('treats leases not renewed for more than the failover time as available, and their owner as gone', () => {
    const leases = [...owned('dead', 4), ...owned('a', 4)];
    const ages = Object.fromEntries(owned('dead', 4).map((l) => [l.leaseKey, FAILOVER + 1]));
    const d = decide(leases, { ages });
    expect(d).toMatchObject({ numWorkers: 2, target: 4, expiredLeases: 4, availableLeases: 4 });
    expect(d.toTake.map((l) => l.leaseOwner)).toEqual(['dead', 'dead', 'dead', 'dead']);
    // Exactly at the failover time it is not expired yet.
    expect(decide(leases, { ages: { 'dead-0': FAILOVER } }).leaseCounts.get('dead')).toBe(4);
  });

  it('takes very old leases first, within the target', () => {
    const leases = [...owned('a', 3), lease('fresh', 'gone'), lease('old', 'gone2')];
    const d = decide(leases, { ages: { fresh: FAILOVER + 1, old: 3 * FAILOVER + 1 } });
    expect(d).toMatchObject({ target: 3, veryOldLeases: 1, availableLeases: 2 });
    expect(d.toTake.map((l) => l.leaseKey)).toEqual(['old', 'fresh']);
    const one = decide([...owned('a', 2), ...owned('me', 2), lease('fresh', 'gone'), lease('old', 'gone2')], { ages: { fresh: FAILOVER + 1, old: 3 * FAILOVER + 1 } });
    expect(one.toTake.map((l) => l.leaseKey)).toEqual(['old']);
    const unordered = decide([...owned('a', 2), ...owned('me', 2), lease('fresh', 'gone'), lease('old', 'gone2')], {
      ages: { fresh: FAILOVER + 1, old: 3 * FAILOVER + 1 },
      policy: { enablePriorityLeaseAssignment: false },
    });
    expect(unordered.toTake).toHaveLength(1);
  });

  it('takes leases of its own id that it does not hold once they stop moving (a previous incarnation), not while another process renews them', () => {
    const leases = [...owned('me', 2, 'old'), ...owned('a', 2)];
    const stopped = decide(leases, { held: [], ages: { 'old-0': FAILOVER + 1, 'old-1': FAILOVER + 1 } });
    expect(stopped.leaseCounts.get('me')).toBe(0);
    expect(stopped.toTake.map((l) => l.leaseKey).sort()).toEqual(['old-0', 'old-1']);

    // Counters moving under this id while this process does not hold them: a second process runs
    // with the same worker id. Its leases are live, it counts as a worker, and nothing is taken from it.
    const twin = decide(leases, { held: [] });
    expect(twin).toMatchObject({ toTake: [], duplicateIdLeases: 2, numWorkers: 3, availableLeases: 0, target: 2 });
    expect(twin.leaseCounts.get('me')).toBe(0);
    expect(twin.toSteal.map((l) => l.leaseOwner)).toEqual(['a']); // balancing against the others as usual
    const onlyTwin = decide([...owned('me', 3, 'old')], { held: [] });
    expect(onlyTwin).toMatchObject({ toTake: [], toSteal: [], duplicateIdLeases: 3, numWorkers: 2 });

    // Not a twin: leases handed to this worker, handed over just now or with a handoff no longer pending.
    const handoffs = [lease('handed', 'me'), { ...lease('timed-out', 'me'), checkpointOwner: 'a' }, ...owned('a', 2)];
    const handed = decideLeasesToTake({ workerId: 'me', leases: handoffs, heldLeaseKeys: new Set(), handedOverLeaseKeys: new Set(['handed']), ageMs: () => 0 }, policy, () => 0.5);
    expect(handed).toMatchObject({ duplicateIdLeases: 0, availableLeases: 2 });
    expect(handed.toTake.map((l) => l.leaseKey).sort()).toEqual(['handed', 'timed-out']);
  });

  it('caps the target at maxLeasesForWorker and reports the spillover', () => {
    const d = decide(owned(undefined, 10), { policy: { maxLeasesForWorker: 3 } });
    expect(d).toMatchObject({ target: 3, spillover: 7 });
    expect(d.toTake).toHaveLength(3);
  });

  it('steals only when nothing is available, from the most loaded worker, one at a time by default', () => {
    const leases = [...owned('a', 8), ...owned('b', 6), ...owned('c', 5), ...owned('d', 5)];
    const d = decide(leases);
    expect(d).toMatchObject({ target: 5, numWorkers: 5, availableLeases: 0 });
    expect(d.toTake).toHaveLength(0);
    expect(d.toSteal.map((l) => l.leaseOwner)).toEqual(['a']);
    expect(decide(leases, { policy: { maxLeasesToStealAtOneTime: 10 } }).toSteal).toHaveLength(3); // a is 3 over target
    expect(decide([...leases, lease('free')]).toSteal).toHaveLength(0);
  });

  it('steals one from a worker at target when it needs more than one, but leaves a spread of one alone', () => {
    expect(decide([...owned('a', 3), ...owned('b', 3), ...owned('me', 1)]).toSteal).toHaveLength(1); // needs 2
    expect(decide([...owned('a', 3), ...owned('b', 3), ...owned('me', 2)]).toSteal).toHaveLength(0); // needs 1, spread 1
    expect(decide([...owned('a', 3), ...owned('b', 3), ...owned('me', 3)]).toSteal).toHaveLength(0);
  });

  it('converges any fleet to a spread of at most one, then stops moving leases (simulated fleet)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 3 }),
        fc.infiniteStream(fc.double({ min: 0, max: 0.999999, noNaN: true })),
        (workers, total, steal, randoms) => {
          const owner = new Map<string, string | undefined>(owned(undefined, total, 's').map((l) => [l.leaseKey, undefined]));
          const names = Array.from({ length: workers }, (_, i) => `w${i}`);
          const random = (): number => randoms.next().value as number;
          const runOnce = (me: string): number => {
            const leases = [...owner].map(([k, o]) => lease(k, o));
            const d = decideLeasesToTake(
              { workerId: me, leases, heldLeaseKeys: new Set(leases.filter((l) => l.leaseOwner === me).map((l) => l.leaseKey)), ageMs: (l) => (l.leaseOwner === undefined ? Infinity : 0) },
              { ...policy, maxLeasesToStealAtOneTime: steal },
              random,
            );
            for (const l of [...d.toTake, ...d.toSteal]) owner.set(l.leaseKey, me);
            return d.toTake.length + d.toSteal.length;
          };
          const spread = (): number => {
            const counts = names.map((n) => [...owner.values()].filter((o) => o === n).length);
            return Math.max(...counts) - Math.min(...counts);
          };
          for (let round = 0; round < 4 * total + 10; round++) for (const w of names) runOnce(w);
          expect([...owner.values()].every((o) => o !== undefined)).toBe(true);
          expect(spread()).toBeLessThanOrEqual(1);
          expect(names.map(runOnce).reduce((a, b) => a + b, 0)).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('decideLeasesToTake and handoffs in progress', () => {
  it('never steals a lease that is being handed over (checkpointOwner set): its holder is still finishing it', () => {
    // b holds three leases, two of them in transit to b from a (b is leaseOwner, a the checkpointOwner).
    const inTransit = (key: string): Lease => ({ ...lease(key, 'b'), checkpointOwner: 'a' });
    const leases = [...owned('a', 1), inTransit('t-0'), inTransit('t-1'), lease('b-0', 'b')];
    for (let i = 0; i < 50; i++) {
      const d = decide(leases, { policy: { maxLeasesToStealAtOneTime: 2 } });
      expect(d.toSteal.map((l) => l.leaseKey)).toEqual(d.toSteal.length ? ['b-0'] : []);
    }
    expect(decide(leases).toSteal.map((l) => l.leaseKey)).toEqual(['b-0']);
    // Only leases in transit on the most loaded worker: nothing to steal this run.
    expect(decide([...owned('a', 1), inTransit('t-0'), inTransit('t-1')]).toSteal).toEqual([]);
  });
});
