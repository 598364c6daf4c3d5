import type { ExtendedSequenceNumber } from '@shardline/core';
import type { Lease } from './Lease';
import type { LeaseLostReason } from './LeaseRenewer';

/** Events of a {@link LeaseCoordinator}. @public */
export interface LeaseCoordinatorEvents {
  /** This worker now holds the lease (taken, stolen, claimed or reclaimed at start). */
  leaseAcquired: [lease: Lease];
  /** This worker no longer holds the lease and did not give it up itself. */
  leaseLost: [lease: Lease, reason: LeaseLostReason];
  /** This worker gave the lease back in DynamoDB (graceful stop or {@link LeaseCoordinator.releaseLease}). */
  leaseReleased: [lease: Lease];
  /**
   * Another worker asked for this held lease (graceful handoff, for balancing): finish the work in
   * hand, checkpoint, then {@link LeaseCoordinator.releaseLease} it, which hands it over. The lease
   * stays held and checkpointable meanwhile, for up to `handoffTimeoutMs`. Without a listener the
   * lease is handed over at once.
   */
  leaseHandoffRequested: [lease: Lease];
  /**
   * A full scan of the table was read (each taker run and the start-up reclaim): every lease as
   * stored, finished ones included. Lets a consumer follow parent shards' progress at no extra cost.
   */
  leasesScanned: [leases: readonly Lease[]];
  /**
   * Another process writes leases under this worker's id, so both would process their shards: a
   * write of this worker was rejected although the lease still names this id, with a counter this
   * worker did not write. Logged at error as well. The lease is dropped here (`leaseLost`, `taken`)
   * and left to the other process; fix the deployment so that every process has its own id.
   */
  duplicateWorkerId: [duplicate: DuplicateWorkerId];
  /** A background renewal or taker run failed; emitted only when someone listens. */
  error: [error: unknown];
}

/** What a `duplicateWorkerId` event reports. @public */
export interface DuplicateWorkerId {
  /** The worker id two processes use. */
  readonly workerId: string;
  /** The lease the other process wrote. */
  readonly leaseKey: string;
  /** The write of this worker that found it: `renew`, `checkpoint`, `release` or `take`. */
  readonly operation: string;
  /** The counter this worker last wrote or saw. */
  readonly expectedLeaseCounter: number;
  /** The counter the table holds now, under the same id. */
  readonly foundLeaseCounter: number;
}

/** True for a lease whose shard was read to its end (checkpoint `SHARD_END`): nobody needs to hold it. @public */
export function isFinishedLease(lease: Lease): boolean {
  return lease.checkpoint?.sequenceNumber === 'SHARD_END';
}

/** Options of {@link LeaseCoordinator.stop}. @public */
export interface StopOptions {
  /**
   * Give every held lease back in DynamoDB (remove the owner, bump the counter) so that peers take
   * them on their next taker run instead of waiting for them to expire. Default true. With false,
   * leases are only dropped locally, as the KCL 2.x does.
   */
  readonly release?: boolean;
}

/** A lease's checkpoint as stored. @public */
export interface StoredCheckpoint {
  readonly checkpoint: ExtendedSequenceNumber | undefined;
  readonly pendingCheckpoint: ExtendedSequenceNumber | undefined;
  readonly pendingCheckpointState: Uint8Array | undefined;
  /** Owner changes since that checkpoint was written. */
  readonly ownerSwitchesSinceCheckpoint: number;
}
