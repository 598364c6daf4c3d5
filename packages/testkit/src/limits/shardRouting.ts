import { createHash } from 'node:crypto';

// The hash-key math lives in @shardline/core, which depends on this package for its tests: a copy
// of the two formulas here keeps the workspace graph acyclic.

const MAX_HASH_KEY = (1n << 128n) - 1n;
const EXPLICIT_HASH_KEY = /^(0|[1-9]\d{0,38})$/;

/**
 * The 128-bit hash key Kinesis routes a record by: its explicit hash key, else the MD5 of the UTF-8
 * partition key read as a big-endian integer. Undefined when the keys are invalid (the emulator then
 * rejects the call, and the front lets it).
 */
export function hashKeyOf(partitionKey: unknown, explicitHashKey: unknown): bigint | undefined {
  if (typeof partitionKey !== 'string' || partitionKey.length === 0 || partitionKey.length > 256) return undefined;
  if (explicitHashKey !== undefined && explicitHashKey !== null) {
    if (typeof explicitHashKey !== 'string' || !EXPLICIT_HASH_KEY.test(explicitHashKey)) return undefined;
    const value = BigInt(explicitHashKey);
    return value > MAX_HASH_KEY ? undefined : value;
  }
  return BigInt('0x' + createHash('md5').update(partitionKey, 'utf8').digest('hex'));
}

/** Bytes of a record as Kinesis counts them against the shard limits: data (sent base64) + UTF-8 partition key. */
export function recordBytes(base64Data: unknown, partitionKey: unknown): number | undefined {
  if (typeof base64Data !== 'string' || typeof partitionKey !== 'string') return undefined;
  const n = base64Data.length;
  const padding = n > 0 && base64Data[n - 1] === '=' ? (n > 1 && base64Data[n - 2] === '=' ? 2 : 1) : 0;
  return Math.floor((n * 3) / 4) - padding + Buffer.byteLength(partitionKey, 'utf8');
}

/** An open shard and its hash-key range. */
export interface OpenShard {
  readonly shardId: string;
  readonly startingHashKey: bigint;
  readonly endingHashKey: bigint;
}

/** The open shards of a stream, sorted, found by binary search on a hash key. */
export class ShardTable {
  private readonly shards: readonly OpenShard[];

  constructor(shards: readonly OpenShard[]) {
    this.shards = [...shards].sort((a, b) => (a.startingHashKey < b.startingHashKey ? -1 : 1));
  }

  /** The open shard owning `hashKey`, if any. */
  find(hashKey: bigint): OpenShard | undefined {
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.shards[mid]!;
      if (hashKey < s.startingHashKey) hi = mid - 1;
      else if (hashKey > s.endingHashKey) lo = mid + 1;
      else return s;
    }
    return undefined;
  }
}
