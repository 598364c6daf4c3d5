import { CheckpointOutOfRangeError, ExtendedSequenceNumber, InvalidArgumentError } from '@shardline/core';
import type { Lease } from './Lease';

/** A change a {@link Checkpointer} asks its writer to make. @public */
export type CheckpointChange =
  { readonly kind: 'checkpoint'; readonly position: ExtendedSequenceNumber } | { readonly kind: 'prepare'; readonly position: ExtendedSequenceNumber; readonly state: Uint8Array | undefined };

/**
 * Where a {@link Checkpointer} writes: the lease coordinator, which checks the concurrency token
 * and the lease's local validity and writes under the lease's fencing counter.
 * @public
 */
export interface CheckpointWriter {
  /**
   * Writes `change` for the acquisition identified by `concurrencyToken` and returns the lease as
   * written.
   * @throws LeaseLostError when this acquisition no longer holds the lease; ShutdownError while it
   *   is being released; a retryable ShardlineError (throttling, 5xx) when the write may be repeated.
   */
  writeCheckpoint(leaseKey: string, concurrencyToken: string, change: CheckpointChange): Promise<Lease>;
}

/** A checkpoint written as pending (two-phase); {@link PreparedCheckpoint.checkpoint} commits it. @public */
export interface PreparedCheckpoint {
  /** The prepared position. */
  readonly pendingCheckpoint: ExtendedSequenceNumber;
  /** Commits the prepared position as the checkpoint. */
  checkpoint(): Promise<void>;
}

/**
 * Records progress through one shard for one acquisition of its lease, like the KCL's
 * `RecordProcessorCheckpointer`. Positions must lie between the last checkpoint and the largest
 * permitted position (the last record delivered, when the consumer sets it); calls are applied in
 * order. Once the lease is lost — even if this worker takes it again later, which starts a new
 * acquisition with a new token — every call throws `LeaseLostError` without touching DynamoDB.
 * @public
 */
export class Checkpointer {
  /** The lease (shard) this checkpointer writes to. */
  readonly leaseKey: string;
  private last: ExtendedSequenceNumber | undefined;
  private pending: ExtendedSequenceNumber | undefined;
  private pendingState: Uint8Array | undefined;
  private largestPermitted: ExtendedSequenceNumber | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * @param writer - the coordinator (or any writer honouring the token).
   * @param lease - the lease as acquired; its checkpoint is the lower bound.
   * @param concurrencyToken - the acquisition's token.
   */
  constructor(
    private readonly writer: CheckpointWriter,
    lease: Lease,
    readonly concurrencyToken: string,
  ) {
    this.leaseKey = lease.leaseKey;
    this.last = lease.checkpoint;
    this.pending = lease.pendingCheckpoint;
    this.pendingState = lease.pendingCheckpointState;
  }

  /** The last committed checkpoint. */
  get lastCheckpoint(): ExtendedSequenceNumber | undefined {
    return this.last;
  }

  /** The pending (prepared) checkpoint, if any; after a failover, the previous owner's. */
  get pendingCheckpoint(): ExtendedSequenceNumber | undefined {
    return this.pending;
  }

  /** Application state stored with the pending checkpoint. */
  get pendingCheckpointState(): Uint8Array | undefined {
    return this.pendingState;
  }

  /** The upper bound for checkpoints, if set. */
  get largestPermittedCheckpoint(): ExtendedSequenceNumber | undefined {
    return this.largestPermitted;
  }

  /**
   * Raises the upper bound for checkpoints: the consumer sets it to the last record it delivered,
   * and to `SHARD_END` when the shard has ended. It never moves backwards.
   */
  setLargestPermittedCheckpoint(position: ExtendedSequenceNumber): void {
    if (!(position instanceof ExtendedSequenceNumber)) throw new InvalidArgumentError('largest permitted checkpoint must be an ExtendedSequenceNumber');
    if (this.largestPermitted === undefined || position.compareTo(this.largestPermitted) > 0) this.largestPermitted = position;
  }

  /**
   * Commits `position` (default: the largest permitted position) and clears any pending checkpoint.
   * @throws CheckpointOutOfRangeError before the last checkpoint or beyond the largest permitted;
   *   LeaseLostError / ShutdownError when this acquisition no longer holds the lease.
   */
  checkpoint(position?: ExtendedSequenceNumber): Promise<void> {
    return this.enqueue(async () => {
      const target = this.validate(position, 'checkpoint');
      const lease = await this.writer.writeCheckpoint(this.leaseKey, this.concurrencyToken, { kind: 'checkpoint', position: target });
      this.absorb(lease);
    });
  }

  /**
   * Writes `position` (default: the largest permitted) as a pending checkpoint with optional state
   * bytes, leaving the committed checkpoint where it is.
   * @throws like {@link checkpoint}.
   */
  prepareCheckpoint(position?: ExtendedSequenceNumber, state?: Uint8Array): Promise<PreparedCheckpoint> {
    if (state !== undefined && !(state instanceof Uint8Array)) throw new InvalidArgumentError('prepareCheckpoint state must be a Uint8Array');
    return this.enqueue(async () => {
      const target = this.validate(position, 'prepareCheckpoint');
      const lease = await this.writer.writeCheckpoint(this.leaseKey, this.concurrencyToken, { kind: 'prepare', position: target, state });
      this.absorb(lease);
      return { pendingCheckpoint: target, checkpoint: () => this.checkpoint(target) };
    });
  }

  private validate(position: ExtendedSequenceNumber | undefined, operation: string): ExtendedSequenceNumber {
    const target = position ?? this.largestPermitted;
    if (target === undefined) throw new InvalidArgumentError(`${operation} needs a position when no largest permitted checkpoint is set`);
    if (!(target instanceof ExtendedSequenceNumber)) throw new InvalidArgumentError(`${operation} position must be an ExtendedSequenceNumber`);
    if (this.last !== undefined && target.compareTo(this.last) < 0) {
      throw new CheckpointOutOfRangeError(`${operation}(${target.toString()}) on ${this.leaseKey} is before the last checkpoint ${this.last.toString()}`);
    }
    if (this.largestPermitted !== undefined && target.compareTo(this.largestPermitted) > 0) {
      throw new CheckpointOutOfRangeError(`${operation}(${target.toString()}) on ${this.leaseKey} is beyond the largest permitted position ${this.largestPermitted.toString()}`);
    }
    return target;
  }

  private absorb(lease: Lease): void {
    this.last = lease.checkpoint;
    this.pending = lease.pendingCheckpoint;
    this.pendingState = lease.pendingCheckpointState;
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
