import { KPL_DIGEST_BYTES, KPL_MAGIC, md5Digest } from './AggregatedRecordFormat';

/**
 * Why a record whose data starts with the KPL magic is not an aggregate at all: too short to hold
 * the MD5 trailer, or the trailer does not match. Almost certainly a plain record whose data just
 * begins with those 4 bytes (Kinesis checksums what it stores, so an aggregate does not get
 * damaged in transit). @public
 */
export type NotAggregateReason = 'TOO_SHORT' | 'MD5_MISMATCH';

/**
 * Why an aggregate (magic and a matching MD5) could not be expanded: the protobuf is malformed or
 * holds no records. Its producer wrote a broken aggregate. @public
 */
export type CorruptAggregateReason = 'PROTOBUF' | 'EMPTY';

/** Why a record that starts like an aggregate could not be decoded. @public */
export type DeaggregationFailure = NotAggregateReason | CorruptAggregateReason;

/** True for the reasons that mean "not an aggregate" rather than "corrupt aggregate". @public */
export function isNotAggregateReason(reason: DeaggregationFailure): reason is NotAggregateReason {
  return reason === 'TOO_SHORT' || reason === 'MD5_MISMATCH';
}

/** The parsed structure of an aggregate: key tables and, per user record, where its bytes are. @public */
export interface DecodedAggregate {
  readonly partitionKeys: readonly string[];
  readonly explicitHashKeys: readonly string[];
  /** Per record: partition-key index. */
  readonly partitionKeyIndexes: Uint32Array;
  /** Per record: explicit-hash-key index, or -1. */
  readonly explicitHashKeyIndexes: Int32Array;
  /** Per record: start and end of its data within the input buffer. */
  readonly dataStart: Uint32Array;
  readonly dataEnd: Uint32Array;
  readonly count: number;
}

class ProtobufError extends Error {}

/** True when `data` starts with the KPL magic. @public */
export function hasKplMagic(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0xf3 && data[1] === 0x89 && data[2] === 0x9a && data[3] === 0xc2;
}

function readVarint(buf: Uint8Array, pos: { o: number }, end: number): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos.o >= end) throw new ProtobufError('truncated varint');
    const b = buf[pos.o++]!;
    if (shift < 28) result |= (b & 0x7f) << shift;
    else result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return shift < 28 ? result >>> 0 : result;
    shift += 7;
    if (shift > 63) throw new ProtobufError('varint too long');
  }
}

/** protobuf-java's default recursion limit, which the KCL decodes with. */
const MAX_GROUP_DEPTH = 100;

/**
 * Skips the field whose tag `key` was just read: any field the KPL schema does not define (and
 * the Record's `tags`, which nothing reads), of any wire type, including proto2 groups, as
 * protobuf-java (the KCL) and protobufjs (aws-kinesis-agg) skip unknown fields.
 */
function skipField(buf: Uint8Array, pos: { o: number }, end: number, key: number, depth = 0): void {
  if (key >>> 3 === 0 || key > 0xffffffff) throw new ProtobufError('invalid tag');
  switch (key & 7) {
    case 0:
      readVarint(buf, pos, end);
      return;
    case 1:
      pos.o += 8;
      break;
    case 2: {
      // The length is read before the offset moves past it: the data starts after the varint.
      const length = readVarint(buf, pos, end);
      pos.o += length;
      break;
    }
    case 5:
      pos.o += 4;
      break;
    case 3: {
      if (depth >= MAX_GROUP_DEPTH) throw new ProtobufError('groups nested too deeply');
      for (;;) {
        const inner = readVarint(buf, pos, end);
        if ((inner & 7) === 4 && inner <= 0xffffffff) {
          if (inner >>> 3 !== key >>> 3) throw new ProtobufError('end of another group');
          return;
        }
        skipField(buf, pos, end, inner, depth + 1);
      }
    }
    default:
      // 4 (end of a group never started), 6 and 7 (undefined).
      throw new ProtobufError(`unsupported wire type ${key & 7}`);
  }
  if (pos.o > end) throw new ProtobufError('truncated field');
}

// Buffer's own latin1 decoder, without toString's argument handling (an old, stable Node method).
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (start: number, end: number) => string }).latin1Slice;

function readString(buf: Buffer, pos: { o: number }, end: number): string {
  const len = readVarint(buf, pos, end);
  const start = pos.o;
  const stop = start + len;
  if (stop > end) throw new ProtobufError('truncated string');
  pos.o = stop;
  // Keys are almost always ASCII, which latin1 decodes several times faster than UTF-8. Invalid
  // UTF-8 becomes U+FFFD, as protobuf-java's lazy string decoding in the KCL does.
  for (let i = start; i < stop; i++) if (buf[i]! >= 0x80) return buf.toString('utf8', start, stop);
  return latin1Slice ? latin1Slice.call(buf, start, stop) : buf.toString('latin1', start, stop);
}

/**
 * Decodes a KPL aggregate: magic, protobuf, MD5. Returns the failure reason instead of throwing
 * (the caller returns the raw record, as the KCL does), or `undefined` when `data` has no magic.
 * `TOO_SHORT` and `MD5_MISMATCH` mean the record is not an aggregate; `PROTOBUF` and `EMPTY` are
 * reported only for data whose MD5 matches (checked on that path even when `verifyChecksum` is
 * false), so they always mean a corrupt aggregate.
 * Validates every index before returning, so a decoded aggregate can always be expanded in full.
 * @public
 */
export function decodeAggregatedRecord(input: Uint8Array, verifyChecksum = true): DecodedAggregate | DeaggregationFailure | undefined {
  if (!hasKplMagic(input)) return undefined;
  const data = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (data.length < KPL_MAGIC.length + KPL_DIGEST_BYTES) return 'TOO_SHORT';
  const end = data.length - KPL_DIGEST_BYTES;
  if (verifyChecksum && !digestMatches(data, end)) return 'MD5_MISMATCH';
  let failure: CorruptAggregateReason;
  try {
    const decoded = parse(data, KPL_MAGIC.length, end);
    if (decoded.count > 0) return decoded;
    // An aggregate of zero records would make the Kinesis record vanish: hand it over raw instead.
    failure = 'EMPTY';
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    failure = 'PROTOBUF';
  }
  // Unverified so far: a plain record that starts with the magic fails to parse too, and is no aggregate.
  return verifyChecksum || digestMatches(data, end) ? failure : 'MD5_MISMATCH';
}

function digestMatches(data: Buffer, end: number): boolean {
  const digest = md5Digest(data.subarray(KPL_MAGIC.length, end));
  for (let i = 0; i < KPL_DIGEST_BYTES; i++) if (digest[i] !== data[end + i]) return false;
  return true;
}

function parse(buf: Buffer, start: number, end: number): DecodedAggregate {
  const partitionKeys: string[] = [];
  const explicitHashKeys: string[] = [];
  // Upper bound on records: each takes at least 6 bytes (tag, len, pk tag+idx, data tag+len).
  const cap = Math.max(1, Math.floor((end - start) / 6));
  let pkIdx = new Uint32Array(Math.min(cap, 1024));
  let ehkIdx = new Int32Array(pkIdx.length);
  let dStart = new Uint32Array(pkIdx.length);
  let dEnd = new Uint32Array(pkIdx.length);
  let count = 0;
  // The offset lives in a local; multi-byte varints (rare: lengths ≥ 128) take the slow path
  // through `pos`. Every tag and most lengths and indexes are one byte.
  const pos = { o: start };
  let o = start;
  while (o < end) {
    let key = buf[o]!;
    if (key < 0x80) o++;
    else {
      pos.o = o;
      key = readVarint(buf, pos, end);
      o = pos.o;
    }
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 2 && (field === 1 || field === 2)) {
      pos.o = o;
      (field === 1 ? partitionKeys : explicitHashKeys).push(readString(buf, pos, end));
      o = pos.o;
    } else if (field === 3 && wire === 2) {
      let len = buf[o]!;
      if (len < 0x80 && o < end) o++;
      else {
        pos.o = o;
        len = readVarint(buf, pos, end);
        o = pos.o;
      }
      const recEnd = o + len;
      if (recEnd > end) throw new ProtobufError('truncated record');
      let p = -1;
      let e = -1;
      let ds = -1;
      let de = -1;
      pos.o = o;
      while (pos.o < recEnd) {
        const k = readVarint(buf, pos, recEnd);
        const f = k >>> 3;
        const w = k & 7;
        if (f === 1 && w === 0) p = readVarint(buf, pos, recEnd);
        else if (f === 2 && w === 0) e = readVarint(buf, pos, recEnd);
        else if (f === 3 && w === 2) {
          const dl = readVarint(buf, pos, recEnd);
          ds = pos.o;
          de = ds + dl;
          if (de > recEnd) throw new ProtobufError('truncated data');
          pos.o = de;
        } else skipField(buf, pos, recEnd, k);
      }
      o = pos.o;
      if (p < 0 || ds < 0) throw new ProtobufError('record lacks a required field');
      if (p > 0x7fffffff || e > 0x7fffffff) throw new ProtobufError('key index out of range');
      if (count === pkIdx.length) {
        const n = Math.min(cap, pkIdx.length * 4);
        const grow = <A extends Uint32Array | Int32Array>(a: A, make: (n: number) => A): A => {
          const b = make(n);
          b.set(a);
          return b;
        };
        pkIdx = grow(pkIdx, (n) => new Uint32Array(n));
        ehkIdx = grow(ehkIdx, (n) => new Int32Array(n));
        dStart = grow(dStart, (n) => new Uint32Array(n));
        dEnd = grow(dEnd, (n) => new Uint32Array(n));
      }
      pkIdx[count] = p;
      ehkIdx[count] = e;
      dStart[count] = ds;
      dEnd[count] = de;
      count++;
    } else {
      pos.o = o;
      skipField(buf, pos, end, key);
      o = pos.o;
    }
  }
  for (let i = 0; i < count; i++) {
    if (pkIdx[i]! >= partitionKeys.length) throw new ProtobufError('partition key index out of range');
    if (ehkIdx[i]! >= explicitHashKeys.length) throw new ProtobufError('explicit hash key index out of range');
  }
  return { partitionKeys, explicitHashKeys, partitionKeyIndexes: pkIdx, explicitHashKeyIndexes: ehkIdx, dataStart: dStart, dataEnd: dEnd, count };
}
