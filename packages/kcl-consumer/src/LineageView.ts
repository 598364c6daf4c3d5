import { ExtendedSequenceNumber } from '@shardline/core';
import type { Lease } from '@shardline/dynamo-lease';
import { ShardGraph } from '@shardline/kinesis-poller';

/** The lease key of a parent shard, in the child's key format (single- or multi-stream). */
export function parentLeaseKey(childLeaseKey: string, parentShardId: string): string {
  return childLeaseKey.slice(0, childLeaseKey.lastIndexOf(':') + 1) + parentShardId;
}

/**
 * Which shards have finished, as the lease table says, for the rule that a child is processed only
 * after every parent that has a lease checkpointed `SHARD_END` (the KCL's BlockOnParentShard; a
 * parent with no lease does not block). Kept up to date from the lease coordinator's own scans and
 * from this worker's shard ends, so waiting costs no extra DynamoDB reads; a parent the last scan
 * did not show is read once with `fetch`.
 */
export class LineageView {
  private graph = new ShardGraph();
  private readonly finishedHere = new Set<string>();
  private waiters: (() => void)[] = [];

  constructor(private readonly fetch: (leaseKey: string) => Promise<Lease | undefined>) {}

  /** Replaces what is known with a full scan of the table. */
  update(leases: readonly Lease[]): void {
    const stored = new Map<string, ExtendedSequenceNumber>();
    for (const lease of leases) if (lease.checkpoint) stored.set(lease.leaseKey, lease.checkpoint);
    for (const key of this.finishedHere) stored.set(key, ExtendedSequenceNumber.SHARD_END);
    const shards = leases.map((l) => ({ shardId: l.leaseKey, parentShardIds: l.parentShardIds.map((p) => parentLeaseKey(l.leaseKey, p)) }));
    this.graph = ShardGraph.plan({ shards, stored, initialPosition: () => 'TRIM_HORIZON' });
    this.wake();
  }

  /** This worker checkpointed `SHARD_END` on `leaseKey`. */
  markFinished(leaseKey: string): void {
    this.finishedHere.add(leaseKey);
    this.graph.setState(leaseKey, 'finished');
    this.wake();
  }

  /** Forgets a deleted lease (its children no longer wait for it). */
  forget(leaseKey: string): void {
    this.finishedHere.delete(leaseKey);
  }

  /** Parents of `lease` that have a lease and have not finished. */
  async unfinishedParents(lease: Lease): Promise<string[]> {
    const pending: string[] = [];
    for (const p of lease.parentShardIds) {
      const key = parentLeaseKey(lease.leaseKey, p);
      let node = this.graph.shards.get(key);
      if (!node) {
        const parent = await this.fetch(key);
        if (!parent) continue;
        node = this.graph.add({ shardId: key, parentShardIds: [] }, parent.checkpoint);
      }
      if (node && node.state !== 'finished' && !this.finishedHere.has(key)) pending.push(key);
    }
    return pending;
  }

  /**
   * Resolves true once every parent of `lease` that has a lease has finished, false if `signal`
   * aborts first.
   */
  async waitForParents(lease: Lease, signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if ((await this.unfinishedParents(lease)).length === 0) return !signal.aborted;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return false;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
