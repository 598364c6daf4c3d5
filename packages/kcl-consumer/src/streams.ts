import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber, InvalidArgumentError, ResourceNotFoundError } from '@shardline/core';
import type { StartingPosition } from '@shardline/kinesis-poller';

/**
 * Where a new application starts reading a stream (the KCL's `initialPositionInStream`): at the
 * tip, at the oldest record kept, or at the first record at or after a time.
 * @public
 */
export type InitialPosition = 'LATEST' | 'TRIM_HORIZON' | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date | number };

/** One stream a worker consumes. @public */
export interface StreamConfig {
  readonly streamName: string;
  /** Overrides the worker's `initialPosition` for this stream. */
  readonly initialPosition?: InitialPosition;
}

/** A stream as the worker tracks it. @public */
export interface TrackedStream {
  readonly streamName: string;
  readonly initialPosition: InitialPosition;
  /**
   * Multi-stream mode: `account:stream:creationEpochSeconds` (the KCL's serialized
   * StreamIdentifier), the prefix of every lease key of the stream. `undefined` in single-stream
   * mode, where the lease key is the shard id.
   */
  readonly identifier: string | undefined;
}

/** The lease key of a shard of `stream`. @public */
export function leaseKeyOf(stream: TrackedStream, shardId: string): string {
  return stream.identifier === undefined ? shardId : `${stream.identifier}:${shardId}`;
}

/** The plain shard id inside a lease key (both formats). @public */
export function shardIdOf(leaseKey: string): string {
  return leaseKey.slice(leaseKey.lastIndexOf(':') + 1);
}

/** The checkpoint a new lease gets for an initial position. @internal */
export function initialCheckpoint(position: InitialPosition): ExtendedSequenceNumber {
  if (position === 'LATEST') return ExtendedSequenceNumber.LATEST;
  if (position === 'TRIM_HORIZON') return ExtendedSequenceNumber.TRIM_HORIZON;
  return new ExtendedSequenceNumber('AT_TIMESTAMP');
}

/** The reader's starting position for a lease checkpoint (the AT_TIMESTAMP sentinel takes the stream's timestamp). @internal */
export function readerStart(checkpoint: ExtendedSequenceNumber, stream: TrackedStream): StartingPosition {
  if (checkpoint.sequenceNumber !== 'AT_TIMESTAMP') return checkpoint;
  const position = stream.initialPosition;
  // A lease at AT_TIMESTAMP written by another application's configuration: read it all.
  return typeof position === 'object' ? position : 'TRIM_HORIZON';
}

/** Validates an initial position, naming the field. @internal */
export function resolveInitialPosition(path: string, value: unknown, fallback: InitialPosition): InitialPosition {
  if (value === undefined) return fallback;
  if (value === 'LATEST' || value === 'TRIM_HORIZON') return value;
  if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'AT_TIMESTAMP') {
    const t = (value as { timestamp?: unknown }).timestamp;
    const ms = t instanceof Date ? t.getTime() : t;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return { type: 'AT_TIMESTAMP', timestamp: new Date(ms) };
    throw new InvalidArgumentError(`${path}.timestamp must be a Date or epoch milliseconds (got ${String(t)})`);
  }
  throw new InvalidArgumentError(`${path} must be 'LATEST', 'TRIM_HORIZON' or { type: 'AT_TIMESTAMP', timestamp } (got ${JSON.stringify(value)})`);
}

/** Reads the account and creation time of a stream for its multi-stream identifier. @internal */
export async function describeStreamIdentifier(client: KinesisClient, streamName: string): Promise<string> {
  const out = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
  const summary = out.StreamDescriptionSummary;
  if (!summary) throw new ResourceNotFoundError(`stream ${streamName}: DescribeStreamSummary returned no summary`);
  const account = summary.StreamARN?.split(':')[4] || '000000000000';
  const epochSeconds = Math.floor((summary.StreamCreationTimestamp?.getTime() ?? 0) / 1000);
  return `${account}:${streamName}:${epochSeconds}`;
}
