import { InvalidArgumentError } from './errors';
import { MAX_HASH_KEY } from './hashKey';

/** An inclusive range of 128-bit hash keys, as a shard owns it. @public */
export interface HashKeyRange {
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}

/** Parses the SDK's `{ StartingHashKey, EndingHashKey }` decimal strings. @public */
export function parseHashKeyRange(range: { StartingHashKey?: string; EndingHashKey?: string } | undefined, field = 'HashKeyRange'): HashKeyRange {
  if (!range?.StartingHashKey || !range.EndingHashKey) throw new InvalidArgumentError(`${field} must have StartingHashKey and EndingHashKey`);
  const startingHashKey = BigInt(range.StartingHashKey);
  const endingHashKey = BigInt(range.EndingHashKey);
  if (startingHashKey < 0n || endingHashKey > MAX_HASH_KEY || startingHashKey > endingHashKey) {
    throw new InvalidArgumentError(`${field} is not a valid hash-key range (${range.StartingHashKey}..${range.EndingHashKey})`);
  }
  return { startingHashKey, endingHashKey };
}

/** True when `hashKey` lies in the inclusive range. @public */
export function rangeContains(range: HashKeyRange, hashKey: bigint): boolean {
  return hashKey >= range.startingHashKey && hashKey <= range.endingHashKey;
}

/**
 * Binary search over ranges sorted by `endingHashKey` (as open shards of a stream are): the index of
 * the range that contains `hashKey`, or -1 when no range does (a hole, or a stale map).
 * @public
 */
export function findRangeIndex(sortedRanges: readonly HashKeyRange[], hashKey: bigint): number {
  let lo = 0;
  let hi = sortedRanges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedRanges[mid]!.endingHashKey < hashKey) lo = mid + 1;
    else hi = mid;
  }
  return lo < sortedRanges.length && sortedRanges[lo]!.startingHashKey <= hashKey ? lo : -1;
}

/**
 * Splits the whole hash-key space into `count` contiguous ranges the way Kinesis creates shards.
 * @public
 */
export function evenHashKeyRanges(count: number): HashKeyRange[] {
  if (!Number.isSafeInteger(count) || count < 1) throw new InvalidArgumentError(`count must be a positive integer (got ${count})`);
  const width = (MAX_HASH_KEY + 1n) / BigInt(count);
  const ranges: HashKeyRange[] = [];
  for (let i = 0; i < count; i++) {
    const start = width * BigInt(i);
    ranges.push({ startingHashKey: start, endingHashKey: i === count - 1 ? MAX_HASH_KEY : start + width - 1n });
  }
  return ranges;
}
