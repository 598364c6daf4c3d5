import type { Logger } from '@shardline/core';
import { isFinishedLease, type Lease, type LeaseTable } from '@shardline/dynamo-lease';
import type { ListedShard } from './planShardLeases';
import { parentLeaseKey } from './LineageView';
import { belongsTo } from './ShardSyncer';
import { shardIdOf, type TrackedStream } from './streams';

/** Why a lease may be deleted. @public */
export type CleanupReason = 'completed' | 'shard-gone';

/**
 * The leases that may be deleted, as the KCL's `LeaseCleanupManager` decides: a finished lease
 * (`SHARD_END`) whose children all have leases, and a lease whose shard ListShards no longer
 * reports (trimmed past retention). Nothing else. Streams whose listing failed are left alone.
 * Pure.
 * @public
 */
export function leasesToCleanUp(leases: readonly Lease[], streams: readonly TrackedStream[], shards: ReadonlyMap<string, readonly ListedShard[]>): Map<string, CleanupReason> {
  const keys = new Set(leases.map((l) => l.leaseKey));
  const out = new Map<string, CleanupReason>();
  for (const stream of streams) {
    const listed = shards.get(stream.streamName);
    if (!listed) continue;
    const byId = new Map(listed.map((s) => [s.shardId, s]));
    for (const lease of leases) {
      if (!belongsTo(lease, stream)) continue;
      const shardId = shardIdOf(lease.leaseKey);
      if (!byId.has(shardId)) {
        out.set(lease.leaseKey, 'shard-gone');
        continue;
      }
      if (!isFinishedLease(lease)) continue;
      const children = lease.childShardIds.length ? lease.childShardIds : listed.filter((s) => s.parentShardId === shardId || s.adjacentParentShardId === shardId).map((s) => s.shardId);
      if (children.length > 0 && children.every((c) => keys.has(parentLeaseKey(lease.leaseKey, c)))) out.set(lease.leaseKey, 'completed');
    }
  }
  return out;
}

/**
 * Deletes leases that stayed eligible ({@link leasesToCleanUp}) for `delayMs`, measured on the
 * monotonic clock from the first sync that found them so.
 */
export class LeaseCleanup {
  private readonly eligibleSince = new Map<string, number>();

  constructor(
    private readonly table: LeaseTable,
    private readonly delayMs: number,
    private readonly logger: Logger,
    private readonly onDeleted: (leaseKey: string, reason: CleanupReason) => void,
  ) {}

  async run(leases: readonly Lease[], streams: readonly TrackedStream[], shards: ReadonlyMap<string, readonly ListedShard[]>, now: number): Promise<string[]> {
    const eligible = leasesToCleanUp(leases, streams, shards);
    for (const key of this.eligibleSince.keys()) if (!eligible.has(key)) this.eligibleSince.delete(key);
    const deleted: string[] = [];
    for (const [key, reason] of eligible) {
      const since = this.eligibleSince.get(key);
      if (since === undefined) this.eligibleSince.set(key, now);
      if (now - (since ?? now) < this.delayMs) continue;
      try {
        await this.table.deleteLease(key);
        this.eligibleSince.delete(key);
        deleted.push(key);
        this.logger.info({ leaseKey: key, reason }, 'lease cleanup: deleted lease');
        this.onDeleted(key, reason);
      } catch (error) {
        this.logger.warn({ err: error, leaseKey: key }, 'lease cleanup: delete failed; retried at the next sync');
      }
    }
    return deleted;
  }
}
