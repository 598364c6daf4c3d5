import type { ExtendedSequenceNumber } from '@shardline/core';
import type { DeaggregatedRecord } from '@shardline/kpl-aggregation';
import type { CheckpointPosition, PreparedCheckpointer } from './RecordProcessorCheckpointer';

/**
 * One user record as a processor receives it: KPL aggregates are expanded, so `subSequenceNumber`
 * addresses the record inside its aggregate (0 for a plain record). `data` is a Buffer.
 * @public
 */
export type KinesisClientRecord = DeaggregatedRecord;

/**
 * What a processor checkpoints with. In the worker it is a `RecordProcessorCheckpointer`; under
 * the MultiLang protocol (`@shardline/multilang-adapter`) it sends the checkpoint to the daemon.
 * A processor typed against this interface runs unchanged in both.
 * @public
 */
export interface ShardCheckpointer {
  /**
   * Commits a checkpoint: with no argument at the last record delivered (`SHARD_END` during
   * `shardEnded`); else at `position` (with `subSequenceNumber` when `position` is a string).
   */
  checkpoint(position?: CheckpointPosition, subSequenceNumber?: number): Promise<void>;
  /** Writes a pending checkpoint with optional application state (two-phase). */
  prepareCheckpoint(position?: CheckpointPosition, state?: Uint8Array): Promise<PreparedCheckpointer>;
  /** The last committed checkpoint, when known. */
  readonly lastCheckpoint: ExtendedSequenceNumber | undefined;
}

/** Which shard a processor works on. @public */
export interface ShardContext {
  /** The plain shard id, e.g. `shardId-000000000001`. */
  readonly shardId: string;
  /** The stream's name. */
  readonly streamName: string;
  /** The lease key: the shard id, or `account:stream:creationEpoch:shardId` in multi-stream mode. */
  readonly leaseKey: string;
}

/** Input of {@link RecordProcessor.initialize}. @public */
export interface InitializationInput extends ShardContext {
  /** Where processing resumes: the lease's checkpoint (a sentinel such as `TRIM_HORIZON` for a new lease). */
  readonly checkpoint: ExtendedSequenceNumber;
  /** A prepared, uncommitted checkpoint a previous holder left (two-phase checkpoints). */
  readonly pendingCheckpoint: ExtendedSequenceNumber | undefined;
  /** Application state stored with {@link pendingCheckpoint}. */
  readonly pendingCheckpointState: Uint8Array | undefined;
  /**
   * Aborted when the worker gives up on this call (`processingTimeoutMs`, or `stop()` past
   * `shutdownTimeoutMs`) or when the lease is lost. Always set by the worker; optional so that
   * other callers of a processor (the MultiLang child side) need not make one.
   */
  readonly signal?: AbortSignal;
}

/** Input of {@link RecordProcessor.processRecords}. @public */
export interface ProcessRecordsInput {
  /** User records in sequence order; never empty unless `processEmptyBatches` is set. */
  readonly records: readonly KinesisClientRecord[];
  /** How far this batch is behind the tip of the shard, in milliseconds, as Kinesis reported it. */
  readonly millisBehindLatest: number | undefined;
  /** Records progress; positions up to the last record of this batch are allowed. */
  readonly checkpointer: ShardCheckpointer;
  /** True for the shard's last batch: `shardEnded` follows. */
  readonly isAtShardEnd: boolean;
  /**
   * Aborted when the lease is lost (another worker has the shard: stop early if you can, your
   * checkpoints will fail) or when the worker gives up on this call (`processingTimeoutMs`, or
   * `stop()` past `shutdownTimeoutMs`). Not aborted by a graceful stop: the batch finishes first.
   * Its `reason` says which: a `LeaseLostError`, a `TimeoutError` or a `ShutdownError`.
   */
  readonly signal: AbortSignal;
}

/** Input of {@link RecordProcessor.shardEnded}. @public */
export interface ShardEndedInput {
  /** Must be used to checkpoint `SHARD_END` (`checkpoint()` with no argument does it). */
  readonly checkpointer: ShardCheckpointer;
  /**
   * Aborted when the worker gives up on this call (`processingTimeoutMs`, or `stop()` past
   * `shutdownTimeoutMs`) or when the lease is lost. Always set by the worker; optional so that
   * other callers of a processor (the MultiLang child side) need not make one.
   */
  readonly signal?: AbortSignal;
}

/** Input of {@link RecordProcessor.shutdownRequested}. @public */
export interface ShutdownRequestedInput {
  /** The lease is still held: checkpoint what was processed. */
  readonly checkpointer: ShardCheckpointer;
  /**
   * Aborted when the worker gives up on this call (`processingTimeoutMs`, or `stop()` past
   * `shutdownTimeoutMs`) or when the lease is lost. Always set by the worker; optional so that
   * other callers of a processor (the MultiLang child side) need not make one.
   */
  readonly signal?: AbortSignal;
}

/** Input of {@link RecordProcessor.leaseLost}. @public */
export interface LeaseLostInput {
  /**
   * Aborted when the worker gives up on this call (`processingTimeoutMs`, or `stop()` past
   * `shutdownTimeoutMs`) or when the lease is lost. Always set by the worker; optional so that
   * other callers of a processor (the MultiLang child side) need not make one.
   */
  readonly signal?: AbortSignal;
}

/**
 * The KCL record-processor lifecycle, async. One instance per shard lease; calls are serial.
 *
 * - `initialize` once, before any records;
 * - `processRecords` for each batch; throwing retries the same batch with backoff;
 * - then one of: `shardEnded` (the shard is closed and fully read: checkpoint `SHARD_END`, or
 *   the shard is retried and its children never start); `shutdownRequested` (the worker is
 *   stopping; the lease is still held, checkpoint now), followed by `leaseLost` as the KCL does;
 *   or `leaseLost` alone (another worker has the shard; checkpointing is no longer possible).
 * - `leaseLost` also follows a call that kept failing (the lease was released for a retry
 *   elsewhere); a call that hung past `processingTimeoutMs` gets nothing more.
 * @public
 */
export interface RecordProcessor {
  initialize?(input: InitializationInput): void | Promise<void>;
  processRecords(input: ProcessRecordsInput): void | Promise<void>;
  leaseLost?(input?: LeaseLostInput): void | Promise<void>;
  shardEnded?(input: ShardEndedInput): void | Promise<void>;
  shutdownRequested?(input: ShutdownRequestedInput): void | Promise<void>;
}

/** Creates the processor of one shard lease (the KCL's `ShardRecordProcessorFactory`). @public */
export type RecordProcessorFactory = (shard: ShardContext) => RecordProcessor;

/** What the simple handler gets besides the records. @public */
export interface RecordHandlerContext extends ShardContext {
  readonly millisBehindLatest: number | undefined;
  readonly isAtShardEnd: boolean;
  /** For checkpoints of your own (with `autoCheckpoint: false`). */
  readonly checkpointer: ShardCheckpointer;
  readonly signal: AbortSignal;
}

/**
 * The simple shape: one function per batch. With `autoCheckpoint` (the default for this shape),
 * the worker checkpoints the batch once the returned promise resolves, and `SHARD_END` at the end
 * of a shard.
 * @public
 */
export type RecordHandler = (records: readonly KinesisClientRecord[], context: RecordHandlerContext) => void | Promise<void>;
