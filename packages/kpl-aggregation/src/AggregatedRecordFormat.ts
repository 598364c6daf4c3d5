import * as crypto from 'node:crypto';

/** The 4 bytes that start every KPL aggregated record. @public */
export const KPL_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);

/** Length of the MD5 trailer. @public */
export const KPL_DIGEST_BYTES = 16;

/** Magic plus digest: the bytes an aggregate adds around its protobuf message. @public */
export const KPL_FIXED_OVERHEAD_BYTES = KPL_MAGIC.length + KPL_DIGEST_BYTES;

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
