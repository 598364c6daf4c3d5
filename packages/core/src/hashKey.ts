import * as crypto from 'node:crypto';
import { InvalidExplicitHashKeyError, InvalidPartitionKeyError } from './errors';

/** The largest hash key, 2^128 − 1. @public */
export const MAX_HASH_KEY: bigint = (1n << 128n) - 1n;

/** Maximum partition-key length in characters (UTF-16 code units, as the KPL counts them). @public */
export const MAX_PARTITION_KEY_LENGTH = 256;

const EXPLICIT_HASH_KEY_PATTERN = /^(0|[1-9]\d{0,38})$/;

// crypto.hash (Node ≥ 20.12) is a one-shot digest without a Hash object: ~2× faster for short keys.
const md5Hex: (data: string | Uint8Array) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) => (crypto as unknown as { hash(alg: string, d: string | Uint8Array, enc: 'hex'): string }).hash('md5', data, 'hex')
    : (data) => crypto.createHash('md5').update(data).digest('hex');

/**
 * Throws {@link InvalidPartitionKeyError} unless `partitionKey` is a string of 1 to 256 characters.
 * @public
 */
export function validatePartitionKey(partitionKey: unknown, field = 'partitionKey'): asserts partitionKey is string {
  if (typeof partitionKey !== 'string') {
    throw new InvalidPartitionKeyError(`${field} must be a string (got ${partitionKey === null ? 'null' : typeof partitionKey})`);
  }
  if (partitionKey.length === 0 || partitionKey.length > MAX_PARTITION_KEY_LENGTH) {
    throw new InvalidPartitionKeyError(`${field} must be 1 to ${MAX_PARTITION_KEY_LENGTH} characters long (got ${partitionKey.length})`);
  }
}

/**
 * UTF-8 length of a string in bytes, as Kinesis counts partition keys against the record size.
 * A scan of a short ASCII key is cheaper than Buffer.byteLength's native call.
 * @public
 */
export function utf8ByteLength(text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) if (text.charCodeAt(i) >= 0x80) return Buffer.byteLength(text, 'utf8');
  return n;
}

/**
 * The 128-bit hash key Kinesis derives from a partition key: the MD5 digest of its UTF-8 bytes read
 * as a big-endian unsigned integer.
 * @example partitionKeyToHashKey('a') === 16955237001963240173058271559858726497n
 * @public
 */
export function partitionKeyToHashKey(partitionKey: string): bigint {
  return BigInt('0x' + md5Hex(partitionKey));
}

/**
 * Parses and validates an explicit hash key: a decimal string matching `0|[1-9]\d{0,38}` whose value
 * is at most 2^128 − 1. Throws {@link InvalidExplicitHashKeyError} naming the problem.
 * @public
 */
export function parseExplicitHashKey(explicitHashKey: unknown, field = 'explicitHashKey'): bigint {
  if (typeof explicitHashKey !== 'string') {
    throw new InvalidExplicitHashKeyError(`${field} must be a decimal string (got ${typeof explicitHashKey})`);
  }
  if (!EXPLICIT_HASH_KEY_PATTERN.test(explicitHashKey)) {
    const shown = explicitHashKey.length > 48 ? explicitHashKey.slice(0, 48) + '…' : explicitHashKey;
    throw new InvalidExplicitHashKeyError(`${field} must be a decimal integer without leading zeros, at most 39 digits (got ${JSON.stringify(shown)})`);
  }
  const value = BigInt(explicitHashKey);
  if (value > MAX_HASH_KEY) {
    throw new InvalidExplicitHashKeyError(`${field} must be at most 2^128 - 1 = ${MAX_HASH_KEY} (got ${explicitHashKey})`);
  }
  return value;
}

/**
 * The effective hash key of a record: its explicit hash key when given, else the MD5 of its
 * partition key. Validates both.
 * @public
 */
export function effectiveHashKey(partitionKey: string, explicitHashKey?: string): bigint {
  validatePartitionKey(partitionKey);
  return explicitHashKey === undefined ? partitionKeyToHashKey(partitionKey) : parseExplicitHashKey(explicitHashKey);
}
