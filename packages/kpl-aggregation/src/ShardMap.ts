import { findRangeIndex, type HashKeyRange, parseExplicitHashKey, rangeContains, type SdkShard, type ShardInfo, shardInfoFromSdk } from '@shardline/core/base';
import { hashKeyToWords, Md5Scratch, md5Utf8Words } from './md5';

/**
 * An immutable snapshot of a stream's open shards, sorted by hash-key range, answering "which shard
 * will this record land on" by binary search. Partition keys are hashed with an allocation-free
 * MD5 and compared as 32-bit words, so prediction costs little more than the hash itself.
 * @public
 */
export class ShardMap {
  /** Open shards sorted by ending hash key. */
  readonly shards: readonly ShardInfo[];
  private readonly ranges: HashKeyRange[];
  private readonly startWords: Uint32Array;
  private readonly endWords: Uint32Array;
  private readonly byId: Map<string, ShardInfo>;
  private readonly scratch = new Md5Scratch();
  private readonly hashWords = new Uint32Array(4);
  /**
   * The first 32 bits of the MD5 of the partition key most recently passed to
   * {@link indexForPartitionKey} (or {@link indexForRecord} without an explicit hash key), so that a
   * caller needing a key hash (the aggregator's key table) does not hash again. Undefined after a
   * lookup by explicit hash key.
   */
  lastPartitionKeyHash: number | undefined;

  /**
   * Builds a map from shards: SDK `Shard` objects (e.g. `ListShards` output, any SDK version) or
   * {@link ShardInfo} (e.g. from `listShards` of `@shardline/producer`); closed shards are left out.
   */
  constructor(shards: Iterable<SdkShard | ShardInfo>) {
    const infos = [...shards].map((s) => ('ShardId' in s ? shardInfoFromSdk(s) : (s as ShardInfo)));
    this.byId = new Map(infos.map((s) => [s.shardId, s]));
    this.shards = infos.filter((s) => s.open).sort((a, b) => (a.range.endingHashKey < b.range.endingHashKey ? -1 : 1));
    this.ranges = this.shards.map((s) => s.range);
    this.startWords = new Uint32Array(this.shards.length * 4);
    this.endWords = new Uint32Array(this.shards.length * 4);
    this.shards.forEach((s, i) => {
      hashKeyToWords(s.range.startingHashKey, this.startWords, i * 4);
      hashKeyToWords(s.range.endingHashKey, this.endWords, i * 4);
    });
  }

  /** Number of open shards. */
  get size(): number {
    return this.shards.length;
  }

  /** A shard by id, open or closed (closed ones only if they were given to the constructor). */
  shard(shardId: string): ShardInfo | undefined {
    return this.byId.get(shardId);
  }

  /** Index into {@link shards} of the shard owning the partition key's MD5, or -1 (hole). */
  indexForPartitionKey(partitionKey: string): number {
    const h = this.hashWords;
    md5Utf8Words(partitionKey, h, 0, this.scratch);
    this.lastPartitionKeyHash = h[0]! | 0;
    const ends = this.endWords;
    let lo = 0;
    let hi = this.shards.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = mid * 4;
      // ends[mid] < h ?
      let less = false;
      for (let k = 0; k < 4; k++) {
        const x = ends[m + k]!;
        const y = h[k]!;
        if (x !== y) {
          less = x < y;
          break;
        }
      }
      if (less) lo = mid + 1;
      else hi = mid;
    }
    if (lo >= this.shards.length) return -1;
    const s = this.startWords;
    const m = lo * 4;
    for (let k = 0; k < 4; k++) {
      const x = s[m + k]!;
      const y = h[k]!;
      if (x !== y) return x < y ? lo : -1;
    }
    return lo;
  }

  /** Index into {@link shards} of the shard owning `hashKey`, or -1. */
  indexForHashKey(hashKey: bigint): number {
    this.lastPartitionKeyHash = undefined;
    return findRangeIndex(this.ranges, hashKey);
  }

  /** Index of the shard a record routes to: by explicit hash key if given, else by partition key. */
  indexForRecord(partitionKey: string, explicitHashKey?: string): number {
    return explicitHashKey === undefined ? this.indexForPartitionKey(partitionKey) : this.indexForHashKey(parseExplicitHashKey(explicitHashKey));
  }

  /** The shard a record routes to, or undefined when the map has a hole there. */
  shardForRecord(partitionKey: string, explicitHashKey?: string): ShardInfo | undefined {
    return this.shards[this.indexForRecord(partitionKey, explicitHashKey)];
  }

  /** True when the named shard (open or closed) is known and its range contains `hashKey`. */
  shardContains(shardId: string, hashKey: bigint): boolean {
    const s = this.byId.get(shardId);
    return s !== undefined && rangeContains(s.range, hashKey);
  }
}
