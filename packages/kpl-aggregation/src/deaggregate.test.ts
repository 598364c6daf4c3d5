import * as crypto from 'node:crypto';
import fc from 'fast-check';
import { MemoryMetrics, partitionKeyToHashKey } from '@shardline/core';
import { KPL_MAGIC } from './AggregatedRecordFormat';
import { aggregateRecords } from './Aggregator';
import { userRecordArb } from '../test/arbitraries';
import { deaggregate, Deaggregator, deaggregateIterator } from './deaggregate';

const SEQ = '49590338271490256608559692538361571095921575989136588898';

function sdk(data: Buffer, partitionKey = 'a') {
  return { Data: new Uint8Array(data), PartitionKey: partitionKey, SequenceNumber: SEQ, ApproximateArrivalTimestamp: new Date(1_700_000_000_000) };
}

function withValidMd5(proto: Buffer): Buffer {
  return Buffer.concat([KPL_MAGIC, proto, crypto.createHash('md5').update(proto).digest()]);
}

describe('deaggregate', () => {
  it('inverts aggregation: keys, data, sub-sequence numbers (property)', () => {
    fc.assert(
      fc.property(fc.array(userRecordArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 64, max: 20_000 }), (records, maxAggregateBytes) => {
        const out = aggregateRecords(records, { maxAggregateBytes }).flatMap((k) => deaggregate(sdk(k.data, k.partitionKey)).map((u) => ({ u, k })));
        expect(out).toHaveLength(records.length);
        out.forEach(({ u, k }, i) => {
          const r = records[i]!;
          expect(u.partitionKey).toBe(r.partitionKey);
          expect(Buffer.compare(u.data, Buffer.from(r.data))).toBe(0);
          expect(u.aggregated).toBe(k.aggregated);
          if (k.aggregated) {
            expect(u.explicitHashKey).toBe(r.explicitHashKey);
            expect(u.subSequenceNumber).toBe(k.userRecords.indexOf(r));
          } else expect(u.subSequenceNumber).toBe(0);
          expect(u.sequenceNumber).toBe(SEQ);
          expect(u.deaggregationFailure).toBeUndefined();
        });
      }),
      { numRuns: 300 },
    );
  });

  it('returns a damaged aggregate raw and unchanged, as not an aggregate once its MD5 no longer matches (property)', () => {
    const [agg] = aggregateRecords(Array.from({ length: 20 }, (_, i) => ({ partitionKey: `k${i}`, data: Buffer.from(`data-${i}`) })));
    const corrupt: string[] = [];
    const stats = new Deaggregator({ onCorrupt: (r) => corrupt.push(r.deaggregationFailure!) });
    let withMagic = 0;
    fc.assert(
      fc.property(fc.nat(agg!.data.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), (at, xor, truncate) => {
        const bad = Buffer.from(agg!.data);
        bad[at]! ^= xor;
        const input = truncate ? bad.subarray(0, at) : bad;
        const out = stats.deaggregate(sdk(input));
        expect(out).toHaveLength(1);
        expect(out[0]!.data.equals(input)).toBe(true);
        expect(out[0]!.aggregated).toBe(false);
        expect(out[0]!.deaggregationFailure).toBeUndefined();
        // Without the magic it is a plain record; with it, the reason it is not an aggregate is given.
        if (input.length >= 4 && input.subarray(0, 4).equals(Buffer.from(KPL_MAGIC))) {
          withMagic++;
          expect(out[0]!.notAggregate).toBe(input.length < 20 ? 'TOO_SHORT' : 'MD5_MISMATCH');
        } else expect(out[0]!.notAggregate).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
    expect(stats.stats.notAggregate).toBe(withMagic);
    expect(stats.stats.corrupt).toBe(0);
    expect(corrupt).toEqual([]);
    expect(withMagic).toBeGreaterThan(0);
  });

  it('returns a plain record whose data merely starts with the magic as a plain record: not corrupt, no onCorrupt (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (rest, verifyChecksum) => {
        const metrics = new MemoryMetrics();
        const corrupt: unknown[] = [];
        const d = new Deaggregator({ verifyChecksum, metrics, onCorrupt: (r) => corrupt.push(r) });
        const data = Buffer.concat([KPL_MAGIC, rest]);
        const out = d.deaggregate(sdk(data, 'pk'));
        // Without the checksum, random bytes may parse as an aggregate; they are never called corrupt.
        if (out.some((u) => u.aggregated)) return;
        expect(out).toHaveLength(1);
        expect(out[0]).toMatchObject({ aggregated: false, partitionKey: 'pk', subSequenceNumber: 0, notAggregate: rest.length < 16 ? 'TOO_SHORT' : 'MD5_MISMATCH' });
        expect(out[0]!.data.equals(data)).toBe(true);
        expect(out[0]!.deaggregationFailure).toBeUndefined();
        expect(corrupt).toEqual([]);
        expect(d.stats).toMatchObject({ corrupt: 0, notAggregate: 1, userRecords: 1 });
        expect(metrics.total('kpl_corrupt_aggregates_total')).toBe(0);
        expect(metrics.value('kpl_not_aggregate_records_total', { reason: out[0]!.notAggregate! })).toBe(1);
      }),
      { numRuns: 500 },
    );
  });

  it('tells a corrupt aggregate (MD5 matches, content broken) from a plain record, and counts each', () => {
    const metrics = new MemoryMetrics();
    const corrupt: string[] = [];
    const d = new Deaggregator({ metrics, onCorrupt: (r) => corrupt.push(r.deaggregationFailure!) });
    const cases: [Buffer, string | undefined, string | undefined][] = [
      [Buffer.from('plain text'), undefined, undefined],
      [Buffer.from(KPL_MAGIC), undefined, 'TOO_SHORT'],
      [Buffer.concat([KPL_MAGIC, Buffer.from('{"json":1}')]), undefined, 'TOO_SHORT'],
      [Buffer.concat([KPL_MAGIC, Buffer.alloc(20)]), undefined, 'MD5_MISMATCH'],
      [withValidMd5(Buffer.from([0x1a, 0x05, 0x08, 0x00, 0x1a, 0x09, 0x00])), 'PROTOBUF', undefined],
      [withValidMd5(Buffer.from([0x1a, 0x04, 0x08, 0x03, 0x1a, 0x00])), 'PROTOBUF', undefined],
      [withValidMd5(Buffer.alloc(0)), 'EMPTY', undefined],
    ];
    for (const [data, failure, notAggregate] of cases) {
      const [out, ...rest] = d.deaggregate(sdk(data, 'pk'));
      expect(rest).toEqual([]);
      expect([out!.deaggregationFailure, out!.notAggregate]).toEqual([failure, notAggregate]);
      expect(out!.partitionKey).toBe('pk');
      expect(out!.data.equals(data)).toBe(true);
    }
    expect(corrupt).toEqual(['PROTOBUF', 'PROTOBUF', 'EMPTY']);
    expect(d.stats).toMatchObject({ kinesisRecords: 7, corrupt: 3, notAggregate: 3, aggregates: 0, userRecords: 7 });
    expect(metrics.total('kpl_corrupt_aggregates_total')).toBe(3);
    expect(metrics.value('kpl_corrupt_aggregates_total', { reason: 'PROTOBUF' })).toBe(2);
    expect(metrics.total('kpl_not_aggregate_records_total')).toBe(3);
    expect(metrics.value('kpl_not_aggregate_records_total', { reason: 'TOO_SHORT' })).toBe(2);
  });

  it('without checksum verification still tells a broken aggregate from a plain record by its MD5', () => {
    const corrupt: string[] = [];
    const d = new Deaggregator({ verifyChecksum: false, onCorrupt: (r) => corrupt.push(r.deaggregationFailure!) });
    const broken = Buffer.from([0x1a, 0x05, 0x08, 0x00, 0x1a, 0x09, 0x00]);
    expect(d.deaggregate(sdk(withValidMd5(broken)))[0]).toMatchObject({ deaggregationFailure: 'PROTOBUF' });
    expect(d.deaggregate(sdk(Buffer.concat([KPL_MAGIC, broken, Buffer.alloc(16)])))[0]).toMatchObject({ notAggregate: 'MD5_MISMATCH' });
    expect(d.deaggregate(sdk(Buffer.concat([KPL_MAGIC, Buffer.alloc(16)])))[0]).toMatchObject({ notAggregate: 'MD5_MISMATCH' });
    expect(corrupt).toEqual(['PROTOBUF']);
    expect(d.stats).toMatchObject({ corrupt: 1, notAggregate: 2 });
  });

  it('skips the MD5 check when asked', () => {
    const [agg] = aggregateRecords([
      { partitionKey: 'x', data: Buffer.from('1') },
      { partitionKey: 'y', data: Buffer.from('2') },
    ]);
    const bad = Buffer.from(agg!.data);
    bad[bad.length - 1]! ^= 1;
    expect(deaggregate(sdk(bad), { verifyChecksum: false })).toHaveLength(2);
    expect(deaggregate(sdk(bad))).toHaveLength(1);
  });

  it('accepts the Lambda event shape, with or without the envelope', () => {
    const [agg] = aggregateRecords([
      { partitionKey: 'x', data: Buffer.from('1') },
      { partitionKey: 'y', data: Buffer.from('2') },
    ]);
    const kinesis = { data: agg!.data.toString('base64'), partitionKey: 'a', sequenceNumber: SEQ, approximateArrivalTimestamp: 1_700_000_000.5, kinesisSchemaVersion: '1.0' };
    for (const input of [{ kinesis }, kinesis]) {
      const out = deaggregate(input);
      expect(out.map((u) => [u.partitionKey, u.data.toString(), u.subSequenceNumber])).toEqual([
        ['x', '1', 0],
        ['y', '2', 1],
      ]);
      expect(out[0]!.approximateArrivalTimestamp?.getTime()).toBe(1_700_000_000_500);
    }
  });

  it('iterates lazily', () => {
    const [agg] = aggregateRecords(Array.from({ length: 5 }, (_, i) => ({ partitionKey: `k${i}`, data: Buffer.from([i]) })));
    const it = deaggregateIterator(sdk(agg!.data));
    expect(it.next().value.partitionKey).toBe('k0');
    expect([...it].map((u) => u.data[0])).toEqual([1, 2, 3, 4]);
  });

  describe('shard range check', () => {
    const inKey = 'inside';
    const h = partitionKeyToHashKey(inKey);
    const range = { startingHashKey: h, endingHashKey: h };
    const [agg] = aggregateRecords([
      { partitionKey: inKey, data: Buffer.from('1') },
      { partitionKey: 'outside', data: Buffer.from('2') },
    ]);

    it('reports and keeps by default', () => {
      const seen: string[] = [];
      const d = new Deaggregator({ shardRange: range, onOutOfRange: (r, action) => seen.push(`${r.partitionKey}:${action}`) });
      const out = d.deaggregate(sdk(agg!.data));
      expect(out.map((u) => u.outOfShardRange)).toEqual([undefined, true]);
      expect(seen).toEqual(['outside:reported']);
      expect(d.stats.outOfRange).toBe(1);
    });

    it('never range-checks a record returned raw: plain, merely starting with the magic, or corrupt', () => {
      // Kinesis placed a raw record (perhaps by an explicit hash key GetRecords does not return), and
      // the KCL range-checks only the sub-records of an aggregate.
      const outside = partitionKeyToHashKey('outside');
      expect(outside === h).toBe(false);
      for (const outOfRange of ['report', 'drop-aggregate'] as const) {
        const seen: string[] = [];
        const metrics = new MemoryMetrics();
        const d = new Deaggregator({ shardRange: range, outOfRange, metrics, onOutOfRange: (r) => seen.push(r.partitionKey) });
        const inputs = [Buffer.from('plain'), Buffer.concat([KPL_MAGIC, Buffer.from('plain')]), Buffer.concat([KPL_MAGIC, Buffer.alloc(40)]), withValidMd5(Buffer.from([0x1a, 0x00]))];
        for (const data of inputs) {
          const out = d.deaggregate(sdk(data, 'outside'));
          expect(out).toHaveLength(1);
          expect(out[0]!.outOfShardRange).toBeUndefined();
        }
        expect(seen).toEqual([]);
        expect(d.stats.outOfRange).toBe(0);
        expect(metrics.total('kpl_out_of_range_total')).toBe(0);
      }
    });

    it('drops the whole aggregate in KCL mode', () => {
      const d = new Deaggregator({ shardRange: range, outOfRange: 'drop-aggregate' });
      expect(d.deaggregate(sdk(agg!.data))).toEqual([]);
      expect(d.stats.droppedAggregates).toBe(1);
      expect(d.deaggregate(sdk(Buffer.from('raw'), inKey))).toHaveLength(1);
    });
  });

  it('validates its options', () => {
    expect(() => new Deaggregator({ outOfRange: 'drop' as never })).toThrow('deaggregate.outOfRange must be one of "report", "drop-aggregate" (got "drop")');
  });
});
