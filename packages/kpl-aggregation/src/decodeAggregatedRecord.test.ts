import * as crypto from 'node:crypto';
import fc from 'fast-check';
import * as protobuf from 'protobufjs';
import { createAggregatedRecordSchema } from '../test/kplSchema';
import { KPL_MAGIC } from './AggregatedRecordFormat';
import { decodeAggregatedRecord } from './decodeAggregatedRecord';
import { deaggregate } from './deaggregate';

// Aggregates here are written with protobufjs (the reference codec; aws-kinesis-agg uses it too),
// field by field, so that tags and fields the KPL schema does not know can sit anywhere: a
// protobuf message is the concatenation of its fields, in any order.

const agg = require('aws-kinesis-agg') as {
  deaggregateSync(record: object, computeChecksums: boolean, cb: (err: Error | null, records?: { partitionKey: string; explicitPartitionKey?: string; data: string }[]) => void): void;
};

const schema = createAggregatedRecordSchema();
const SEQ = '49590338271490256608559692538361571095921575989136588898';

/** A field the KPL schema does not define, of any wire type, as protobufjs writes it. */
type UnknownField =
  | { wire: 0; field: number; value: bigint }
  | { wire: 1; field: number; value: bigint }
  | { wire: 2; field: number; value: Uint8Array }
  | { wire: 5; field: number; value: number }
  | { wire: 3; field: number; value: UnknownField[] };

/** A 64-bit value as protobufjs takes it without long.js: low and high 32-bit words. */
function long(value: bigint): number {
  return { low: Number(value & 0xffffffffn) | 0, high: Number(value >> 32n) | 0, unsigned: true } as unknown as number;
}

function writeUnknown(w: protobuf.Writer, u: UnknownField): void {
  w.uint32(((u.field << 3) | u.wire) >>> 0);
  switch (u.wire) {
    case 0:
      w.uint64(long(u.value));
      break;
    case 1:
      w.fixed64(long(u.value));
      break;
    case 2:
      w.bytes(u.value);
      break;
    case 5:
      w.fixed32(u.value);
      break;
    case 3:
      for (const inner of u.value) writeUnknown(w, inner);
      w.uint32(((u.field << 3) | 4) >>> 0);
      break;
  }
}

/** Field numbers from 1 to 2^29 − 1 (tags of one to five bytes), avoiding the schema's own. */
const fieldArb = (known: number) => fc.oneof(fc.integer({ min: known + 1, max: 15 }), fc.integer({ min: 16, max: 2047 }), fc.integer({ min: 2048, max: 2 ** 29 - 1 }));

const unknownFieldArb = (known: number): fc.Arbitrary<UnknownField> =>
  fc.letrec<{ field: UnknownField }>((tie) => ({
    field: fc.oneof(
      { depthSize: 'small' },
      fc.record({ wire: fc.constant(0 as const), field: fieldArb(known), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
      fc.record({ wire: fc.constant(1 as const), field: fieldArb(known), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
      fc.record({ wire: fc.constant(2 as const), field: fieldArb(known), value: fc.uint8Array({ maxLength: 300 }) }),
      fc.record({ wire: fc.constant(5 as const), field: fieldArb(known), value: fc.nat({ max: 2 ** 32 - 1 }) }),
      fc.record({ wire: fc.constant(3 as const), field: fieldArb(known), value: fc.array(tie('field'), { maxLength: 3 }) }),
    ),
  })).field;

/** Bytes of a message made of `pieces`, interleaved by `keys` while each kind keeps its order. */
function interleave(pieces: { kind: string; bytes: Uint8Array }[], keys: readonly number[]): Buffer {
  const byKind = new Map<string, number[]>();
  pieces.forEach((p, i) => byKind.set(p.kind, [...(byKind.get(p.kind) ?? []), i]));
  const order = new Array<number>(pieces.length);
  for (const indexes of byKind.values()) {
    const sorted = indexes.map((i) => keys[i % keys.length]! + i / 1e6).sort((a, b) => a - b);
    indexes.forEach((i, n) => (order[i] = sorted[n]!));
  }
  const positions = pieces.map((_, i) => i).sort((a, b) => order[a]! - order[b]!);
  return Buffer.concat(positions.map((i) => pieces[i]!.bytes));
}

function field(build: (w: protobuf.Writer) => unknown): Uint8Array {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
}

const tagArb = fc.record({
  key: fc.string({ maxLength: 20 }),
  value: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
  unknown: fc.array(unknownFieldArb(2), { maxLength: 2 }),
});

const recordArb = fc.record({
  partitionKey: fc.string({ minLength: 1, maxLength: 40 }),
  explicitHashKey: fc.option(fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }).map(String), { nil: undefined }),
  data: fc.uint8Array({ maxLength: 400 }),
  tags: fc.array(tagArb, { maxLength: 3 }),
  unknown: fc.array(unknownFieldArb(4), { maxLength: 4 }),
  keys: fc.array(fc.nat(100), { minLength: 1, maxLength: 12 }),
});

const aggregateArb = fc.record({
  records: fc.array(recordArb, { minLength: 1, maxLength: 12 }),
  unknown: fc.array(unknownFieldArb(3), { maxLength: 6 }),
  keys: fc.array(fc.nat(100), { minLength: 1, maxLength: 40 }),
});

type AggregateValue = typeof aggregateArb extends fc.Arbitrary<infer V> ? V : never;

/** A KPL aggregate with tags and unknown fields: magic, protobuf, MD5 of the protobuf. */
function encode(a: AggregateValue): { data: Buffer; proto: Buffer } {
  const pks = [...new Set(a.records.map((r) => r.partitionKey))];
  const ehks = [...new Set(a.records.flatMap((r) => (r.explicitHashKey === undefined ? [] : [r.explicitHashKey])))];
  const top: { kind: string; bytes: Uint8Array }[] = [
    ...pks.map((k) => ({ kind: 'pk', bytes: field((w) => w.uint32(0x0a).string(k)) })),
    ...ehks.map((k) => ({ kind: 'ehk', bytes: field((w) => w.uint32(0x12).string(k)) })),
    ...a.unknown.map((u, i) => ({ kind: `u${i}`, bytes: field((w) => writeUnknown(w, u)) })),
  ];
  for (const r of a.records) {
    const tags = r.tags.map((t) => {
      const known = schema.Tag.encode(schema.Tag.fromObject(t.value === undefined ? { key: t.key } : { key: t.key, value: t.value })).finish();
      const extra = field((w) => t.unknown.forEach((u) => writeUnknown(w, u)));
      return { kind: 'tag', bytes: field((w) => w.uint32(0x22).bytes(Buffer.concat([known, extra]))) };
    });
    const body = interleave(
      [
        { kind: 'pkIndex', bytes: field((w) => w.uint32(0x08).uint64(pks.indexOf(r.partitionKey))) },
        ...(r.explicitHashKey === undefined ? [] : [{ kind: 'ehkIndex', bytes: field((w) => w.uint32(0x10).uint64(ehks.indexOf(r.explicitHashKey!))) }]),
        { kind: 'data', bytes: field((w) => w.uint32(0x1a).bytes(r.data)) },
        ...tags,
        ...r.unknown.map((u, i) => ({ kind: `u${i}`, bytes: field((w) => writeUnknown(w, u)) })),
      ],
      r.keys,
    );
    top.push({ kind: 'record', bytes: field((w) => w.uint32(0x1a).bytes(body)) });
  }
  const proto = interleave(top, a.keys);
  return { proto, data: Buffer.concat([KPL_MAGIC, proto, crypto.createHash('md5').update(proto).digest()]) };
}

describe('decodeAggregatedRecord', () => {
  it('reads aggregates with tags and unknown fields of every wire type, as protobufjs and aws-kinesis-agg do (property)', () => {
    fc.assert(
      fc.property(aggregateArb, (a) => {
        const { data, proto } = encode(a);
        const ours = deaggregate({ Data: data, PartitionKey: 'a', SequenceNumber: SEQ });
        expect(ours.map((u) => u.deaggregationFailure)).toEqual(a.records.map(() => undefined));
        expect(ours.map((u) => [u.partitionKey, u.explicitHashKey, Buffer.from(u.data).toString('hex'), u.subSequenceNumber, u.aggregated])).toEqual(
          a.records.map((r, i) => [r.partitionKey, r.explicitHashKey, Buffer.from(r.data).toString('hex'), i, true]),
        );

        // The reference decoders agree on the same bytes.
        const reference = schema.AggregatedRecord.toObject(schema.AggregatedRecord.decode(proto), { longs: String, bytes: Buffer, defaults: false }) as {
          partition_key_table: string[];
          records: { partition_key_index: string; data: Buffer; tags?: { key: string; value?: string }[] }[];
        };
        expect(reference.records.map((r) => [reference.partition_key_table[Number(r.partition_key_index)], r.data.toString('hex')])).toEqual(ours.map((u) => [u.partitionKey, u.data.toString('hex')]));
        expect(reference.records.map((r) => (r.tags ?? []).map((t) => t.key))).toEqual(a.records.map((r) => r.tags.map((t) => t.key)));
        agg.deaggregateSync({ data: data.toString('base64'), partitionKey: 'a', sequenceNumber: SEQ }, true, (err, theirs) => {
          expect(err ?? null).toBeNull();
          expect(theirs!.map((u) => [u.partitionKey, Buffer.from(u.data, 'base64').toString('hex')])).toEqual(ours.map((u) => [u.partitionKey, u.data.toString('hex')]));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('skips a Tag: the record after it is read whole (the KPL schema’s own field 4)', () => {
    const message = schema.AggregatedRecord.fromObject({
      partition_key_table: ['pk'],
      records: [
        { partition_key_index: 0, data: Buffer.from('one'), tags: [{ key: 'source', value: 'billing' }] },
        { partition_key_index: 0, data: Buffer.from('two') },
      ],
    });
    const proto = Buffer.from(schema.AggregatedRecord.encode(message).finish());
    const data = Buffer.concat([KPL_MAGIC, proto, crypto.createHash('md5').update(proto).digest()]);
    const decoded = decodeAggregatedRecord(data);
    expect(typeof decoded).toBe('object');
    expect(deaggregate({ Data: data, SequenceNumber: SEQ }).map((u) => u.data.toString())).toEqual(['one', 'two']);
  });

  it('rejects malformed groups and unsupported wire types as PROTOBUF', () => {
    const wrap = (extra: Uint8Array) => {
      const rec = field((w) => w.uint32(0x1a).bytes(field((r) => r.uint32(0x08).uint64(0).uint32(0x1a).bytes(Buffer.from('x')))));
      const proto = Buffer.concat([field((w) => w.uint32(0x0a).string('pk')), rec, rec, extra]);
      return decodeAggregatedRecord(Buffer.concat([KPL_MAGIC, proto, crypto.createHash('md5').update(proto).digest()]));
    };
    expect(typeof wrap(field((w) => w.uint32((9 << 3) | 3).uint32((9 << 3) | 4)))).toBe('object');
    expect(wrap(field((w) => w.uint32((9 << 3) | 3).uint32((8 << 3) | 4)))).toBe('PROTOBUF'); // end tag of another group
    expect(wrap(field((w) => w.uint32((9 << 3) | 3)))).toBe('PROTOBUF'); // never closed
    expect(wrap(field((w) => w.uint32((9 << 3) | 4)))).toBe('PROTOBUF'); // end without start
    expect(wrap(field((w) => w.uint32((9 << 3) | 6)))).toBe('PROTOBUF');
    expect(wrap(field((w) => w.uint32((9 << 3) | 7)))).toBe('PROTOBUF');
    expect(
      wrap(
        field((w) =>
          w
            .uint32((9 << 3) | 2)
            .uint32(5)
            .uint32(1),
        ),
      ),
    ).toBe('PROTOBUF'); // length past the end
    // Nesting deeper than protobuf-java's recursion limit (100) is refused, not a stack overflow.
    const deep = Buffer.concat([...Array.from({ length: 5000 }, () => field((w) => w.uint32((9 << 3) | 3))), ...Array.from({ length: 5000 }, () => field((w) => w.uint32((9 << 3) | 4)))]);
    expect(wrap(deep)).toBe('PROTOBUF');
  });
});
