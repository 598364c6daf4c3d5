import * as crypto from 'node:crypto';
import fc from 'fast-check';
import * as vm from 'node:vm';
import { evenHashKeyRanges, InvalidArgumentError, InvalidExplicitHashKeyError, InvalidPartitionKeyError, partitionKeyToHashKey, RecordTooLargeError } from '@shardline/core';
import { createAggregatedRecordSchema } from '../test/kplSchema';
import { KPL_MAGIC } from './AggregatedRecordFormat';
import { aggregateRecords, Aggregator } from './Aggregator';
import { deaggregate } from './deaggregate';
import { ShardAggregator } from './ShardAggregator';
import { ShardMap } from './ShardMap';
import type { UserRecord } from './UserRecord';
import { userRecordArb } from '../test/arbitraries';

const schema = createAggregatedRecordSchema();

/** What protobufjs (the reference encoder) produces for the same records and tables. */
function referenceEncoding(records: readonly UserRecord[]): Buffer {
  const pks = [...new Set(records.map((r) => r.partitionKey))];
  const ehks = [...new Set(records.filter((r) => r.explicitHashKey !== undefined).map((r) => r.explicitHashKey!))];
  const message = schema.AggregatedRecord.fromObject({
    partition_key_table: pks,
    explicit_hash_key_table: ehks,
    records: records.map((r) => ({
      partition_key_index: pks.indexOf(r.partitionKey),
      ...(r.explicitHashKey !== undefined ? { explicit_hash_key_index: ehks.indexOf(r.explicitHashKey) } : {}),
      data: r.data,
    })),
  });
  const proto = Buffer.from(schema.AggregatedRecord.encode(message).finish());
  return Buffer.concat([KPL_MAGIC, proto, crypto.createHash('md5').update(proto).digest()]);
}

describe('Aggregator', () => {
  it('produces byte for byte the 65-byte aggregate aws-kinesis-agg writes for the same records', () => {
    const agg = new Aggregator();
    agg.add({ partitionKey: 'pk1', data: Buffer.from('hello') });
    agg.add({ partitionKey: 'pk2', data: Buffer.from('world') });
    agg.add({ partitionKey: 'pk1', explicitHashKey: '42', data: Buffer.from('!') });
    const out = agg.flush()!;
    expect(out.data.toString('hex')).toBe(
      'f3899ac2' + '0a03706b31' + '0a03706b32' + '12023432' + '1a0908001a0568656c6c6f' + '1a0908011a05776f726c64' + '1a07080010001a0121' + '94c0712d8930bbb3fc37c453ead58b47',
    );
    expect(out.data.length).toBe(65);
    // KPL outer keys: "a" and the first record's hash key, so the aggregate lands on its shard.
    expect(out.partitionKey).toBe('a');
    expect(out.explicitHashKey).toBe(partitionKeyToHashKey('pk1').toString());
    expect(out.sizeBytes).toBe(66);
    expect(out.aggregated).toBe(true);
  });

  it('is byte-for-byte what protobufjs encodes (property)', () => {
    fc.assert(
      fc.property(fc.array(userRecordArb, { minLength: 2, maxLength: 40 }), (records) => {
        const agg = new Aggregator({ maxAggregateBytes: 1024 * 1024 });
        for (const r of records) expect(agg.add(r)).toBeUndefined();
        const expected = referenceEncoding(records);
        expect(agg.sizeBytes).toBe(expected.length + 1);
        expect(agg.flush()!.data.equals(expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('never emits a record over its limits, and sizes are exact (property)', () => {
    fc.assert(
      fc.property(fc.array(userRecordArb, { minLength: 1, maxLength: 200 }), fc.integer({ min: 64, max: 8000 }), fc.integer({ min: 1, max: 50 }), (records, maxAggregateBytes, maxAggregateRecords) => {
        const out = aggregateRecords(records, { maxAggregateBytes, maxAggregateRecords });
        expect(out.flatMap((k) => k.userRecords)).toEqual(records);
        for (const k of out) {
          expect(k.sizeBytes).toBe(k.data.length + Buffer.byteLength(k.partitionKey));
          if (k.aggregated) {
            expect(k.userRecords.length).toBeGreaterThan(1);
            expect(k.userRecords.length).toBeLessThanOrEqual(maxAggregateRecords);
            expect(k.sizeBytes).toBeLessThanOrEqual(maxAggregateBytes);
          } else {
            expect(k.userRecords).toHaveLength(1);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('sends a single record raw with its own keys, and an oversized one alone', () => {
    const [only] = aggregateRecords([{ partitionKey: 'k', explicitHashKey: '7', data: Buffer.from('x') }]);
    expect(only).toMatchObject({ partitionKey: 'k', explicitHashKey: '7', aggregated: false, sizeBytes: 2 });
    const big = { partitionKey: 'big', data: Buffer.alloc(60_000) };
    const out = aggregateRecords([{ partitionKey: 'a1', data: Buffer.from('1') }, big, { partitionKey: 'a2', data: Buffer.from('2') }]);
    expect(out.map((k) => k.aggregated)).toEqual([false, false, false]);
    expect(out[1]!.data).toBe(big.data);
  });

  it('counts partition keys in UTF-8 bytes (250 × "é" is 500 bytes)', () => {
    const records = Array.from({ length: 3000 }, (_, i) => ({ partitionKey: 'é'.repeat(245) + String(i).padStart(5, '0'), data: Buffer.alloc(10) }));
    const out = aggregateRecords(records, { maxAggregateBytes: 1024 * 1024 });
    for (const k of out) expect(k.data.length + 1).toBeLessThanOrEqual(1024 * 1024);
    expect(out.length).toBeGreaterThan(1);
  });

  it('rejects bad input with typed errors and keeps its state', () => {
    const agg = new Aggregator();
    agg.add({ partitionKey: 'ok', data: Buffer.from('1') });
    expect(() => agg.add({ partitionKey: 'k'.repeat(257), data: Buffer.alloc(1) })).toThrow(InvalidPartitionKeyError);
    expect(() => agg.add({ partitionKey: 'k', explicitHashKey: '340282366920938463463374607431768211456', data: Buffer.alloc(1) })).toThrow(InvalidExplicitHashKeyError);
    expect(() => agg.add({ partitionKey: 'k', data: Buffer.alloc(2 * 1024 * 1024) })).toThrow(new RecordTooLargeError(2 * 1024 * 1024 + 1, 1024 * 1024));
    expect(agg.count).toBe(1);
  });

  describe('record data', () => {
    const utf8 = (r: UserRecord): UserRecord => ({ ...r, data: typeof r.data === 'string' ? Buffer.from(r.data, 'utf8') : r.data });

    it('takes a string as its UTF-8 bytes, as the producer does: same bytes, sizes and limits as the Buffer (property)', () => {
      const stringRecordArb = fc.record({ partitionKey: fc.string({ minLength: 1, maxLength: 40 }), data: fc.string({ unit: 'binary', maxLength: 300 }) });
      fc.assert(
        fc.property(fc.array(fc.oneof(stringRecordArb, userRecordArb), { minLength: 1, maxLength: 40 }), fc.integer({ min: 64, max: 4000 }), (records, maxAggregateBytes) => {
          const ours = aggregateRecords(records, { maxAggregateBytes });
          const asBytes = aggregateRecords(records.map(utf8), { maxAggregateBytes });
          expect(ours.map((k) => [k.data.toString('hex'), k.sizeBytes, k.aggregated, k.userRecords.length])).toEqual(
            asBytes.map((k) => [k.data.toString('hex'), k.sizeBytes, k.aggregated, k.userRecords.length]),
          );
          expect(ours.flatMap((k) => k.userRecords)).toEqual(records);
          const back = ours.flatMap((k) => deaggregate({ Data: k.data, PartitionKey: k.partitionKey, SequenceNumber: '1' }));
          expect(back.map((u) => u.data.toString('hex'))).toEqual(records.map((r) => Buffer.from(r.data as string | Uint8Array).toString('hex')));
        }),
        { numRuns: 200 },
      );
      const [raw] = aggregateRecords([{ partitionKey: 'k', data: 'héllo' }]);
      expect(raw).toMatchObject({ aggregated: false, sizeBytes: 7 });
      expect(Buffer.isBuffer(raw!.data) && raw!.data.toString('utf8')).toBe('héllo');
      expect(() => aggregateRecords([{ partitionKey: 'k', data: 'é'.repeat(524_288) }])).toThrow(new RecordTooLargeError(1024 * 1024 + 1, 1024 * 1024));
    });

    it('takes a Uint8Array of another realm', () => {
      const foreign = vm.runInNewContext('new Uint8Array([1, 2, 3])') as Uint8Array;
      expect(foreign instanceof Uint8Array).toBe(false);
      const out = aggregateRecords([
        { partitionKey: 'a', data: foreign },
        { partitionKey: 'b', data: foreign },
      ]);
      expect(deaggregate({ Data: out[0]!.data, SequenceNumber: '1' }).map((u) => [...u.data])).toEqual([
        [1, 2, 3],
        [1, 2, 3],
      ]);
      expect([...aggregateRecords([{ partitionKey: 'a', data: foreign }])[0]!.data]).toEqual([1, 2, 3]);
    });

    const notBytes: [unknown, string][] = [
      [new ArrayBuffer(4), 'ArrayBuffer'],
      [new SharedArrayBuffer(4), 'SharedArrayBuffer'],
      [new DataView(new ArrayBuffer(4)), 'DataView'],
      [new Uint16Array([0x102, 0x304]), 'Uint16Array'],
      [new Int8Array([-1]), 'Int8Array'],
      [new Uint8ClampedArray([1]), 'Uint8ClampedArray'],
      [new Float64Array([1.5]), 'Float64Array'],
      [[1, 2, 3], 'Array'],
      [{ length: 3 }, 'Object'],
      [Object.create(null), 'object'],
      [42, 'number'],
      [true, 'boolean'],
      [Symbol('x'), 'symbol'],
      [null, 'null'],
      [undefined, 'undefined'],
    ];

    it.each(notBytes)('rejects %p data with InvalidArgumentError naming the field, before any state changes', (data, got) => {
      const good: UserRecord[] = [
        { partitionKey: 'one', data: Buffer.from('first') },
        { partitionKey: 'two', data: 'second' },
      ];
      const agg = new Aggregator();
      agg.add(good[0]!);
      agg.add(good[1]!);
      const size = agg.sizeBytes;
      const bad = { partitionKey: 'three', data } as unknown as UserRecord;
      for (let i = 0; i < 2; i++) {
        const error = (() => {
          try {
            agg.add(bad);
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toBe(`aggregator: record.data must be a Uint8Array, a Buffer or a string (got ${got})`);
      }
      expect([agg.count, agg.sizeBytes]).toEqual([2, size]);
      // The records held before are emitted whole, and the aggregator keeps working.
      const out = agg.flush()!;
      expect(out.data.equals(referenceEncoding(good.map(utf8)))).toBe(true);
      agg.add({ partitionKey: 'four', data: Buffer.from('4') });
      expect(agg.flush()!.data.toString()).toBe('4');
      // The same for a record alone, through aggregateRecords and the ShardAggregator.
      expect(() => aggregateRecords([bad])).toThrow(InvalidArgumentError);
      const sharded = new ShardAggregator(new ShardMap(evenHashKeyRanges(4).map((range, i) => ({ shardId: `s${i}`, range, open: true }))));
      sharded.add(good[0]!);
      expect(() => sharded.add(bad)).toThrow(InvalidArgumentError);
      expect(sharded.count).toBe(1);
      expect(sharded.flushAll().map((k) => k.data.toString())).toEqual(['first']);
    });

    it('rejects a record that is not an object', () => {
      const agg = new Aggregator();
      for (const record of [null, undefined, 'data', 7]) {
        expect(() => agg.add(record as unknown as UserRecord)).toThrow(
          new InvalidArgumentError(`aggregator: record must be an object with partitionKey and data (got ${record === null ? 'null' : typeof record})`),
        );
      }
      const sharded = new ShardAggregator(new ShardMap(evenHashKeyRanges(1).map((range) => ({ shardId: 's', range, open: true }))));
      expect(() => sharded.add(null as unknown as UserRecord)).toThrow(InvalidArgumentError);
      expect(agg.count).toBe(0);
    });
  });

  it('accepts up to 10 MiB records when the stream allows them', () => {
    const out = aggregateRecords([{ partitionKey: 'k', data: Buffer.alloc(5 * 1024 * 1024) }], { maxRecordBytes: 10 * 1024 * 1024 });
    expect(out[0]!.sizeBytes).toBe(5 * 1024 * 1024 + 1);
    expect(() => new Aggregator({ maxRecordBytes: 11 * 1024 * 1024 })).toThrow('aggregator.maxRecordBytes must be an integer between 1024 and 10485760 (got 11534336)');
    expect(() => new Aggregator({ maxAggregateBytes: 2 * 1024 * 1024 })).toThrow(/aggregator.maxAggregateBytes must be an integer between 64 and 1048576/);
    expect(() => new Aggregator({ aggregationMaxSize: 10 } as never)).toThrow('aggregator.aggregationMaxSize is not an option; did you mean aggregator.maxAggregateBytes?');
  });
});
