import type { GetShardIteratorCommandInput } from '@aws-sdk/client-kinesis';
import { compareSequenceNumbers, ExtendedSequenceNumber, InvalidArgumentError, integerOption } from '@shardline/core';

/** The GetShardIterator iterator types. @public */
export type IteratorType = 'LATEST' | 'TRIM_HORIZON' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'AT_TIMESTAMP';

/**
 * Where to start reading a shard that has no stored position.
 *
 * - `'LATEST'` / `'TRIM_HORIZON'` (or `{ type }`): the tip, or the oldest record kept.
 * - `{ type: 'AT_TIMESTAMP', timestamp }`: the first record that arrived at or after `timestamp`.
 * - `{ type: 'AT_SEQUENCE_NUMBER', sequenceNumber, subSequenceNumber? }`: that record (that user
 *   record inside an aggregate) and everything after it.
 * - `{ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber, subSequenceNumber? }`: everything after that
 *   record; with `subSequenceNumber`, everything after that user record of the aggregate.
 * - an {@link ExtendedSequenceNumber}: resume after that position (what a position store holds);
 *   the sentinels `TRIM_HORIZON`, `LATEST` and `SHARD_END` mean what they say.
 *
 * Sequence numbers belong to one shard, so the sequence-number forms make sense only for a poller
 * of one shard, or returned per shard from a function (see `PollerOptions.startingPosition`).
 * @public
 */
export type StartingPosition =
  | 'LATEST'
  | 'TRIM_HORIZON'
  | { readonly type: 'LATEST' }
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date | number }
  | { readonly type: 'AT_SEQUENCE_NUMBER'; readonly sequenceNumber: string; readonly subSequenceNumber?: number }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string; readonly subSequenceNumber?: number }
  | ExtendedSequenceNumber;

/**
 * A validated starting position: the GetShardIterator request to make, and the lowest position
 * to deliver from the records it returns (`floor`), used to resume inside an aggregated record.
 * `type: 'SHARD_END'` means the shard is already finished and must not be read.
 * @public
 */
export type ResolvedStartingPosition =
  | { readonly type: 'LATEST' | 'TRIM_HORIZON' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date }
  | {
      readonly type: 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER';
      readonly sequenceNumber: string;
      /** Deliver only user records after (`exclusive`) or at and after this position. */
      readonly floor?: { readonly position: ExtendedSequenceNumber; readonly exclusive: boolean };
    }
  | { readonly type: 'SHARD_END' };

const DIGITS = /^\d{1,128}$/;

function sequenceNumberOption(path: string, value: unknown): string {
  if (typeof value !== 'string' || !DIGITS.test(value)) {
    throw new InvalidArgumentError(`${path} must be a decimal sequence number (got ${JSON.stringify(value)})`);
  }
  return value;
}

/**
 * Validates a {@link StartingPosition}, naming the field (`path`) in errors. Resuming inside an
 * aggregate becomes AT_SEQUENCE_NUMBER plus a floor, because AFTER_SEQUENCE_NUMBER would skip the
 * rest of the aggregate.
 * @public
 */
export function resolveStartingPosition(input: StartingPosition, path = 'startingPosition'): ResolvedStartingPosition {
  if (input instanceof ExtendedSequenceNumber) {
    switch (input.sequenceNumber) {
      case 'TRIM_HORIZON':
      case 'LATEST':
      case 'SHARD_END':
        return { type: input.sequenceNumber };
      case 'AT_TIMESTAMP':
        throw new InvalidArgumentError(`${path} cannot be the AT_TIMESTAMP sentinel; use { type: 'AT_TIMESTAMP', timestamp }`);
      default:
        return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: input.sequenceNumber, floor: { position: input, exclusive: true } };
    }
  }
  if (input === 'LATEST' || input === 'TRIM_HORIZON') return { type: input };
  if (input === null || typeof input !== 'object' || typeof (input as { type?: unknown }).type !== 'string') {
    throw new InvalidArgumentError(`${path} must be 'LATEST', 'TRIM_HORIZON', an ExtendedSequenceNumber or { type: <iterator type>, ... } (got ${JSON.stringify(input)})`);
  }
  switch (input.type) {
    case 'LATEST':
    case 'TRIM_HORIZON':
      return { type: input.type };
    case 'AT_TIMESTAMP': {
      const t = input.timestamp;
      const ms = t instanceof Date ? t.getTime() : t;
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
        throw new InvalidArgumentError(`${path}.timestamp must be a Date or epoch milliseconds (got ${String(t)})`);
      }
      return { type: 'AT_TIMESTAMP', timestamp: new Date(ms) };
    }
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER': {
      const sequenceNumber = sequenceNumberOption(`${path}.sequenceNumber`, input.sequenceNumber);
      if (input.subSequenceNumber === undefined) {
        return { type: input.type, sequenceNumber };
      }
      const sub = integerOption(`${path}.subSequenceNumber`, input.subSequenceNumber, 0, { min: 0 });
      const exclusive = input.type === 'AFTER_SEQUENCE_NUMBER';
      if (!exclusive && sub === 0) return { type: input.type, sequenceNumber };
      return { type: 'AT_SEQUENCE_NUMBER', sequenceNumber, floor: { position: new ExtendedSequenceNumber(sequenceNumber, sub), exclusive } };
    }
    default:
      throw new InvalidArgumentError(
        `${path}.type must be one of "LATEST", "TRIM_HORIZON", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP" (got ${JSON.stringify((input as { type: unknown }).type)})`,
      );
  }
}

/** The GetShardIterator fields (beyond stream and shard) for a resolved position. @internal */
export function iteratorRequest(position: Exclude<ResolvedStartingPosition, { type: 'SHARD_END' }>): Pick<GetShardIteratorCommandInput, 'ShardIteratorType' | 'StartingSequenceNumber' | 'Timestamp'> {
  switch (position.type) {
    case 'AT_TIMESTAMP':
      return { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: position.timestamp };
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER':
      return { ShardIteratorType: position.type, StartingSequenceNumber: position.sequenceNumber };
    default:
      return { ShardIteratorType: position.type };
  }
}

/**
 * True when the user record `(sequenceNumber, subSequenceNumber)` lies at or beyond `floor`
 * (strictly beyond when exclusive). Compares without allocating. Shared by the polling reader and
 * kcl-consumer's enhanced fan-out (through `@shardline/kinesis-poller/internal`), which resume
 * inside an aggregate identically. Not a supported API, yet not tagged internal: `stripInternal`
 * would drop it from the declarations that kcl-consumer builds against.
 */
export function isPastFloor(sequenceNumber: string, subSequenceNumber: number, floor: { readonly position: ExtendedSequenceNumber; readonly exclusive: boolean }): boolean {
  const c = compareSequenceNumbers(sequenceNumber, floor.position.sequenceNumber);
  if (c !== 0) return c > 0;
  return floor.exclusive ? subSequenceNumber > floor.position.subSequenceNumber : subSequenceNumber >= floor.position.subSequenceNumber;
}
