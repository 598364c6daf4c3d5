import { parseExplicitHashKey, partitionKeyToHashKey, RecordTooLargeError, validatePartitionKey } from '@shardline/core/base';
import { KPL_DIGEST_BYTES, KPL_FIXED_OVERHEAD_BYTES, KPL_MAGIC, md5Digest, recordEntrySize, tableEntrySize, varintSize, writeVarint } from './AggregatedRecordFormat';
import { type AggregatorOptions, type ResolvedAggregatorOptions, resolveAggregatorOptions } from './resolveAggregatorOptions';
import type { KinesisRecord, UserRecord } from './UserRecord';
import { userRecordBytes } from './userRecordBytes';

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
  // Serialized sections, written as records are added (while their data is hot in cache): the
  // partition-key table entries and the record entries. Flush only concatenates and hashes them.
  private keyTable: Buffer = Buffer.allocUnsafe(512);
  private keyTableUsed = 0;
  private entries: Buffer = Buffer.allocUnsafe(2048);
  private entriesUsed = 0;
  // Partition-key index: keys in insertion order plus open addressing over a 32-bit hash (FNV-1a,
  // or the MD5 word the shard map already computed) — smaller and faster than a Map.
  private partitionKeys: string[] = [];
  private partitionKeyBytes: Int32Array = new Int32Array(64);
  private slots: Int32Array = new Int32Array(256);
  private slotHashes: Int32Array = new Int32Array(256);
  private readonly explicitHashKeys = new Map<string, number>();
  private explicitHashKeyTableBytes = 0;
  /** Size of the first record if it ends up alone: its data plus partition key. */
  private firstRawBytes = 0;
  /** The first record's bytes (a string's UTF-8), emitted as they are if it ends up alone. */
  private firstData: Uint8Array | undefined;
  /** Flush count; tells add() whether a speculative key copy is still in place. */
  private flushes = 0;

  constructor(options: AggregatorOptions | ResolvedAggregatorOptions = {}) {
    this.options = resolveAggregatorOptions(options);
  }

  /** User records held. */
  get count(): number {
    return this.records.length;
  }

  /** Protobuf bytes of everything held. */
  private get protoBytes(): number {
    return this.keyTableUsed + this.explicitHashKeyTableBytes + this.entriesUsed;
  }

  /** Bytes of the Kinesis record that `flush()` would emit now (data + partition key). */
  get sizeBytes(): number {
    if (this.records.length === 0) return 0;
    if (this.records.length === 1) return this.firstRawBytes;
    return KPL_FIXED_OVERHEAD_BYTES + this.protoBytes + AGGREGATE_PARTITION_KEY_BYTES;
  }

  /**
   * Adds a record. Returns the Kinesis record that had to be finished to make room, or undefined.
   * Data is bytes or a string (its UTF-8 bytes). Throws InvalidArgumentError (data of another
   * type), InvalidPartitionKeyError, InvalidExplicitHashKeyError or RecordTooLargeError for bad
   * input, before changing any state.
   * @param partitionKeyHash - any 32-bit hash of the partition key the caller already has (it only
   *   speeds up the key-table lookup); computed when absent.
   */
  add(record: T, partitionKeyHash?: number): KinesisRecord<T> | undefined {
    // Checked first and always (also with validate off): bytes of another kind would corrupt the
    // aggregate being built and every record held with it.
    const data: Uint8Array = record != null && record.data instanceof Uint8Array ? record.data : userRecordBytes(record);
    const pk = record.partitionKey;
    const ehk = record.explicitHashKey;
    if (this.options.validate) {
      validatePartitionKey(pk);
      if (ehk !== undefined) parseExplicitHashKey(ehk);
    }
    // One pass over a short key: check it is ASCII, hash it, and copy it into the key table
    // speculatively (kept only if the key turns out to be new).
    let hash: number;
    let pkBytes: number;
    let speculated = false;
    const n = pk.length;
    if (n < 128) {
      if (this.keyTable.length - this.keyTableUsed < n + 2) this.keyTable = enlarged(this.keyTable, this.keyTableUsed, n + 2);
      const kt = this.keyTable;
      const at = this.keyTableUsed + 2;
      let h = FNV_OFFSET;
      let i = 0;
      for (; i < n; i++) {
        const c = pk.charCodeAt(i);
        if (c >= 0x80) break;
        kt[at + i] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      speculated = i === n;
      hash = partitionKeyHash === undefined ? (speculated ? h : fnv1a(pk)) : partitionKeyHash | 0;
      pkBytes = speculated ? n : Buffer.byteLength(pk, 'utf8');
    } else {
      hash = partitionKeyHash === undefined ? fnv1a(pk) : partitionKeyHash | 0;
      pkBytes = Buffer.byteLength(pk, 'utf8');
    }
    let pkIndex = this.findKey(pk, hash);
    const speculatedAt = this.flushes;
    const dataLength = data.length;
    if (dataLength + pkBytes > this.options.maxRecordBytes) throw new RecordTooLargeError(dataLength + pkBytes, this.options.maxRecordBytes);

    let flushed: KinesisRecord<T> | undefined;
    let ehkIndex = ehk === undefined ? -1 : (this.explicitHashKeys.get(ehk) ?? -2);
    let entry = this.entrySize(pkIndex, pkBytes, ehkIndex, ehk, dataLength);
    const count = this.records.length;
    if (count > 0 && (KPL_FIXED_OVERHEAD_BYTES + this.protoBytes + entry + AGGREGATE_PARTITION_KEY_BYTES > this.options.maxAggregateBytes || count >= this.options.maxAggregateRecords)) {
      flushed = this.flush();
      pkIndex = -1;
      ehkIndex = ehk === undefined ? -1 : -2;
      entry = this.entrySize(pkIndex, pkBytes, ehkIndex, ehk, dataLength);
    }
    // Commit: table entries for new keys, then the record entry.
    const held = this.records.length;
    if (held === this.partitionKeyBytes.length) this.partitionKeyBytes = grown(this.partitionKeyBytes);
    if (pkIndex < 0) pkIndex = this.insertKey(pk, hash, pkBytes, speculated && speculatedAt === this.flushes);
    if (ehkIndex === -2) {
      ehkIndex = this.explicitHashKeys.size;
      this.explicitHashKeys.set(ehk!, ehkIndex);
      this.explicitHashKeyTableBytes += tableEntrySize(ehk!.length);
    }
    this.writeEntry(pkIndex, ehkIndex, data);
    this.records.push(record);
    if (held === 0) {
      this.firstRawBytes = dataLength + pkBytes;
      this.firstData = data;
    }
    return flushed;
  }

  /** Protobuf bytes a record adds: its table entries (-1 pk index / -2 ehk index = new) and entry. */
  private entrySize(pkIndex: number, pkBytes: number, ehkIndex: number, ehk: string | undefined, dataLength: number): number {
    let size = 0;
    let p = pkIndex;
    if (p < 0) {
      p = this.partitionKeys.length;
      size += tableEntrySize(pkBytes);
    }
    let e = ehkIndex;
    if (e === -2) {
      e = this.explicitHashKeys.size;
      size += tableEntrySize(ehk!.length);
    }
    return size + recordEntrySize(p, e, dataLength);
  }

  private writeEntry(p: number, e: number, data: Uint8Array): void {
    const dl = data.length;
    const body = 1 + varintSize(p) + (e >= 0 ? 1 + varintSize(e) : 0) + 1 + varintSize(dl) + dl;
    if (this.entries.length - this.entriesUsed < body + 6) this.entries = enlarged(this.entries, this.entriesUsed, body + 6);
    const buf = this.entries;
    let o = this.entriesUsed;
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
    this.entriesUsed = o + dl;
  }

  /** Index of `pk` in the key table, or -1. */
  private findKey(pk: string, hash: number): number {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === 0) return -1;
      if (this.slotHashes[i] === hash && this.partitionKeys[v - 1] === pk) return v - 1;
    }
  }

  private insertKey(pk: string, hash: number, bytes: number, alreadyCopied: boolean): number {
    const index = this.partitionKeys.length;
    if ((index + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    this.partitionKeys.push(pk);
    this.partitionKeyBytes[index] = bytes;
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = hash & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = index + 1;
    this.slotHashes[i] = hash;
    // The table entry: tag, length, UTF-8 bytes (an ASCII key under 128 bytes was copied by add()).
    if (alreadyCopied) {
      this.keyTable[this.keyTableUsed] = 0x0a;
      this.keyTable[this.keyTableUsed + 1] = bytes;
      this.keyTableUsed += 2 + bytes;
      return index;
    }
    if (this.keyTable.length - this.keyTableUsed < bytes + 6) this.keyTable = enlarged(this.keyTable, this.keyTableUsed, bytes + 6);
    const buf = this.keyTable;
    let o = this.keyTableUsed;
    buf[o++] = 0x0a;
    o = writeVarint(buf, o, bytes);
    o += buf.write(pk, o, bytes, 'utf8');
    this.keyTableUsed = o;
    return index;
  }

  private rehash(size: number): void {
    const oldSlots = this.slots;
    const oldHashes = this.slotHashes;
    const slots = (this.slots = new Int32Array(size));
    this.slotHashes = new Int32Array(size);
    const mask = size - 1;
    for (let k = 0; k < oldSlots.length; k++) {
      if (oldSlots[k] === 0) continue;
      let i = oldHashes[k]! & mask;
      while (slots[i] !== 0) i = (i + 1) & mask;
      slots[i] = oldSlots[k]!;
      this.slotHashes[i] = oldHashes[k]!;
    }
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
      const bytes = this.firstData!;
      const data = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      result = { partitionKey: only.partitionKey, explicitHashKey: only.explicitHashKey, data, aggregated: false, userRecords: records, sizeBytes: this.firstRawBytes };
    } else {
      const first = records[0]!;
      const ehk = explicitHashKey ?? first.explicitHashKey ?? partitionKeyToHashKey(first.partitionKey).toString();
      result = { partitionKey: AGGREGATE_PARTITION_KEY, explicitHashKey: ehk, data: this.encode(), aggregated: true, userRecords: records, sizeBytes: this.sizeBytes };
    }
    this.flushes++;
    this.records = [];
    this.partitionKeys = [];
    this.slots.fill(0);
    this.keyTableUsed = 0;
    this.entriesUsed = 0;
    this.explicitHashKeys.clear();
    this.explicitHashKeyTableBytes = 0;
    this.firstRawBytes = 0;
    this.firstData = undefined;
    return result;
  }

  /** Magic + AggregatedRecord (key tables, then entries) + MD5, in one allocation. */
  private encode(): Buffer {
    const protoEnd = KPL_MAGIC.length + this.protoBytes;
    const buf = Buffer.allocUnsafe(protoEnd + KPL_DIGEST_BYTES);
    buf[0] = 0xf3;
    buf[1] = 0x89;
    buf[2] = 0x9a;
    buf[3] = 0xc2;
    this.keyTable.copy(buf, 4, 0, this.keyTableUsed);
    let o = 4 + this.keyTableUsed;
    for (const ehk of this.explicitHashKeys.keys()) {
      buf[o++] = 0x12;
      o = writeVarint(buf, o, ehk.length);
      o += buf.write(ehk, o, ehk.length, 'latin1');
    }
    this.entries.copy(buf, o, 0, this.entriesUsed);
    md5Digest(buf.subarray(4, protoEnd)).copy(buf, protoEnd);
    return buf;
  }
}

function grown(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** A larger buffer holding the first `used` bytes of `buf`, with room for `need` more. */
function enlarged(buf: Buffer, used: number, need: number): Buffer {
  const next = Buffer.allocUnsafe(Math.max(buf.length * 2, used + need));
  buf.copy(next, 0, 0, used);
  return next;
}

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units: a cheap 32-bit hash for the key table. */
function fnv1a(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
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
