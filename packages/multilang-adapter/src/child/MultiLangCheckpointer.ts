import { ExtendedSequenceNumber, InvalidArgumentError, InvalidStateError, isSentinelCheckpoint, type ShardlineError } from '@shardline/core';
import type { CheckpointPosition, PreparedCheckpointer, ShardCheckpointer } from '@shardline/kcl-consumer';
import type { DaemonMessage } from '../protocol/messages';
import { encodeCheckpointRequest } from '../protocol/messages';
import { checkpointErrorFromName } from './checkpointErrorFromName';

/** The actions whose processor call gets a checkpointer. @public */
export type CheckpointScope = 'processRecords' | 'shardEnded' | 'shutdownRequested';

type CheckpointReply = Extract<DaemonMessage, { action: 'checkpoint' }>;

interface PendingCheckpoint {
  readonly target: ExtendedSequenceNumber | undefined;
  /** What a successful reply means for {@link MultiLangCheckpointer.lastCheckpoint}. */
  readonly committed: ExtendedSequenceNumber | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const DIGITS = /^\d{1,128}$/;

/** What a processor passed, as a position; InvalidArgumentError (the KCL's IllegalArgumentException) when malformed. */
function toPosition(position: CheckpointPosition, subSequenceNumber: number | undefined): ExtendedSequenceNumber {
  if (position instanceof ExtendedSequenceNumber) return position;
  const sequenceNumber: unknown = typeof position === 'string' ? position : (position as { sequenceNumber?: unknown } | null)?.sequenceNumber;
  const sub: unknown = typeof position === 'string' ? (subSequenceNumber ?? 0) : ((position as { subSequenceNumber?: unknown } | null)?.subSequenceNumber ?? subSequenceNumber ?? 0);
  if (typeof sequenceNumber !== 'string' || !(DIGITS.test(sequenceNumber) || isSentinelCheckpoint(sequenceNumber))) {
    throw new InvalidArgumentError(`checkpoint: expected a sequence number or a sentinel checkpoint value (got ${JSON.stringify(sequenceNumber)})`);
  }
  if (typeof sub !== 'number' || !Number.isSafeInteger(sub) || sub < 0) {
    throw new InvalidArgumentError(`checkpoint: subSequenceNumber must be a non-negative integer (got ${String(sub)})`);
  }
  return new ExtendedSequenceNumber(sequenceNumber, sub);
}

/**
 * The checkpointer a processor gets in a MultiLang child: each checkpoint is a
 * `{"action":"checkpoint",…}` line to the daemon, and the call settles with the daemon's reply.
 * It implements kcl-consumer's `ShardCheckpointer`, so a processor written for the worker runs
 * unchanged under a MultiLang daemon (the Java one or shardline's).
 *
 * - `checkpoint()` sends `"sequenceNumber":null,"subSequenceNumber":null`: the daemon checkpoints
 *   the last record it delivered, or `SHARD_END` during `shardEnded`.
 * - `checkpoint(position, subSequenceNumber?)` sends both numbers, so a record inside a KPL
 *   aggregate can be checkpointed exactly (aws-kcl for Node can only send the sequence number).
 *   A record, an `ExtendedSequenceNumber`, a sequence-number string or a sentinel works as position;
 *   a malformed one rejects with `InvalidArgumentError` without reaching the daemon.
 * - One checkpoint at a time on the wire: a call made while another is waiting for its reply
 *   waits its turn (aws-kcl fails it instead).
 * - Only while the daemon's `processRecords`, `shardEnded` or `shutdownRequested` is in progress:
 *   the child answers `status` only after every checkpoint made during the call has its reply, and
 *   a call made after the processor's method returned rejects with `InvalidStateError` (the daemon
 *   would otherwise run it under its next action's checkpointer).
 * - A reply naming a KCL exception rejects with the matching error (see `checkpointErrorFromName`):
 *   `ShutdownException` → `LeaseLostError`, `InvalidStateException` → `InvalidStateError`,
 *   `ThrottlingException` → `ThrottledError`, `IllegalArgumentException` → `InvalidArgumentError`,
 *   anything else → a retryable `ShardlineError` (`SHARDLINE_CHECKPOINT_FAILED`).
 * - A daemon message other than a checkpoint reply while a reply is awaited rejects with
 *   `InvalidStateError` (as amazon_kclpy does); stdin ending rejects with `ShutdownError`.
 * - `prepareCheckpoint` always rejects with `InvalidStateError`: MultiLang has no two-phase checkpoint.
 * @public
 */
export class MultiLangCheckpointer implements ShardCheckpointer {
  private last: ExtendedSequenceNumber | undefined;
  private largestDelivered: ExtendedSequenceNumber | undefined;
  private scope: CheckpointScope | undefined;
  /** A checkpoint is on the wire, or between turns. */
  private busy = false;
  private readonly turns: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];
  private pending: PendingCheckpoint | undefined;
  private closedWith: ShardlineError | undefined;

  /**
   * @param send - writes one protocol line to the daemon (without its line break).
   * @param leaseKey - the shard the child works on, for error messages and `LeaseLostError.leaseKey`.
   * @internal
   */
  constructor(
    private readonly send: (line: string) => void,
    private leaseKey = '',
  ) {}

  /**
   * The last checkpoint known to be committed: the lease's checkpoint from `initialize` (undefined
   * when the daemon sent nulls), then each position the daemon confirmed. For `checkpoint()` with
   * no position it is the last record delivered (`SHARD_END` during `shardEnded`).
   */
  get lastCheckpoint(): ExtendedSequenceNumber | undefined {
    return this.last;
  }

  /** Sends a checkpoint and waits for the daemon's reply. */
  async checkpoint(position?: CheckpointPosition, subSequenceNumber?: number): Promise<void> {
    if (this.closedWith) throw this.closedWith;
    if (!this.scope)
      throw new InvalidStateError(`checkpoint: no processRecords, shardEnded or shutdownRequested call is in progress on ${this.leaseKey || 'this shard'}; MultiLang checkpoints only inside one`);
    const target = position === undefined ? undefined : toPosition(position, subSequenceNumber);
    const committed = target ?? (this.scope === 'shardEnded' ? ExtendedSequenceNumber.SHARD_END : this.largestDelivered);
    // Sent at once when the wire is idle; otherwise after the calls before it, in call order.
    if (this.busy) await new Promise<void>((resolve) => this.turns.push(resolve));
    else this.busy = true;
    try {
      await this.exchange(target, committed);
    } finally {
      this.nextTurn();
    }
  }

  /** Always rejects with `InvalidStateError`: the MultiLang protocol has no `prepareCheckpoint`. */
  async prepareCheckpoint(): Promise<PreparedCheckpointer> {
    throw new InvalidStateError('prepareCheckpoint: the MultiLang protocol has no two-phase checkpoints; use checkpoint()');
  }

  /** @internal `initialize`: the lease's checkpoint, also the bound of `checkpoint()` until records arrive. */
  initialized(leaseKey: string, checkpoint: ExtendedSequenceNumber | undefined): void {
    this.leaseKey = leaseKey;
    this.last = checkpoint;
    this.largestDelivered = checkpoint;
  }

  /** @internal A batch is about to be handed over; `position` is its largest record. */
  delivered(position: ExtendedSequenceNumber): void {
    if (!this.largestDelivered || position.compareTo(this.largestDelivered) > 0) this.largestDelivered = position;
  }

  /** @internal The processor call that may checkpoint starts. */
  open(scope: CheckpointScope): void {
    this.scope = scope;
  }

  /** @internal The call returned: later calls are refused; resolves once every accepted one has its reply. */
  settle(): Promise<void> {
    this.scope = undefined;
    return this.busy ? new Promise<void>((resolve) => this.idle.push(resolve)) : Promise.resolve();
  }

  /** @internal A checkpoint reply from the daemon; false when none was awaited. */
  receive(reply: CheckpointReply): boolean {
    const pending = this.pending;
    if (!pending) return false;
    this.pending = undefined;
    if (reply.error === null) {
      if (pending.committed) this.last = pending.committed;
      pending.resolve();
    } else {
      pending.reject(checkpointErrorFromName(reply.error, this.describe(pending.target), this.leaseKey || undefined));
    }
    return true;
  }

  /** @internal The daemon sent another message while a reply was awaited. */
  interrupt(action: string): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    pending.reject(new InvalidStateError(`checkpoint ${this.describe(pending.target)}: the daemon sent "${action}" instead of a checkpoint reply`));
  }

  /** @internal The daemon is gone (stdin ended) or the child is stopping: every call now rejects with `error`. */
  close(error: ShardlineError): void {
    this.closedWith ??= error;
    this.interruptWith(this.closedWith);
  }

  private interruptWith(error: ShardlineError): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  private nextTurn(): void {
    const next = this.turns.shift();
    if (next) return next();
    this.busy = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private exchange(target: ExtendedSequenceNumber | undefined, committed: ExtendedSequenceNumber | undefined): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise<void>((resolve, reject) => {
      this.pending = { target, committed, resolve, reject };
      try {
        this.send(encodeCheckpointRequest(target ? target.sequenceNumber : null, target ? target.subSequenceNumber : null));
      } catch (error) {
        this.pending = undefined;
        reject(error);
      }
    });
  }

  private describe(target: ExtendedSequenceNumber | undefined): string {
    const shard = this.leaseKey ? ` on ${this.leaseKey}` : '';
    return target ? `at ${target.toString()}${shard}` : `at the last record delivered${shard}`;
  }
}
