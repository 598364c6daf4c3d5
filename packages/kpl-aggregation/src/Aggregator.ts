import * as crypto from 'node:crypto';
import { parseExplicitHashKey, partitionKeyToHashKey, RecordTooLargeError, validatePartitionKey } from '@shardline/core';
import { KPL_DIGEST_BYTES, KPL_FIXED_OVERHEAD_BYTES, KPL_MAGIC, recordEntrySize, tableEntrySize, varintSize, writeVarint } from './AggregatedRecordFormat';
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
  private partitionKeyIndexes: number[] = [];
  private explicitHashKeyIndexes: number[] = [];
  private partitionKeys = new Map<string, number>();
  private partitionKeyBytes: number[] = [];
  private explicitHashKeys = new Map<string, number>();
  private explicitHashKeyBytes: number[] = [];
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
    const pkIndexKnown = this.partitionKeys.get(pk);
    const pkBytes = pkIndexKnown === undefined ? Buffer.byteLength(pk, 'utf8') : this.partitionKeyBytes[pkIndexKnown]!;
    const rawBytes = record.data.length + pkBytes;
    if (rawBytes > this.options.maxRecordBytes) throw new RecordTooLargeError(rawBytes, this.options.maxRecordBytes);

    let flushed: KinesisRecord<T> | undefined;
    let added = this.sizeIfAdded(record, pkIndexKnown, pkBytes);
    if (this.records.length > 0 && (added > this.options.maxAggregateBytes || this.records.length >= this.options.maxAggregateRecords)) {
      flushed = this.flush();
      added = this.sizeIfAdded(record, undefined, pkBytes);
    }
    this.append(record, pkBytes, added);
    if (this.records.length === 1) this.firstRawBytes = rawBytes;
    return flushed;
  }

  /** Protobuf bytes after adding `record` (only meaningful as an aggregate). */
  private sizeIfAdded(record: T, pkIndex: number | undefined, pkBytes: number): number {
    let proto = this.protoBytes;
    let pkIdx = pkIndex;
    if (pkIdx === undefined) {
      pkIdx = this.partitionKeys.size;
      proto += tableEntrySize(pkBytes);
    }
    let ehkIdx = -1;
    const ehk = record.explicitHashKey;
    if (ehk !== undefined) {
      const known = this.explicitHashKeys.get(ehk);
      if (known === undefined) {
        ehkIdx = this.explicitHashKeys.size;
        proto += tableEntrySize(ehk.length);
      } else ehkIdx = known;
    }
    proto += recordEntrySize(pkIdx, ehkIdx, record.data.length);
    return KPL_FIXED_OVERHEAD_BYTES + proto + AGGREGATE_PARTITION_KEY_BYTES;
  }

  private append(record: T, pkBytes: number, totalBytes: number): void {
    let pkIdx = this.partitionKeys.get(record.partitionKey);
    if (pkIdx === undefined) {
      pkIdx = this.partitionKeys.size;
      this.partitionKeys.set(record.partitionKey, pkIdx);
      this.partitionKeyBytes.push(pkBytes);
    }
    let ehkIdx = -1;
    const ehk = record.explicitHashKey;
    if (ehk !== undefined) {
      const known = this.explicitHashKeys.get(ehk);
      if (known === undefined) {
        ehkIdx = this.explicitHashKeys.size;
        this.explicitHashKeys.set(ehk, ehkIdx);
        this.explicitHashKeyBytes.push(ehk.length);
      } else ehkIdx = known;
    }
    this.records.push(record);
    this.partitionKeyIndexes.push(pkIdx);
    this.explicitHashKeyIndexes.push(ehkIdx);
    this.protoBytes = totalBytes - KPL_FIXED_OVERHEAD_BYTES - AGGREGATE_PARTITION_KEY_BYTES;
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
    this.reset();
    return result;
  }

  private reset(): void {
    this.records = [];
    this.partitionKeyIndexes = [];
    this.explicitHashKeyIndexes = [];
    this.partitionKeys = new Map();
    this.partitionKeyBytes = [];
    this.explicitHashKeys = new Map();
    this.explicitHashKeyBytes = [];
    this.protoBytes = 0;
    this.firstRawBytes = 0;
  }

  /** Serializes magic + AggregatedRecord + MD5 in one allocation. */
  private encode(): Buffer {
    const protoEnd = KPL_MAGIC.length + this.protoBytes;
    const buf = Buffer.allocUnsafe(protoEnd + KPL_DIGEST_BYTES);
    buf.set(KPL_MAGIC, 0);
    let o = KPL_MAGIC.length;
    let i = 0;
    for (const pk of this.partitionKeys.keys()) {
      buf[o++] = 0x0a;
      o = writeVarint(buf, o, this.partitionKeyBytes[i++]!);
      o += buf.write(pk, o, 'utf8');
    }
    i = 0;
    for (const ehk of this.explicitHashKeys.keys()) {
      buf[o++] = 0x12;
      o = writeVarint(buf, o, this.explicitHashKeyBytes[i++]!);
      o += buf.write(ehk, o, 'latin1');
    }
    const records = this.records;
    for (let r = 0; r < records.length; r++) {
      const data = records[r]!.data;
      const pkIdx = this.partitionKeyIndexes[r]!;
      const ehkIdx = this.explicitHashKeyIndexes[r]!;
      const body = 1 + varintSize(pkIdx) + (ehkIdx >= 0 ? 1 + varintSize(ehkIdx) : 0) + 1 + varintSize(data.length) + data.length;
      buf[o++] = 0x1a;
      o = writeVarint(buf, o, body);
      buf[o++] = 0x08;
      o = writeVarint(buf, o, pkIdx);
      if (ehkIdx >= 0) {
        buf[o++] = 0x10;
        o = writeVarint(buf, o, ehkIdx);
      }
      buf[o++] = 0x1a;
      o = writeVarint(buf, o, data.length);
      buf.set(data, o);
      o += data.length;
    }
    crypto.createHash('md5').update(buf.subarray(KPL_MAGIC.length, protoEnd)).digest().copy(buf, protoEnd);
    return buf;
  }
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
