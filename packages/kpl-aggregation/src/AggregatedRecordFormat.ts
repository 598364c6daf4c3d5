import * as crypto from 'node:crypto';
import * as protobuf from 'protobufjs';

/** The 4 bytes that start every KPL aggregated record. @public */
export const KPL_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);

/** Length of the MD5 trailer. @public */
export const KPL_DIGEST_BYTES = 16;

/** Magic plus digest: the bytes an aggregate adds around its protobuf message. @public */
export const KPL_FIXED_OVERHEAD_BYTES = KPL_MAGIC.length + KPL_DIGEST_BYTES;

/**
 * The KPL's proto2 schema (`aws/kinesis/protobuf/messages.proto`), as protobufjs reflection.
 * Shardline's own codec is hand-written for speed and tested byte for byte against this.
 * @public
 */
export function createAggregatedRecordSchema(): { AggregatedRecord: protobuf.Type; Record: protobuf.Type; Tag: protobuf.Type } {
  // Parsed from .proto text: protobufjs gives JSON-defined schemas proto3 presence rules, which
  // would drop an explicit_hash_key_index of 0 that the KPL writes.
  const { root } = protobuf.parse(KPL_MESSAGES_PROTO, { keepCase: true });
  return {
    AggregatedRecord: root.lookupType('AggregatedRecord'),
    Record: root.lookupType('Record'),
    Tag: root.lookupType('Tag'),
  };
}

/** `aws/kinesis/protobuf/messages.proto` of the KPL (aggregation messages only). @public */
export const KPL_MESSAGES_PROTO = `syntax = "proto2";
message AggregatedRecord {
  repeated string partition_key_table = 1;
  repeated string explicit_hash_key_table = 2;
  repeated Record records = 3;
}
message Tag {
  required string key = 1;
  optional string value = 2;
}
message Record {
  required uint64 partition_key_index = 1;
  optional uint64 explicit_hash_key_index = 2;
  required bytes data = 3;
  repeated Tag tags = 4;
}
`;

/** Bytes a protobuf varint of `value` takes (value ≤ 2^53). */
export function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : largeVarintSize(value);
}

function largeVarintSize(value: number): number {
  let n = 4;
  value = Math.floor(value / 0x10000000);
  while (value > 0) {
    n++;
    value = Math.floor(value / 0x80);
  }
  return n;
}

/** Writes a varint at `offset`; returns the offset after it. */
export function writeVarint(buf: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    buf[offset++] = (value & 0x7f) | 0x80;
    value = value >= 0x100000000 ? Math.floor(value / 0x80) : value >>> 7;
  }
  buf[offset++] = value;
  return offset;
}

/** Exact bytes of a `Record` entry (tag, length and body) inside an AggregatedRecord. */
export function recordEntrySize(partitionKeyIndex: number, explicitHashKeyIndex: number, dataLength: number): number {
  const body = 1 + varintSize(partitionKeyIndex) + (explicitHashKeyIndex >= 0 ? 1 + varintSize(explicitHashKeyIndex) : 0) + 1 + varintSize(dataLength) + dataLength;
  return 1 + varintSize(body) + body;
}

/** Exact bytes of one key-table entry (tag, length and UTF-8 bytes). */
export function tableEntrySize(utf8Length: number): number {
  return 1 + varintSize(utf8Length) + utf8Length;
}

/**
 * MD5 digest of `data` as a Buffer: node:crypto's one-shot `hash` where it exists (Node ≥ 20.12),
 * which skips creating a Hash object per aggregate.
 */
export const md5Digest: (data: Uint8Array) => Buffer =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash(alg: string, d: Uint8Array, enc: 'buffer'): Buffer }).hash('md5', data, 'buffer')
    : (data) => crypto.createHash('md5').update(data).digest();
