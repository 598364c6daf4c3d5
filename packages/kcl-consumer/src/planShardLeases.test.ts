import { ExtendedSequenceNumber as ESN } from '@shardline/core';
import fc from 'fast-check';
import { type ExistingLease, type ListedShard, planShardLeases } from './planShardLeases';
import type { InitialPosition } from './streams';

const RANGE = { startingHashKey: 0n, endingHashKey: 2n ** 128n - 1n };

const id = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;

function shard(n: number, parents: number[] = [], open = true): ListedShard {
  return {
    shardId: id(n),
    range: RANGE,
    open,
    ...(parents[0] !== undefined ? { parentShardId: id(parents[0]) } : {}),
    ...(parents[1] !== undefined ? { adjacentParentShardId: id(parents[1]) } : {}),
  };
}

// The KCL's worked example (HierarchicalShardSyncer / docs/lease-lifecycle.md):
//   0 1 2 3 4   5
//   \ / \ / |   |
//    6   7  4   5
//     \ /   |  / \
//      8    4 9  10      (8, 4, 9 and 10 are open)
const HIERARCHY: ListedShard[] = [
  shard(0, [], false),
  shard(1, [], false),
  shard(2, [], false),
  shard(3, [], false),
  shard(4),
  shard(5, [], false),
  shard(6, [0, 1], false),
  shard(7, [2, 3], false),
  shard(8, [6, 7]),
  shard(9, [5]),
  shard(10, [5]),
];

const AT_TIMESTAMP: InitialPosition = { type: 'AT_TIMESTAMP', timestamp: new Date(200_000) };

function leases(entries: Record<number, ESN | undefined>): Map<string, ExistingLease> {
  return new Map(Object.entries(entries).map(([n, checkpoint]) => [id(Number(n)), { checkpoint }]));
}

/** The plan as `shardId → checkpoint`, sorted by shard id. */
function planned(shards: readonly ListedShard[], existing: ReadonlyMap<string, ExistingLease>, position: InitialPosition): Record<string, string> {
  const plan = planShardLeases(shards, existing, position);
  return Object.fromEntries(plan.map((p) => [p.shardId, p.checkpoint.toString()] as const).sort(([a], [b]) => a.localeCompare(b)));
}

describe('planShardLeases: the KCL example, leases (4, 5, 7) existing', () => {
  const existing = leases({ 4: new ESN('400'), 5: new ESN('500'), 7: new ESN('700') });

  it('LATEST creates (6)', () => {
    // The set is the KCL's. The KCL gives 6 the checkpoint LATEST (a parent that is not a
    // descendant gets the initial position); this planner gives it TRIM_HORIZON on purpose (see
    // its TSDoc): 6 is closed, so LATEST would skip all of it.
    expect(planned(HIERARCHY, existing, 'LATEST')).toEqual({ [id(6)]: 'TRIM_HORIZON' });
  });

  it('TRIM_HORIZON creates (0, 1)', () => {
    expect(planned(HIERARCHY, existing, 'TRIM_HORIZON')).toEqual({ [id(0)]: 'TRIM_HORIZON', [id(1)]: 'TRIM_HORIZON' });
  });

  it('AT_TIMESTAMP creates (0, 1) at AT_TIMESTAMP', () => {
    expect(planned(HIERARCHY, existing, AT_TIMESTAMP)).toEqual({ [id(0)]: 'AT_TIMESTAMP', [id(1)]: 'AT_TIMESTAMP' });
  });

  it('a planned lease names its listed parents and carries the shard range', () => {
    const [six] = planShardLeases(HIERARCHY, existing, 'LATEST');
    expect(six).toEqual({ shardId: id(6), checkpoint: ESN.TRIM_HORIZON, parentShardIds: [id(0), id(1)], range: RANGE });
  });
});

describe('planShardLeases: an empty lease table', () => {
  it('LATEST: the open shards, at LATEST', () => {
    expect(planned(HIERARCHY, new Map(), 'LATEST')).toEqual({ [id(4)]: 'LATEST', [id(8)]: 'LATEST', [id(9)]: 'LATEST', [id(10)]: 'LATEST' });
  });

  it('TRIM_HORIZON: the root shards, at TRIM_HORIZON', () => {
    const roots = Object.fromEntries([0, 1, 2, 3, 4, 5].map((n) => [id(n), 'TRIM_HORIZON']));
    expect(planned(HIERARCHY, new Map(), 'TRIM_HORIZON')).toEqual(roots);
  });

  it('AT_TIMESTAMP: the root shards, at AT_TIMESTAMP', () => {
    const roots = Object.fromEntries([0, 1, 2, 3, 4, 5].map((n) => [id(n), 'AT_TIMESTAMP']));
    expect(planned(HIERARCHY, new Map(), AT_TIMESTAMP)).toEqual(roots);
  });
});

describe('planShardLeases: children of leased shards', () => {
  const split = [shard(0, [], false), shard(1, [0]), shard(2, [0])];
  const merge = [shard(0, [], false), shard(1, [], false), shard(2, [0, 1])];

  it.each(['LATEST', 'TRIM_HORIZON'] as const)('%s: a split child waits while its parent is unfinished, and gets TRIM_HORIZON once it is SHARD_END', (position) => {
    expect(planned(split, leases({ 0: ESN.TRIM_HORIZON }), position)).toEqual({});
    expect(planned(split, leases({ 0: new ESN('123', 4) }), position)).toEqual({});
    expect(planned(split, leases({ 0: ESN.SHARD_END }), position)).toEqual({ [id(1)]: 'TRIM_HORIZON', [id(2)]: 'TRIM_HORIZON' });
  });

  it('a merge child waits until both parents are SHARD_END', () => {
    expect(planned(merge, leases({ 0: ESN.SHARD_END, 1: new ESN('9') }), 'TRIM_HORIZON')).toEqual({});
    expect(planned(merge, leases({ 0: new ESN('9'), 1: ESN.SHARD_END }), 'LATEST')).toEqual({});
    const [child] = planShardLeases(merge, leases({ 0: ESN.SHARD_END, 1: ESN.SHARD_END }), 'LATEST');
    expect(child).toEqual({ shardId: id(2), checkpoint: ESN.TRIM_HORIZON, parentShardIds: [id(0), id(1)], range: RANGE });
  });

  it('a child that already has a lease is not planned again', () => {
    expect(planned(split, leases({ 0: ESN.SHARD_END, 1: ESN.TRIM_HORIZON }), 'TRIM_HORIZON')).toEqual({ [id(2)]: 'TRIM_HORIZON' });
  });
});

describe('planShardLeases: parents ListShards no longer reports (aged out)', () => {
  // 0 and 1 were trimmed: ListShards lists only their children, which still name them.
  const trimmed = [shard(6, [0, 1], false), shard(7, [2, 3], false), shard(8, [6, 7]), shard(4)];

  it('the children count as roots: TRIM_HORIZON starts at them, without the missing parents', () => {
    const plan = planShardLeases(trimmed, new Map(), 'TRIM_HORIZON');
    expect(plan.map((p) => p.shardId).sort()).toEqual([id(4), id(6), id(7)]);
    expect(plan.find((p) => p.shardId === id(6))!.parentShardIds).toEqual([]);
  });

  it('LATEST starts at the open shards', () => {
    expect(planned(trimmed, new Map(), 'LATEST')).toEqual({ [id(4)]: 'LATEST', [id(8)]: 'LATEST' });
  });

  it('a child whose parent lease remains but whose parent shard is gone is not blocked by it', () => {
    // 0's lease is still in the table (unfinished), but ListShards no longer reports 0.
    const listed = [shard(1, [0]), shard(2, [0])];
    expect(planned(listed, leases({ 0: new ESN('5') }), 'TRIM_HORIZON')).toEqual({ [id(1)]: 'TRIM_HORIZON', [id(2)]: 'TRIM_HORIZON' });
  });
});

// ---------------------------------------------------------------------------------------------
// A simulation: a stream is resharded at random while an application syncs shards (this planner)
// and processes them (a shard ends only once the parents that have leases are SHARD_END, and its
// end creates its children's leases at TRIM_HORIZON, as ShardConsumer and ShardSyncer do).

type Step = { kind: 'split' | 'merge' | 'process'; pick: number } | { kind: 'sync' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(fc.record({ kind: fc.constantFrom('split' as const, 'merge' as const, 'process' as const), pick: fc.nat(50) }), fc.constant({ kind: 'sync' as const }));
const positionArb = fc.constantFrom<InitialPosition>('LATEST', 'TRIM_HORIZON', AT_TIMESTAMP);

interface SimShard {
  shardId: string;
  parents: string[];
  open: boolean;
}

function simulate(roots: number, steps: readonly Step[], position: InitialPosition): void {
  const shards: SimShard[] = Array.from({ length: roots }, (_, i) => ({ shardId: id(i), parents: [], open: true }));
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  const leased = new Map<string, ExistingLease>();
  const everLeased = new Set<string>();
  let closedAtFirstSync: Set<string> | undefined;
  const listed = (): ListedShard[] =>
    shards.map((s) => ({
      shardId: s.shardId,
      range: RANGE,
      open: s.open,
      ...(s.parents[0] ? { parentShardId: s.parents[0] } : {}),
      ...(s.parents[1] ? { adjacentParentShardId: s.parents[1] } : {}),
    }));
  const addShard = (parents: string[]): void => {
    const s = { shardId: id(shards.length), parents, open: true };
    shards.push(s);
    byId.set(s.shardId, s);
  };
  const createLease = (shardId: string, checkpoint: ESN): void => {
    expect(everLeased.has(shardId)).toBe(false); // never planned twice (no lease is deleted here)
    leased.set(shardId, { checkpoint });
    everLeased.add(shardId);
  };
  const childrenOf = (shardId: string): SimShard[] => shards.filter((s) => s.parents.includes(shardId));
  const isAncestorOfLeased = (shardId: string): boolean => childrenOf(shardId).some((c) => leased.has(c.shardId) || isAncestorOfLeased(c.shardId));

  const sync = (): boolean => {
    closedAtFirstSync ??= new Set(shards.filter((s) => !s.open).map((s) => s.shardId));
    const plan = planShardLeases(listed(), leased, position);
    for (const p of plan) {
      const s = byId.get(p.shardId)!;
      expect(p.parentShardIds).toEqual(s.parents);
      expect(p.checkpoint.isSentinel).toBe(true);
      // Never a shard above one already leased, and never a child while a parent lease is unfinished.
      expect(isAncestorOfLeased(p.shardId)).toBe(false);
      for (const parent of s.parents) expect(leased.get(parent)?.checkpoint?.equals(ESN.SHARD_END) ?? true).toBe(true);
    }
    for (const p of plan) createLease(p.shardId, p.checkpoint);
    return plan.length > 0;
  };
  const finishable = (): SimShard[] =>
    shards.filter((s) => {
      const lease = leased.get(s.shardId);
      if (!lease || s.open || lease.checkpoint?.equals(ESN.SHARD_END)) return false;
      return s.parents.every((p) => leased.get(p)?.checkpoint?.equals(ESN.SHARD_END) ?? true);
    });
  const finish = (s: SimShard): void => {
    for (const child of childrenOf(s.shardId)) if (!leased.has(child.shardId)) createLease(child.shardId, ESN.TRIM_HORIZON);
    leased.set(s.shardId, { checkpoint: ESN.SHARD_END });
  };

  for (const step of steps) {
    const open = shards.filter((s) => s.open);
    if (step.kind === 'split' && open.length > 0 && shards.length < 40) {
      const parent = open[step.pick % open.length]!;
      parent.open = false;
      addShard([parent.shardId]);
      addShard([parent.shardId]);
    } else if (step.kind === 'merge' && open.length > 1 && shards.length < 40) {
      const a = open[step.pick % open.length]!;
      const b = open[(step.pick + 1) % open.length]!;
      a.open = false;
      b.open = false;
      addShard([a.shardId, b.shardId]);
    } else if (step.kind === 'sync') {
      sync();
    } else if (step.kind === 'process') {
      const ready = finishable();
      if (ready.length > 0) finish(ready[step.pick % ready.length]!);
    }
  }
  // Drain: sync and process until nothing changes.
  for (let changed = true; changed;) {
    changed = sync();
    for (let ready = finishable(); ready.length > 0; ready = finishable()) {
      for (const s of ready) finish(s);
      changed = true;
    }
  }

  // Every open shard ends up with a lease: no part of the hash range is left unread.
  for (const s of shards) if (s.open) expect(leased.has(s.shardId)).toBe(true);
  if (position === 'LATEST') {
    // Shards closed before the application started are never read under LATEST.
    for (const shardId of closedAtFirstSync ?? []) expect(everLeased.has(shardId)).toBe(false);
  } else {
    // TRIM_HORIZON / AT_TIMESTAMP read everything kept: every shard gets a lease, and every closed one ends.
    for (const s of shards) {
      expect(everLeased.has(s.shardId)).toBe(true);
      if (!s.open) expect(leased.get(s.shardId)!.checkpoint).toEqual(ESN.SHARD_END);
    }
  }
}

describe('planShardLeases: properties over random resharding', () => {
  it('never plans a shard twice, above a leased shard, or before its parents end; leaves no open shard without a lease', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(stepArb, { maxLength: 30 }), positionArb, (roots, steps, position) => {
        simulate(roots, steps, position);
      }),
      { numRuns: 300 },
    );
  });
});
