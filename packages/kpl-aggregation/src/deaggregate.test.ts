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

  it('returns a corrupted aggregate raw and flagged, never throwing and never empty (property)', () => {
    const [agg] = aggregateRecords(Array.from({ length: 20 }, (_, i) => ({ partitionKey: `k${i}`, data: Buffer.from(`data-${i}`) })));
    const stats = new Deaggregator();
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
        // Without the magic it is a plain record; with it, every corruption must be flagged.
        if (input.length >= 4 && input.subarray(0, 4).equals(Buffer.from(KPL_MAGIC))) {
          withMagic++;
          expect(out[0]!.deaggregationFailure).toBeDefined();
        } else expect(out[0]!.deaggregationFailure).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
    expect(stats.stats.corrupt).toBe(withMagic);
    expect(withMagic).toBeGreaterThan(0);
  });

  it('flags each kind of failure, and counts it', () => {
    const metrics = new MemoryMetrics();
    const d = new Deaggregator({ metrics });
    const cases: [Buffer, string | undefined][] = [
      [Buffer.from('plain text'), undefined],
      [Buffer.from(KPL_MAGIC), 'TOO_SHORT'],
      [Buffer.concat([KPL_MAGIC, Buffer.alloc(20)]), 'MD5_MISMATCH'],
      [withValidMd5(Buffer.from([0x1a, 0x05, 0x08, 0x00, 0x1a, 0x09, 0x00])), 'PROTOBUF'],
      [withValidMd5(Buffer.from([0x1a, 0x04, 0x08, 0x03, 0x1a, 0x00])), 'PROTOBUF'],
      [withValidMd5(Buffer.alloc(0)), 'EMPTY'],
    ];
    for (const [data, failure] of cases) {
      const [out, ...rest] = d.deaggregate(sdk(data, 'pk'));
      expect(rest).toEqual([]);
      expect(out!.deaggregationFailure).toBe(failure);
      expect(out!.partitionKey).toBe('pk');
    }
    expect(d.stats.corrupt).toBe(5);
    expect(metrics.total('kpl_corrupt_aggregates_total')).toBe(5);
    expect(metrics.value('kpl_corrupt_aggregates_total', { reason: 'PROTOBUF' })).toBe(2);
  });

  it('skips the MD5 check when asked', () => {
    const [agg] = aggregateRecords([{ partitionKey: 'x', data: Buffer.from('1') }, { partitionKey: 'y', data: Buffer.from('2') }]);
    const bad = Buffer.from(agg!.data);
    bad[bad.length - 1]! ^= 1;
    expect(deaggregate(sdk(bad), { verifyChecksum: false })).toHaveLength(2);
    expect(deaggregate(sdk(bad))).toHaveLength(1);
  });

  it('accepts the Lambda event shape, with or without the envelope', () => {
    const [agg] = aggregateRecords([{ partitionKey: 'x', data: Buffer.from('1') }, { partitionKey: 'y', data: Buffer.from('2') }]);
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
