import { ExtendedSequenceNumber } from '@shardline/core';
import { parentsFirst, type ShardLineage, ShardGraph } from './ShardGraph';
import type { StartingPosition } from './StartingPosition';

const shard = (id: number, parents: number[] = [], open = true): ShardLineage => ({
  shardId: `s${id}`,
  parentShardIds: parents.map((p) => `s${p}`),
  open,
});

// The KCL's lease-lifecycle example: 0 1 2 3 4 5 → 6 7 4 5 → 8 4 9 10
// (0+1 → 6, 2+3 → 7, 6+7 → 8, 5 split into 9 and 10; 4 never changes).
const HIERARCHY = [
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

function plan(initial: StartingPosition, stored: Record<string, ExtendedSequenceNumber> = {}, extra: { shardIds?: string[]; followChildShards?: boolean } = {}) {
  return ShardGraph.plan({ shards: HIERARCHY, stored: new Map(Object.entries(stored)), initialPosition: () => initial, ...extra });
}

const states = (g: ShardGraph) => Object.fromEntries([...g.shards.values()].map((n) => [n.shardId, n.state]));
const ready = (g: ShardGraph) => g.ready().map((n) => n.shardId);

describe('ShardGraph.plan', () => {
  it('TRIM_HORIZON: starts at the roots, and every child waits for all its parents', () => {
    const g = plan('TRIM_HORIZON');
    expect(ready(g)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(g.shards.get('s8')!.start).toBe('TRIM_HORIZON');
    g.setState('s0', 'finished');
    expect(ready(g)).not.toContain('s6');
    g.setState('s1', 'finished');
    expect(ready(g)).toContain('s6');
    g.setState('s6', 'finished');
    expect(ready(g)).not.toContain('s8');
    for (const id of ['s2', 's3', 's7']) g.setState(id, 'finished');
    expect(ready(g)).toContain('s8');
  });

  it('LATEST: skips closed roots, so the open shards start at LATEST at once', () => {
    const g = plan('LATEST');
    expect(states(g)).toMatchObject({ s0: 'skipped', s5: 'skipped', s6: 'skipped', s7: 'skipped', s4: 'waiting', s8: 'waiting', s9: 'waiting' });
    expect(ready(g).sort()).toEqual(['s10', 's4', 's8', 's9']);
    expect(g.shards.get('s8')!.start).toBe('LATEST');
  });

  it('resumes after stored positions; SHARD_END counts as finished and releases the children', () => {
    const g = plan('LATEST', { s4: new ExtendedSequenceNumber('17', 2), s5: new ExtendedSequenceNumber('40'), s7: ExtendedSequenceNumber.SHARD_END });
    expect(g.shards.get('s4')!.start).toEqual(new ExtendedSequenceNumber('17', 2));
    expect(states(g)).toMatchObject({ s7: 'finished', s5: 'waiting', s6: 'skipped' });
    // 9 and 10 are children of 5, which is read: they wait for it, from TRIM_HORIZON.
    expect(g.shards.get('s9')!.start).toBe('TRIM_HORIZON');
    expect(ready(g).sort()).toEqual(['s4', 's5', 's8']);
  });

  it('AT_TIMESTAMP: roots at the timestamp, descendants from TRIM_HORIZON', () => {
    const at = { type: 'AT_TIMESTAMP', timestamp: 5 } as const;
    const g = plan(at);
    expect(g.shards.get('s0')!.start).toBe(at);
    expect(g.shards.get('s6')!.start).toBe('TRIM_HORIZON');
  });

  it('a selection reads the chosen shards and their descendants; parents outside it are not waited for', () => {
    const g = plan('TRIM_HORIZON', {}, { shardIds: ['s1', 's7'] });
    expect([...g.shards.keys()].sort()).toEqual(['s1', 's6', 's7', 's8']);
    expect(g.shards.get('s6')!.parents).toEqual(['s1']);
    expect(ready(g)).toEqual(['s1', 's7']);
    const only = plan('TRIM_HORIZON', {}, { shardIds: ['s1'], followChildShards: false });
    expect([...only.shards.keys()]).toEqual(['s1']);
  });

  it('does not loop on a lineage cycle in bad input', () => {
    const g = ShardGraph.plan({ shards: [shard(1, [2]), shard(2, [1])], stored: new Map(), initialPosition: () => 'TRIM_HORIZON' });
    expect(g.shards.size).toBe(2);
  });
});

describe('ShardGraph.add', () => {
  it('adds a child found later from TRIM_HORIZON, waiting for its tracked parents', () => {
    const g = ShardGraph.plan({ shards: [shard(0), shard(1)], stored: new Map(), initialPosition: () => 'LATEST' });
    const child = g.add(shard(2, [0, 1]))!;
    expect(child).toMatchObject({ parents: ['s0', 's1'], start: 'TRIM_HORIZON', state: 'waiting' });
    expect(g.add(shard(2, [0, 1]))).toBeUndefined();
    g.setState('s0', 'finished');
    g.setState('s1', 'reading');
    expect(ready(g)).toEqual([]);
    g.setState('s1', 'finished');
    expect(ready(g)).toEqual(['s2']);
    expect(g.childrenOf('s0').map((n) => n.shardId)).toEqual(['s2']);
  });

  it('honours a stored position and the selection', () => {
    const g = new ShardGraph({ shardIds: ['s0'], followChildShards: true });
    expect(g.add(shard(0))).toBeDefined();
    expect(g.add(shard(5))).toBeUndefined();
    expect(g.add(shard(1, [0]), ExtendedSequenceNumber.SHARD_END)!.state).toBe('finished');
    expect(g.add(shard(2, [1]), new ExtendedSequenceNumber('9'))!.start).toEqual(new ExtendedSequenceNumber('9'));
  });

  it('a failed parent keeps its children waiting', () => {
    const g = new ShardGraph();
    g.add(shard(0));
    g.add(shard(1, [0]));
    g.setState('s0', 'failed');
    expect(ready(g)).toEqual([]);
  });
});

describe('parentsFirst', () => {
  it('puts every shard after its listed parents whatever the input order, and cuts cycles', () => {
    const reversed = [...HIERARCHY].reverse();
    const order = parentsFirst(reversed).map((s) => s.shardId);
    expect(order).toHaveLength(HIERARCHY.length);
    for (const s of HIERARCHY) for (const p of s.parentShardIds) expect(order.indexOf(p)).toBeLessThan(order.indexOf(s.shardId));
    expect(parentsFirst([shard(1, [2]), shard(2, [1])]).map((s) => s.shardId)).toEqual(['s2', 's1']);
  });

  it('added in that order, a grandchild listed before its parent still waits for it', () => {
    const g = new ShardGraph();
    g.add(shard(0));
    for (const s of parentsFirst([shard(2, [1]), shard(1, [0])])) g.add(s);
    expect(g.shards.get('s2')!.parents).toEqual(['s1']);
  });
});
