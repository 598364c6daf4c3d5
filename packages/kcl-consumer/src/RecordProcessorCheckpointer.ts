import { ExtendedSequenceNumber, InvalidArgumentError, isSentinelCheckpoint, ShardlineError } from '@shardline/core';
import type { Checkpointer } from '@shardline/dynamo-lease';
import type { ShardCheckpointer } from './RecordProcessor';

/**
 * A position to checkpoint at: an {@link ExtendedSequenceNumber}, a record (its sequence and
 * sub-sequence numbers), a sequence number string, or `{ sequenceNumber, subSequenceNumber }`.
 * @public
 */
export type CheckpointPosition = ExtendedSequenceNumber | string | { readonly sequenceNumber: string; readonly subSequenceNumber?: number };

/** A prepared (two-phase) checkpoint; {@link PreparedCheckpointer.checkpoint} commits it. @public */
export interface PreparedCheckpointer {
  readonly pendingCheckpoint: ExtendedSequenceNumber;
  checkpoint(): Promise<void>;
}

const DIGITS = /^\d{1,128}$/;

/**
 * Turns what a processor passed into a position, or throws InvalidArgumentError (the KCL's
 * IllegalArgumentException) for a malformed sequence number or a negative sub-sequence number.
 */
function toPosition(position: CheckpointPosition, subSequenceNumber: number | undefined): ExtendedSequenceNumber {
  if (position instanceof ExtendedSequenceNumber) return position;
  const sequenceNumber = typeof position === 'string' ? position : position?.sequenceNumber;
  const sub = typeof position === 'string' ? (subSequenceNumber ?? 0) : (position?.subSequenceNumber ?? subSequenceNumber ?? 0);
  if (typeof sequenceNumber !== 'string' || !(DIGITS.test(sequenceNumber) || isSentinelCheckpoint(sequenceNumber))) {
    throw new InvalidArgumentError(`checkpoint: expected a sequence number or a sentinel checkpoint value (got ${JSON.stringify(sequenceNumber)})`);
  }
  if (!Number.isSafeInteger(sub) || sub < 0) throw new InvalidArgumentError(`checkpoint: subSequenceNumber must be a non-negative integer (got ${String(sub)})`);
  return new ExtendedSequenceNumber(sequenceNumber, sub);
}

/**
 * The checkpointer a processor is handed, as the KCL's `RecordProcessorCheckpointer`: positions
 * between the last checkpoint and the last record delivered (or `SHARD_END` once the shard has
 * ended); the shard's last record is turned into `SHARD_END` at shard end; a repeat of the last
 * checkpoint writes nothing. Writes go through the lease, fenced by its counter.
 *
 * Errors (see `kclExceptionName` for the KCL names): `LeaseLostError`/`ShutdownError` when the
 * lease is gone, `CheckpointOutOfRangeError`/`InvalidArgumentError` for a bad position,
 * `ThrottledError` when DynamoDB throttles; `ShutdownError` once the worker has given up on the
 * lifecycle call it was handed to (timed out, failed, or the shard was shut down).
 * @public
 */
export class RecordProcessorCheckpointer implements ShardCheckpointer {
  private sequenceNumberAtShardEnd: ExtendedSequenceNumber | undefined;
  private revokedWith: ShardlineError | undefined;

  /** @internal */
  constructor(private readonly inner: Checkpointer) {
    // As the KCL's InitializeTask: until a record is delivered, the bound is the lease's checkpoint.
    if (inner.lastCheckpoint && !inner.largestPermittedCheckpoint) inner.setLargestPermittedCheckpoint(inner.lastCheckpoint);
  }

  /** The lease key this checkpointer writes to. */
  get leaseKey(): string {
    return this.inner.leaseKey;
  }

  /** The last committed checkpoint. */
  get lastCheckpoint(): ExtendedSequenceNumber | undefined {
    return this.inner.lastCheckpoint;
  }

  /** The largest position a checkpoint may name now: the last record delivered, or `SHARD_END`. */
  get largestPermittedCheckpoint(): ExtendedSequenceNumber | undefined {
    return this.inner.largestPermittedCheckpoint;
  }

  /** True once `SHARD_END` is the committed checkpoint. */
  get checkpointedShardEnd(): boolean {
    return this.inner.lastCheckpoint?.equals(ExtendedSequenceNumber.SHARD_END) ?? false;
  }

  /**
   * Commits a checkpoint: with no argument, at the last record delivered (`SHARD_END` during
   * `shardEnded`); else at `position` (with `subSequenceNumber` when `position` is a string).
   */
  async checkpoint(position?: CheckpointPosition, subSequenceNumber?: number): Promise<void> {
    const target = this.resolve(position, subSequenceNumber);
    if (target && this.inner.lastCheckpoint?.equals(target)) return;
    await this.inner.checkpoint(target);
  }

  /** Writes a pending checkpoint with optional application state; commit it with the returned object. */
  async prepareCheckpoint(position?: CheckpointPosition, state?: Uint8Array): Promise<PreparedCheckpointer> {
    const prepared = await this.inner.prepareCheckpoint(this.resolve(position, undefined), state);
    return { pendingCheckpoint: prepared.pendingCheckpoint, checkpoint: () => this.checkpoint(prepared.pendingCheckpoint) };
  }

  /** @internal The consumer raises the bound after each delivered batch. */
  permitUpTo(position: ExtendedSequenceNumber): void {
    this.inner.setLargestPermittedCheckpoint(position);
  }

  /** @internal At shard end: `SHARD_END` becomes allowed, and the last real record means it. */
  permitShardEnd(): void {
    this.sequenceNumberAtShardEnd = this.inner.largestPermittedCheckpoint;
    this.inner.setLargestPermittedCheckpoint(ExtendedSequenceNumber.SHARD_END);
  }

  /** @internal Every later call throws `error` (the worker gave up on the call holding it). */
  revoke(error: ShardlineError): void {
    this.revokedWith ??= error;
  }

  private resolve(position: CheckpointPosition | undefined, subSequenceNumber: number | undefined): ExtendedSequenceNumber | undefined {
    if (this.revokedWith) throw this.revokedWith;
    if (position === undefined) return this.inner.largestPermittedCheckpoint;
    const target = toPosition(position, subSequenceNumber);
    const atEnd = this.sequenceNumberAtShardEnd;
    return atEnd && target.equals(atEnd) ? ExtendedSequenceNumber.SHARD_END : target;
  }
}
