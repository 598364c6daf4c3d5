import { InvalidArgumentError } from './errors';

/** Checkpoint sentinels, stored literally in the KCL lease table's `checkpoint` attribute. @public */
export type SentinelCheckpoint = 'TRIM_HORIZON' | 'LATEST' | 'SHARD_END' | 'AT_TIMESTAMP';

/** All sentinel values. @public */
export const SENTINEL_CHECKPOINTS: readonly SentinelCheckpoint[] = ['TRIM_HORIZON', 'LATEST', 'SHARD_END', 'AT_TIMESTAMP'];

// KCL order: AT_TIMESTAMP < TRIM_HORIZON < LATEST < every real sequence number < SHARD_END.
const SENTINEL_RANK: Record<SentinelCheckpoint, number> = { AT_TIMESTAMP: -3, TRIM_HORIZON: -2, LATEST: -1, SHARD_END: 1 };

const DIGITS = /^\d+$/;

/** True for the four sentinel strings. @public */
export function isSentinelCheckpoint(value: unknown): value is SentinelCheckpoint {
  return typeof value === 'string' && value in SENTINEL_RANK;
}

/**
 * Compares two decimal sequence-number strings numerically (they exceed 2^53, so never via Number).
 * Returns a negative number, zero, or a positive number.
 * @public
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

function stripZeros(s: string): string {
  let i = 0;
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++;
  return i === 0 ? s : s.slice(i);
}

/** The brand every ExtendedSequenceNumber carries, in every copy of the package. */
const ESN_BRAND: unique symbol = Symbol.for('shardline.ExtendedSequenceNumber');

/**
 * A position inside a shard: a Kinesis sequence number (or a sentinel) plus the KPL sub-sequence
 * number of a user record inside an aggregated record. Immutable; compare with {@link compareTo}.
 * `instanceof ExtendedSequenceNumber` also holds for one made by another copy of
 * `@shardline/core` in the same application (a `Symbol.for` brand).
 * @public
 */
export class ExtendedSequenceNumber {
  static {
    Object.defineProperty(this.prototype, ESN_BRAND, { value: true, enumerable: false });
  }

  /** True for an ExtendedSequenceNumber of this or any other copy of the package. */
  static [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [ESN_BRAND]?: unknown })[ESN_BRAND] === true;
  }

  static readonly TRIM_HORIZON = new ExtendedSequenceNumber('TRIM_HORIZON');
  static readonly LATEST = new ExtendedSequenceNumber('LATEST');
  static readonly SHARD_END = new ExtendedSequenceNumber('SHARD_END');
  static readonly AT_TIMESTAMP = new ExtendedSequenceNumber('AT_TIMESTAMP');

  /** The sequence number (decimal digits) or a sentinel. */
  readonly sequenceNumber: string;
  /** The sub-sequence number; 0 for a record that was not aggregated and for sentinels. */
  readonly subSequenceNumber: number;

  constructor(sequenceNumber: string, subSequenceNumber = 0) {
    if (typeof sequenceNumber !== 'string' || !(DIGITS.test(sequenceNumber) || isSentinelCheckpoint(sequenceNumber))) {
      throw new InvalidArgumentError(`sequenceNumber must be decimal digits or a sentinel (got ${JSON.stringify(sequenceNumber)})`);
    }
    if (!Number.isSafeInteger(subSequenceNumber) || subSequenceNumber < 0) {
      throw new InvalidArgumentError(`subSequenceNumber must be a non-negative integer (got ${subSequenceNumber})`);
    }
    this.sequenceNumber = sequenceNumber;
    this.subSequenceNumber = subSequenceNumber;
  }

  /** True when this is one of the sentinels. */
  get isSentinel(): boolean {
    return isSentinelCheckpoint(this.sequenceNumber);
  }

  /** Negative, zero or positive as this is before, equal to, or after `other`. */
  compareTo(other: ExtendedSequenceNumber): number {
    const a = this.sequenceNumber;
    const b = other.sequenceNumber;
    const ra = isSentinelCheckpoint(a) ? SENTINEL_RANK[a] : 0;
    const rb = isSentinelCheckpoint(b) ? SENTINEL_RANK[b] : 0;
    if (ra !== rb) return ra - rb;
    if (ra !== 0) return 0;
    const c = compareSequenceNumbers(a, b);
    return c !== 0 ? c : this.subSequenceNumber - other.subSequenceNumber;
  }

  /** True when both name the same position. */
  equals(other: ExtendedSequenceNumber): boolean {
    return this.compareTo(other) === 0;
  }

  /** `sequence` or `sequence:sub`, for logs. */
  toString(): string {
    return this.subSequenceNumber === 0 ? this.sequenceNumber : `${this.sequenceNumber}:${this.subSequenceNumber}`;
  }

  /** The larger of two positions. */
  static max(a: ExtendedSequenceNumber, b: ExtendedSequenceNumber): ExtendedSequenceNumber {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
