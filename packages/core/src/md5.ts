/**
 * MD5 in plain JavaScript, for the one job where node:crypto is slow: hashing millions of short
 * partition keys. A crypto call costs ~1.5 µs of binding overhead for a 36-byte key; this costs a
 * fraction of that. Output is the digest as four big-endian 32-bit words (word 0 = digest bytes
 * 0..3), which is what hash-key comparisons need. For long inputs, use node:crypto.
 */

const S = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

/** Reusable working memory of one hasher; never shared between hashers. */
export class Md5Scratch {
  /** Message bytes, padded; grows for long keys. */
  bytes = new Uint8Array(320);
  readonly words = new Int32Array(16);
}

function bswap(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * Writes the UTF-8 bytes of `text` into the scratch buffer and returns their count. ASCII is
 * copied directly; anything else goes through the UTF-8 encoder.
 */
function encodeUtf8(text: string, scratch: Md5Scratch): number {
  const n = text.length;
  if (scratch.bytes.length < n * 3 + 72) scratch.bytes = new Uint8Array(n * 3 + 72);
  const bytes = scratch.bytes;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return new TextEncoder().encodeInto(text, bytes).written;
    bytes[i] = c;
  }
  return n;
}

/**
 * MD5 of the UTF-8 bytes of `text`, as four unsigned big-endian words written to `out[offset..+3]`.
 * `scratch` must belong to the caller (one per hasher) so that no module state is shared.
 */
export function md5Utf8Words(text: string, out: Uint32Array, offset: number, scratch: Md5Scratch): void {
  const length = encodeUtf8(text, scratch);
  md5BytesWords(scratch, length, out, offset);
}

function md5BytesWords(scratch: Md5Scratch, length: number, out: Uint32Array, offset: number): void {
  const bytes = scratch.bytes;
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little-endian.
  const total = ((length + 8) >>> 6) * 64 + 64;
  if (bytes.length < total) {
    const grown = new Uint8Array(total);
    grown.set(bytes.subarray(0, length));
    scratch.bytes = grown;
    return md5BytesWords(scratch, length, out, offset);
  }
  bytes[length] = 0x80;
  bytes.fill(0, length + 1, total - 8);
  const bits = length * 8;
  bytes[total - 8] = bits & 0xff;
  bytes[total - 7] = (bits >>> 8) & 0xff;
  bytes[total - 6] = (bits >>> 16) & 0xff;
  bytes[total - 5] = (bits >>> 24) & 0xff;
  const high = Math.floor(bits / 2 ** 32);
  bytes[total - 4] = high & 0xff;
  bytes[total - 3] = (high >>> 8) & 0xff;
  bytes[total - 2] = (high >>> 16) & 0xff;
  bytes[total - 1] = (high >>> 24) & 0xff;

  const w = scratch.words;
  let a0 = 0x67452301 | 0;
  let b0 = 0xefcdab89 | 0;
  let c0 = 0x98badcfe | 0;
  let d0 = 0x10325476 | 0;
  for (let block = 0; block < total; block += 64) {
    for (let i = 0; i < 16; i++) {
      const p = block + i * 4;
      w[i] = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 24);
    }
    let a = a0;
    let b = b0;
    let c = c0;
    let d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) & 15;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) & 15;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) & 15;
      }
      const t = d;
      d = c;
      c = b;
      const x = (a + f + K[i]! + w[g]!) | 0;
      const s = S[i]!;
      b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
      a = t;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  out[offset] = bswap(a0);
  out[offset + 1] = bswap(b0);
  out[offset + 2] = bswap(c0);
  out[offset + 3] = bswap(d0);
}

/** Four big-endian words of a 128-bit hash key (inverse of {@link wordsToHashKey}). */
export function hashKeyToWords(hashKey: bigint, out: Uint32Array, offset: number): void {
  out[offset] = Number((hashKey >> 96n) & 0xffffffffn);
  out[offset + 1] = Number((hashKey >> 64n) & 0xffffffffn);
  out[offset + 2] = Number((hashKey >> 32n) & 0xffffffffn);
  out[offset + 3] = Number(hashKey & 0xffffffffn);
}

/** The 128-bit hash key of four big-endian words. */
export function wordsToHashKey(words: ArrayLike<number>, offset = 0): bigint {
  return (BigInt(words[offset]!) << 96n) | (BigInt(words[offset + 1]!) << 64n) | (BigInt(words[offset + 2]!) << 32n) | BigInt(words[offset + 3]!);
}

/** Compares two 128-bit keys stored as big-endian word quadruples. */
export function compareHashWords(a: Uint32Array, ai: number, b: Uint32Array, bi: number): number {
  for (let k = 0; k < 4; k++) {
    const x = a[ai + k]!;
    const y = b[bi + k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
