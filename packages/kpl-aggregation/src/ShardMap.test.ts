import fc from 'fast-check';
import { evenHashKeyRanges, MAX_HASH_KEY, partitionKeyToHashKey, rangeContains, type ShardInfo } from '@shardline/core';
import { userRecordArb } from '../test/arbitraries';
import { deaggregate } from './deaggregate';
import { ShardAggregator } from './ShardAggregator';
import { ShardMap } from './ShardMap';

function shards(n: number, closeIndex = -1): ShardInfo[] {
  return evenHashKeyRanges(n).map((range, i) => ({ shardId: `shardId-${String(i).padStart(12, '0')}`, range, open: i !== closeIndex }));
}

describe('ShardMap', () => {
  it('predicts the shard a linear bigint scan finds (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.string({ minLength: 1, maxLength: 256 }), fc.option(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }).map(String), { nil: undefined }), (n, pk, ehk) => {
        const map = new ShardMap(shards(n).reverse());
        const h = ehk !== undefined ? BigInt(ehk) : partitionKeyToHashKey(pk);
        const expected = map.shards.find((s) => rangeContains(s.range, h));
        expect(map.shardForRecord(pk, ehk)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves closed shards out of prediction and reports holes as -1', () => {
    const map = new ShardMap(shards(4, 1));
    expect(map.size).toBe(3);
    const inHole = shards(4)[1]!.range.startingHashKey;
    expect(map.indexForHashKey(inHole)).toBe(-1);
    expect(map.shardContains('shardId-000000000001', inHole)).toBe(true);
    let pk = 0;
    while (!rangeContains(shards(4)[1]!.range, partitionKeyToHashKey(String(pk)))) pk++;
    expect(map.indexForPartitionKey(String(pk))).toBe(-1);
  });

  it('accepts SDK Shard objects, skipping those with an EndingSequenceNumber', () => {
    const map = new ShardMap([
      { ShardId: 's0', HashKeyRange: { StartingHashKey: '0', EndingHashKey: '100' }, SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '2' } },
      { ShardId: 's1', HashKeyRange: { StartingHashKey: '0', EndingHashKey: String(MAX_HASH_KEY) }, SequenceNumberRange: { StartingSequenceNumber: '3' }, ParentShardId: 's0' },
    ]);
    expect(map.shards.map((s) => s.shardId)).toEqual(['s1']);
    expect(map.shards[0]!.parentShardId).toBe('s0');
  });
});

describe('ShardAggregator', () => {
  it('never mixes shards in one aggregate, and routes each aggregate to its shard (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(userRecordArb, { minLength: 1, maxLength: 300 }), (n, records) => {
        const map = new ShardMap(shards(n));
        const agg = new ShardAggregator(map, { maxAggregateBytes: 4096 });
        const out = records.map((r) => agg.add(r)).filter((k) => k !== undefined);
        out.push(...agg.flushAll());
        expect(out.reduce((s, k) => s + k.userRecords.length, 0)).toBe(records.length);
        expect(agg.count).toBe(0);
        for (const k of out) {
          const target = map.shardForRecord(k.partitionKey, k.explicitHashKey)!;
          expect(k.predictedShardId).toBe(target.shardId);
          // A raw record's EHK is not visible to consumers (GetRecords does not return it): check what was put.
          const inside = k.aggregated ? deaggregate({ Data: k.data, PartitionKey: k.partitionKey, SequenceNumber: '1' }) : k.userRecords;
          for (const u of inside) expect(map.shardForRecord(u.partitionKey, u.explicitHashKey)).toBe(target);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('flushes held aggregates when the map changes', () => {
    const agg = new ShardAggregator(new ShardMap(shards(2)));
    agg.add({ partitionKey: 'a', data: Buffer.from('1') });
    agg.add({ partitionKey: 'b', data: Buffer.from('2') });
    const flushed = agg.setShardMap(new ShardMap(shards(4)));
    expect(flushed.reduce((s, k) => s + k.userRecords.length, 0)).toBe(2);
    expect(agg.shardMap.size).toBe(4);
  });
});
