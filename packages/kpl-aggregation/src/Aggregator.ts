import * as crypto from 'node:crypto';
import { parseExplicitHashKey, partitionKeyToHashKey, RecordTooLargeError, validatePartitionKey } from '@shardline/core';
import { KPL_DIGEST_BYTES, KPL_FIXED_OVERHEAD_BYTES, KPL_MAGIC, varintSize as varintSizeLarge } from './AggregatedRecordFormat';
import { type AggregatorOptions, type ResolvedAggregatorOptions, resolveAggregatorOptions } from './resolveAggregatorOptions';
import type { KinesisRecord, UserRecord } from './UserRecord';

/** The outer partition key of every aggregate, as the KPL writes it: one byte, routing is by EHK. */
export const AGGREGATE_PARTITION_KEY = 'a';
const AGGREGATE_PARTITION_KEY_BYTES = 1;

/**
 * Packs user records bound for one shard into KPL aggregated records, with exact sizes.
 *
 * `add` returns the finished record when the new one does not fit beside those already held (the
 * new one then starts the next aggregate). `flush` emits what is held: one record alone is emitted
 * raw with its own keys (smaller, and readable by any consumer), two or more as an aggregate with
 * partition key `"a"` and the first record's hash key as explicit hash key. Key tables are
 * de-duplicated in insertion order; an EHK entry is written only for records that carry one.
 * No emitted record ever exceeds `maxAggregateBytes` unless it is a single raw user record, and none
 * exceeds `maxRecordBytes`.
 * @public
 */
export class Aggregator<T extends UserRecord = UserRecord> {
  readonly options: ResolvedAggregatorOptions;
  private records: T[] = [];
  // Per-record table indexes and per-key UTF-8 lengths live in reusable typed arrays: an aggregate
  // holds hundreds of records and the aggregator is refilled thousands of times per second.
  private partitionKeyIndexes = new Int32Array(64);
  private explicitHashKeyIndexes = new Int32Array(64);
  private readonly partitionKeys = new Map<string, number>();
  private partitionKeyBytes = new Int32Array(64);
  private readonly explicitHashKeys = new Map<string, number>();
  /** Protobuf bytes of everything held (tables + record entries). */
  private protoBytes = 0;
  /** Size of the first record if it ends up alone: its data plus partition key. */
  private firstRawBytes = 0;

  constructor(options: AggregatorOptions | ResolvedAggregatorOptions = {}) {
    this.options = resolveAggregatorOptions(options);
  }

  /** User records held. */
  get count(): number {
    return this.records.length;
  }

  /** Bytes of the Kinesis record that `flush()` would emit now (data + partition key). */
  get sizeBytes(): number {
    if (this.records.length === 0) return 0;
    if (this.records.length === 1) return this.firstRawBytes;
    return KPL_FIXED_OVERHEAD_BYTES + this.protoBytes + AGGREGATE_PARTITION_KEY_BYTES;
  }

  /**
   * Adds a record. Returns the Kinesis record that had to be finished to make room, or undefined.
   * Throws InvalidPartitionKeyError, InvalidExplicitHashKeyError or RecordTooLargeError for bad input,
   * before changing any state.
   */
  add(record: T): KinesisRecord<T> | undefined {
    const pk = record.partitionKey;
    const ehk = record.explicitHashKey;
    if (this.options.validate) {
      validatePartitionKey(pk);
      if (ehk !== undefined) parseExplicitHashKey(ehk);
    }
    let pkIndex = this.partitionKeys.get(pk);
    const pkBytes = pkIndex === undefined ? utf8Length(pk) : this.partitionKeyBytes[pkIndex]!;
    const dataLength = record.data.length;
    if (dataLength + pkBytes > this.options.maxRecordBytes) throw new RecordTooLargeError(dataLength + pkBytes, this.options.maxRecordBytes);

    let flushed: KinesisRecord<T> | undefined;
    let ehkIndex = ehk === undefined ? -1 : (this.explicitHashKeys.get(ehk) ?? -2);
    let proto = this.protoBytesWith(pkIndex, pkBytes, ehkIndex, ehk, dataLength);
    const count = this.records.length;
    if (count > 0 && (KPL_FIXED_OVERHEAD_BYTES + proto + AGGREGATE_PARTITION_KEY_BYTES > this.options.maxAggregateBytes || count >= this.options.maxAggregateRecords)) {
      flushed = this.flush();
      pkIndex = undefined;
      ehkIndex = ehk === undefined ? -1 : -2;
      proto = this.protoBytesWith(pkIndex, pkBytes, ehkIndex, ehk, dataLength);
    }
    // Commit: table entries for new keys, then the record.
    const n = this.records.length;
    if (n === this.partitionKeyIndexes.length) this.grow();
    if (pkIndex === undefined) {
      pkIndex = this.partitionKeys.size;
      this.partitionKeys.set(pk, pkIndex);
      this.partitionKeyBytes[pkIndex] = pkBytes;
    }
    if (ehkIndex === -2) {
      ehkIndex = this.explicitHashKeys.size;
      this.explicitHashKeys.set(ehk!, ehkIndex);
    }
    this.records.push(record);
    this.partitionKeyIndexes[n] = pkIndex;
    this.explicitHashKeyIndexes[n] = ehkIndex;
    this.protoBytes = proto;
    if (n === 0) this.firstRawBytes = dataLength + pkBytes;
    return flushed;
  }

  /** Protobuf bytes after adding a record; ehkIndex -1 = none, -2 = a new table entry. */
  private protoBytesWith(pkIndex: number | undefined, pkBytes: number, ehkIndex: number, ehk: string | undefined, dataLength: number): number {
    let proto = this.protoBytes;
    let pk = pkIndex;
    if (pk === undefined) {
      pk = this.partitionKeys.size;
      proto += 1 + varintSize(pkBytes) + pkBytes;
    }
    let e = ehkIndex;
    if (e === -2) {
      e = this.explicitHashKeys.size;
      proto += 1 + varintSize(ehk!.length) + ehk!.length;
    }
    const body = 1 + varintSize(pk) + (e >= 0 ? 1 + varintSize(e) : 0) + 1 + varintSize(dataLength) + dataLength;
    return proto + 1 + varintSize(body) + body;
  }

  private grow(): void {
    const size = this.partitionKeyIndexes.length * 2;
    const a = new Int32Array(size);
    a.set(this.partitionKeyIndexes);
    this.partitionKeyIndexes = a;
    const b = new Int32Array(size);
    b.set(this.explicitHashKeyIndexes);
    this.explicitHashKeyIndexes = b;
    const c = new Int32Array(size);
    c.set(this.partitionKeyBytes);
    this.partitionKeyBytes = c;
  }

  /**
   * Emits what is held and starts over; undefined when empty.
   * @param explicitHashKey - outer EHK for an aggregate; default: the first record's hash key.
   */
  flush(explicitHashKey?: string): KinesisRecord<T> | undefined {
    const records = this.records;
    if (records.length === 0) return undefined;
    let result: KinesisRecord<T>;
    if (records.length === 1) {
      const only = records[0]!;
      const data = Buffer.isBuffer(only.data) ? only.data : Buffer.from(only.data.buffer, only.data.byteOffset, only.data.byteLength);
      result = { partitionKey: only.partitionKey, explicitHashKey: only.explicitHashKey, data, aggregated: false, userRecords: records, sizeBytes: this.firstRawBytes };
    } else {
      const first = records[0]!;
      const ehk = explicitHashKey ?? first.explicitHashKey ?? partitionKeyToHashKey(first.partitionKey).toString();
      result = {
        partitionKey: AGGREGATE_PARTITION_KEY,
        explicitHashKey: ehk,
        data: this.encode(),
        aggregated: true,
        userRecords: records,
        sizeBytes: this.sizeBytes,
      };
    }
    this.records = [];
    this.partitionKeys.clear();
    this.explicitHashKeys.clear();
    this.protoBytes = 0;
    this.firstRawBytes = 0;
    return result;
  }

  /** Serializes magic + AggregatedRecord + MD5 in one allocation. */
  private encode(): Buffer {
    const protoEnd = KPL_MAGIC.length + this.protoBytes;
    const buf = Buffer.allocUnsafe(protoEnd + KPL_DIGEST_BYTES);
    buf[0] = 0xf3;
    buf[1] = 0x89;
    buf[2] = 0x9a;
    buf[3] = 0xc2;
    let o = 4;
    const pkBytes = this.partitionKeyBytes;
    let i = 0;
    for (const pk of this.partitionKeys.keys()) {
      const len = pkBytes[i++]!;
      buf[o++] = 0x0a;
      o = writeVarint(buf, o, len);
      // A key whose UTF-8 length equals its length is ASCII: copy its char codes (a native write
      // costs more than the copy for keys this short).
      if (len === pk.length && len <= 64) for (let c = 0; c < len; c++) buf[o++] = pk.charCodeAt(c);
      else o += buf.write(pk, o, len, 'utf8');
    }
    for (const ehk of this.explicitHashKeys.keys()) {
      buf[o++] = 0x12;
      o = writeVarint(buf, o, ehk.length);
      o += buf.write(ehk, o, ehk.length, 'latin1');
    }
    const records = this.records;
    const pkIdx = this.partitionKeyIndexes;
    const ehkIdx = this.explicitHashKeyIndexes;
    for (let r = 0; r < records.length; r++) {
      const data = records[r]!.data;
      const p = pkIdx[r]!;
      const e = ehkIdx[r]!;
      const dl = data.length;
      const body = 1 + varintSize(p) + (e >= 0 ? 1 + varintSize(e) : 0) + 1 + varintSize(dl) + dl;
      buf[o++] = 0x1a;
      o = writeVarint(buf, o, body);
      buf[o++] = 0x08;
      o = writeVarint(buf, o, p);
      if (e >= 0) {
        buf[o++] = 0x10;
        o = writeVarint(buf, o, e);
      }
      buf[o++] = 0x1a;
      o = writeVarint(buf, o, dl);
      buf.set(data, o);
      o += dl;
    }
    crypto.createHash('md5').update(buf.subarray(4, protoEnd)).digest().copy(buf, protoEnd);
    return buf;
  }
}

/** UTF-8 byte length; a JS scan for short ASCII keys is cheaper than a native call. */
function utf8Length(s: string): number {
  const n = s.length;
  if (n > 64) return Buffer.byteLength(s, 'utf8');
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8');
  return n;
}

// Local copies of the varint helpers: this is the hot loop, and a same-module call inlines best.
function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : varintSizeLarge(value);
}

function writeVarint(buf: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    buf[offset++] = (value & 0x7f) | 0x80;
    value = value >= 0x100000000 ? Math.floor(value / 0x80) : value >>> 7;
  }
  buf[offset++] = value;
  return offset;
}

/**
 * Aggregates a list of records bound for one shard into as few Kinesis records as the limits allow.
 * @public
 */
export function aggregateRecords<T extends UserRecord>(records: Iterable<T>, options?: AggregatorOptions): KinesisRecord<T>[] {
  const aggregator = new Aggregator<T>(options);
  const out: KinesisRecord<T>[] = [];
  for (const r of records) {
    const done = aggregator.add(r);
    if (done) out.push(done);
  }
  const last = aggregator.flush();
  if (last) out.push(last);
  return out;
}
