import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { InvalidStateError, listShards, type Logger } from '@shardline/core';
import type { Lease, LeaseCoordinator, LeaseSpec } from '@shardline/dynamo-lease';
import type { ChildShard } from '@shardline/kinesis-poller';
import { type ExistingLease, type ListedShard, planShardLeases } from './planShardLeases';
import { leaseKeyOf, shardIdOf, type TrackedStream } from './streams';

/** What one shard sync saw, for lease cleanup. */
export interface ShardSyncResult {
  /** Every lease in the table, as scanned before creating new ones. */
  readonly leases: readonly Lease[];
  /** Every shard of each stream, by stream name; missing when ListShards failed for it. */
  readonly shards: ReadonlyMap<string, readonly ListedShard[]>;
  /** Lease keys this sync created. */
  readonly created: readonly string[];
  /** Why ListShards failed, by stream name. */
  readonly failures: ReadonlyMap<string, unknown>;
}

/**
 * Shard sync, as the KCL's `ShardSyncTask`: ListShards on each stream, then the leases
 * {@link planShardLeases} says are missing, created with conditional puts (so every worker may run
 * it at once). Also creates a shard's child leases at its end.
 */
export class ShardSyncer {
  constructor(
    private readonly kinesis: KinesisClient,
    private readonly coordinator: LeaseCoordinator,
    private readonly logger: Logger,
  ) {}

  /** Syncs every stream with one lease-table scan. */
  async sync(streams: readonly TrackedStream[]): Promise<ShardSyncResult> {
    const leases = await this.coordinator.table.listLeases();
    const shards = new Map<string, readonly ListedShard[]>();
    const specs: LeaseSpec[] = [];
    const failures = new Map<string, unknown>();
    for (const stream of streams) {
      let listed: ListedShard[];
      try {
        listed = await listShards(this.kinesis, { streamName: stream.streamName });
      } catch (error) {
        this.logger.warn({ err: error, stream: stream.streamName }, 'shard sync: ListShards failed; retried at the next sync');
        failures.set(stream.streamName, error);
        continue;
      }
      shards.set(stream.streamName, listed);
      const existing = new Map<string, ExistingLease>();
      for (const lease of leases) if (belongsTo(lease, stream)) existing.set(shardIdOf(lease.leaseKey), lease);
      for (const planned of planShardLeases(listed, existing, stream.initialPosition)) {
        specs.push(this.spec(stream, planned.shardId, planned.parentShardIds, planned.range, planned.checkpoint));
      }
    }
    const created = specs.length ? await this.coordinator.createLeasesIfNotExist(specs) : [];
    if (created.length) this.logger.info({ created }, 'shard sync created leases');
    return { leases, shards, created, failures };
  }

  /**
   * At a shard's end: creates its children's leases at TRIM_HORIZON (from the ChildShards of the
   * last GetRecords, or from ListShards where the service sent none) and records them on the parent.
   */
  async createChildLeases(stream: TrackedStream, parent: Lease, reported: readonly ChildShard[] | undefined): Promise<string[]> {
    const shardId = shardIdOf(parent.leaseKey);
    let children: { shardId: string; parentShardIds: readonly string[]; range: ChildShard['range'] }[];
    if (reported && reported.length > 0) {
      children = reported.map((c) => ({ shardId: c.shardId, parentShardIds: c.parentShardIds, range: c.range }));
    } else {
      const all = await listShards(this.kinesis, { streamName: stream.streamName });
      children = all
        .filter((s) => s.parentShardId === shardId || s.adjacentParentShardId === shardId)
        .map((s) => ({ shardId: s.shardId, parentShardIds: [s.parentShardId, s.adjacentParentShardId].filter((p): p is string => p !== undefined), range: s.range }));
    }
    // A merge child is created only once its other parent has a lease, as the KCL's ShutdownTask
    // does (MissingMergeParentLease): a missing parent lease does not block a child, so a child
    // created now would be read before the other parent, whose lineage has not reached it yet.
    // Retried. A child lease that exists already was made by the other parent's end.
    for (const child of children) {
      if (child.parentShardIds.length !== 2) continue;
      for (const other of child.parentShardIds.filter((p) => p !== shardId)) {
        if (await this.coordinator.table.getLease(leaseKeyOf(stream, other))) continue;
        if (await this.coordinator.table.getLease(leaseKeyOf(stream, child.shardId))) continue;
        throw new InvalidStateError(`${parent.leaseKey}: merge child ${child.shardId} waits until its other parent ${other} has a lease`, { retryable: true });
      }
    }
    await this.coordinator.createLeasesIfNotExist(children.map((c) => this.spec(stream, c.shardId, c.parentShardIds, c.range, undefined)));
    await this.coordinator.updateChildShards(
      parent.leaseKey,
      children.map((c) => c.shardId),
    );
    return children.map((c) => leaseKeyOf(stream, c.shardId));
  }

  private spec(stream: TrackedStream, shardId: string, parentShardIds: readonly string[], range: ChildShard['range'], checkpoint: LeaseSpec['checkpoint']): LeaseSpec {
    return {
      leaseKey: leaseKeyOf(stream, shardId),
      parentShardIds,
      ...(range ? { hashKeyRange: range } : {}),
      ...(checkpoint ? { checkpoint } : {}),
      ...(stream.identifier !== undefined ? { streamIdentifier: stream.identifier, shardId } : {}),
    };
  }
}

/** True when `lease` is one of `stream`'s (by its key format). */
export function belongsTo(lease: Lease, stream: TrackedStream): boolean {
  if (stream.identifier === undefined) return !lease.leaseKey.includes(':');
  return lease.leaseKey.startsWith(`${stream.identifier}:`);
}
