import { ExtendedSequenceNumber, type HashKeyRange } from '@shardline/core';
import { initialCheckpoint, type InitialPosition } from './streams';

/** A shard as ListShards reports it. @public */
export interface ListedShard {
  readonly shardId: string;
  readonly range: HashKeyRange;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
  /** False once the shard is closed (has an ending sequence number). */
  readonly open: boolean;
}

/** What shard sync knows of an existing lease. @public */
export interface ExistingLease {
  readonly checkpoint: ExtendedSequenceNumber | undefined;
}

/** A lease to create, by shard id. @public */
export interface PlannedLease {
  readonly shardId: string;
  readonly checkpoint: ExtendedSequenceNumber;
  readonly parentShardIds: readonly string[];
  readonly range: HashKeyRange;
}

function parentsOf(shard: ListedShard, byId: ReadonlyMap<string, ListedShard>): string[] {
  return [shard.parentShardId, shard.adjacentParentShardId].filter((p): p is string => p !== undefined && byId.has(p));
}

/**
 * The leases shard sync creates, hierarchically as the KCL's `HierarchicalShardSyncer`:
 *
 * - A shard descending from a shard that has a lease gets one at `TRIM_HORIZON` once every parent
 *   it has is finished (`SHARD_END`): normally the consumer that ended the parent creates it, and
 *   this repairs a crash in between.
 * - A lineage with no lease at all (a new application, or a new stream) starts at the initial
 *   position: under `LATEST` on the shards open now; under `TRIM_HORIZON` and `AT_TIMESTAMP` on
 *   its oldest shards, so the records of closed shards still kept are read too, and their
 *   descendants follow from `TRIM_HORIZON`.
 * - A merge joining a leased lineage with an unleased one: the unleased parent gets a lease too
 *   (`TRIM_HORIZON` under `LATEST`, else its oldest ancestors), so the child never waits forever.
 *
 * Shards above a leased shard are never planned: they were read before that lease was made.
 * Pure; `leases` is keyed by shard id. Parents that ListShards no longer reports are ignored.
 * @public
 */
export function planShardLeases(shards: readonly ListedShard[], leases: ReadonlyMap<string, ExistingLease>, initialPosition: InitialPosition): PlannedLease[] {
  const byId = new Map(shards.map((s) => [s.shardId, s]));
  const planned = new Map<string, PlannedLease>();
  const descends = new Map<string, boolean>();
  const descendsFromLeased = (id: string, seen = new Set<string>()): boolean => {
    const known = descends.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return false; // a lineage cycle (bad input)
    seen.add(id);
    const shard = byId.get(id)!;
    const result = parentsOf(shard, byId).some((p) => leases.has(p) || descendsFromLeased(p, seen));
    descends.set(id, result);
    return result;
  };
  const children = new Map<string, string[]>();
  for (const s of shards) for (const p of parentsOf(s, byId)) children.set(p, [...(children.get(p) ?? []), s.shardId]);
  const ancestorOfLeased = (id: string, seen = new Set<string>()): boolean => {
    if (seen.has(id)) return false;
    seen.add(id);
    return (children.get(id) ?? []).some((c) => leases.has(c) || ancestorOfLeased(c, seen));
  };
  const plan = (shard: ListedShard, checkpoint: ExtendedSequenceNumber): void => {
    // A shard above a leased one was processed before that lease was made.
    if (leases.has(shard.shardId) || planned.has(shard.shardId) || ancestorOfLeased(shard.shardId)) return;
    planned.set(shard.shardId, { shardId: shard.shardId, checkpoint, parentShardIds: parentsOf(shard, byId), range: shard.range });
  };
  const rootsOf = (shard: ListedShard, seen = new Set<string>()): ListedShard[] => {
    if (seen.has(shard.shardId)) return [];
    seen.add(shard.shardId);
    const parents = parentsOf(shard, byId);
    return parents.length === 0 ? [shard] : parents.flatMap((p) => rootsOf(byId.get(p)!, seen));
  };
  const startLineage = (shard: ListedShard): void => {
    if (initialPosition === 'LATEST') plan(shard, ExtendedSequenceNumber.LATEST);
    else for (const root of rootsOf(shard)) plan(root, initialCheckpoint(initialPosition));
  };

  for (const shard of shards) {
    if (leases.has(shard.shardId)) continue;
    const parents = parentsOf(shard, byId);
    if (descendsFromLeased(shard.shardId)) {
      const finished = parents.every((p) => leases.get(p)?.checkpoint?.equals(ExtendedSequenceNumber.SHARD_END));
      if (finished) plan(shard, ExtendedSequenceNumber.TRIM_HORIZON);
      // A merge whose other parent's lineage has no lease would wait for it forever.
      for (const p of parents) {
        if (!leases.has(p) && !descendsFromLeased(p)) {
          const parent = byId.get(p)!;
          if (initialPosition === 'LATEST') plan(parent, ExtendedSequenceNumber.TRIM_HORIZON);
          else startLineage(parent);
        }
      }
      continue;
    }
    if (initialPosition === 'LATEST' ? shard.open : parents.length === 0) startLineage(shard);
  }
  return [...planned.values()];
}
