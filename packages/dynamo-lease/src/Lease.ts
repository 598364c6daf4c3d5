import { ExtendedSequenceNumber, InvalidArgumentError, type HashKeyRange } from '@shardline/core';

/**
 * One item of a KCL lease table: who owns a shard and where processing of it left off.
 * Immutable; every write to the table returns a new `Lease`. The fields map one to one onto the
 * Java KCL 2.x/3.x attributes (see {@link leaseToItem}).
 * @public
 */
export interface Lease {
  /** Hash key: the shard id, or `account:stream:creationEpoch:shardId` in multi-stream mode. */
  readonly leaseKey: string;
  /** Worker id of the holder; `undefined` when nobody owns the lease. */
  readonly leaseOwner: string | undefined;
  /** Fencing counter: bumped by every renew, take, evict, release and checkpoint. */
  readonly leaseCounter: number;
  /** Last committed position, or `undefined` for an item written without one. */
  readonly checkpoint: ExtendedSequenceNumber | undefined;
  /** Position of a prepared (two-phase) checkpoint, if one is pending. */
  readonly pendingCheckpoint: ExtendedSequenceNumber | undefined;
  /** Application bytes stored with the pending checkpoint. */
  readonly pendingCheckpointState: Uint8Array | undefined;
  /** Owner changes since the last checkpoint. */
  readonly ownerSwitchesSinceCheckpoint: number;
  /** Parent shard ids (stored as the string set `parentShardId`). */
  readonly parentShardIds: readonly string[];
  /** Child shard ids, written when the shard ends. */
  readonly childShardIds: readonly string[];
  /** The shard's hash-key range, when known. */
  readonly hashKeyRange: HashKeyRange | undefined;
  /** KCL 3.x graceful handoff: the outgoing owner while a handoff is pending. */
  readonly checkpointOwner: string | undefined;
  /** KCL 3.x: the shard's smoothed throughput in KB/s, as its holder last wrote it. Read only. */
  readonly throughputKBps: number | undefined;
  /**
   * Multi-stream leases only: the stream's identifier `account:stream:creationEpoch` (stored as
   * `streamName`, as the KCL does) and the plain shard id (stored as `shardId`).
   */
  readonly streamIdentifier?: string;
  /** Multi-stream leases only: the plain shard id. */
  readonly shardId?: string;
}

/** What is needed to create a lease for a shard. @public */
export interface LeaseSpec {
  /** The shard id (or multi-stream key). */
  readonly leaseKey: string;
  /** Starting position. Default `TRIM_HORIZON`, as the KCL uses for child shards. */
  readonly checkpoint?: ExtendedSequenceNumber;
  /** Parent shard ids (a split has one, a merge two). Default none. */
  readonly parentShardIds?: readonly string[];
  /** The shard's hash-key range. Default unknown. */
  readonly hashKeyRange?: HashKeyRange;
  /** Multi-stream leases: `account:stream:creationEpoch`, written as `streamName` (with `shardId`). */
  readonly streamIdentifier?: string;
  /** Multi-stream leases: the plain shard id, written as `shardId`. */
  readonly shardId?: string;
}

/** A new, unowned lease with counter 0, as the KCL's shard sync creates it. @public */
export function newLease(spec: LeaseSpec): Lease {
  if (typeof spec.leaseKey !== 'string' || spec.leaseKey.length === 0) {
    throw new InvalidArgumentError(`leaseKey must be a non-empty string (got ${JSON.stringify(spec.leaseKey)})`);
  }
  return {
    leaseKey: spec.leaseKey,
    leaseOwner: undefined,
    leaseCounter: 0,
    checkpoint: spec.checkpoint ?? ExtendedSequenceNumber.TRIM_HORIZON,
    pendingCheckpoint: undefined,
    pendingCheckpointState: undefined,
    ownerSwitchesSinceCheckpoint: 0,
    parentShardIds: [...new Set(spec.parentShardIds ?? [])].sort(),
    childShardIds: [],
    hashKeyRange: spec.hashKeyRange,
    checkpointOwner: undefined,
    throughputKBps: undefined,
    ...(spec.streamIdentifier !== undefined ? { streamIdentifier: spec.streamIdentifier, shardId: spec.shardId ?? spec.leaseKey } : {}),
  };
}
