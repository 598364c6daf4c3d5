import * as crypto from 'node:crypto';
import fc from 'fast-check';
import { InvalidExplicitHashKeyError, InvalidPartitionKeyError } from './errors';
import { effectiveHashKey, utf8ByteLength, MAX_HASH_KEY, parseExplicitHashKey, partitionKeyToHashKey, validatePartitionKey } from './hashKey';
import { evenHashKeyRanges, findRangeIndex, parseHashKeyRange, rangeContains } from './HashKeyRange';

function referenceHashKey(pk: string): bigint {
  const digest = crypto.createHash('md5').update(Buffer.from(pk, 'utf8')).digest();
  let h = 0n;
  for (const byte of digest) h = (h << 8n) | BigInt(byte);
  return h;
}

describe('partitionKeyToHashKey', () => {
  it('maps "a" and "user-42" to the big-endian value of their MD5 digest', () => {
    expect(partitionKeyToHashKey('a')).toBe(16955237001963240173058271559858726497n);
    expect(partitionKeyToHashKey('user-42')).toBe(157107139746365290205026809710278036035n);
  });

  it('is MD5 of the UTF-8 bytes read big-endian, for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 256 }), (pk) => {
        const h = partitionKeyToHashKey(pk);
        expect(h).toBe(referenceHashKey(pk));
        expect(h >= 0n && h <= MAX_HASH_KEY).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('validatePartitionKey', () => {
  it('accepts 1 to 256 characters', () => {
    expect(() => validatePartitionKey('x')).not.toThrow();
    expect(() => validatePartitionKey('é'.repeat(256))).not.toThrow();
  });

  it('names the problem for a key of 257 characters, an empty key and a non-string', () => {
    expect(() => validatePartitionKey('k'.repeat(257))).toThrow(new InvalidPartitionKeyError('partitionKey must be 1 to 256 characters long (got 257)'));
    expect(() => validatePartitionKey('')).toThrow(/got 0/);
    expect(() => validatePartitionKey(42)).toThrow(/must be a string \(got number\)/);
  });
});

describe('parseExplicitHashKey', () => {
  it('accepts 0 and 2^128 - 1', () => {
    expect(parseExplicitHashKey('0')).toBe(0n);
    expect(parseExplicitHashKey('340282366920938463463374607431768211455')).toBe(MAX_HASH_KEY);
  });

  it('rejects 2^128, leading zeros, signs, and non-strings with a typed error', () => {
    for (const bad of ['340282366920938463463374607431768211456', '01', '-1', '+1', '1e5', '', ' 1', '1'.repeat(40)]) {
      expect(() => parseExplicitHashKey(bad)).toThrow(InvalidExplicitHashKeyError);
    }
    expect(() => parseExplicitHashKey(5)).toThrow(/decimal string/);
    expect(() => parseExplicitHashKey('340282366920938463463374607431768211456')).toThrow(/at most 2\^128 - 1/);
  });

  it('round-trips every value in range (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), (v) => {
        expect(parseExplicitHashKey(v.toString())).toBe(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('effectiveHashKey prefers the explicit hash key', () => {
    expect(effectiveHashKey('a')).toBe(partitionKeyToHashKey('a'));
    expect(effectiveHashKey('a', '42')).toBe(42n);
  });
});

describe('hash-key ranges', () => {
  it('splits the space evenly and covers it without gaps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (n) => {
        const ranges = evenHashKeyRanges(n);
        expect(ranges[0]!.startingHashKey).toBe(0n);
        expect(ranges[n - 1]!.endingHashKey).toBe(MAX_HASH_KEY);
        for (let i = 1; i < n; i++) expect(ranges[i]!.startingHashKey).toBe(ranges[i - 1]!.endingHashKey + 1n);
      }),
    );
  });

  it('findRangeIndex agrees with a linear scan, including holes (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), fc.nat(63), (n, h, hole) => {
        const ranges = evenHashKeyRanges(n);
        if (n > 1) ranges.splice(hole % n, 1);
        const linear = ranges.findIndex((r) => rangeContains(r, h));
        expect(findRangeIndex(ranges, h)).toBe(linear);
      }),
      { numRuns: 3000 },
    );
  });

  it('parses SDK ranges and rejects inverted ones', () => {
    expect(parseHashKeyRange({ StartingHashKey: '0', EndingHashKey: '10' })).toEqual({ startingHashKey: 0n, endingHashKey: 10n });
    expect(() => parseHashKeyRange({ StartingHashKey: '11', EndingHashKey: '10' })).toThrow(/not a valid hash-key range/);
  });
});

describe('utf8ByteLength', () => {
  it('equals Buffer.byteLength for any string (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' })), (s) => expect(utf8ByteLength(s)).toBe(Buffer.byteLength(s, 'utf8'))),
      { numRuns: 2000 },
    );
  });
});
