import * as crypto from 'node:crypto';
import fc from 'fast-check';
import { MAX_HASH_KEY, partitionKeyToHashKey } from '@shardline/core';
import { compareHashWords, hashKeyToWords, Md5Scratch, md5Utf8Words, wordsToHashKey } from './md5';

describe('md5Utf8Words', () => {
  const scratch = new Md5Scratch();
  const out = new Uint32Array(4);

  it('matches node:crypto for any string, including multi-block and non-ASCII keys (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 80 })), (s) => {
        md5Utf8Words(s, out, 0, scratch);
        const expected = crypto.createHash('md5').update(s, 'utf8').digest('hex');
        const actual = [...out].map((w) => w.toString(16).padStart(8, '0')).join('');
        expect(actual).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives the hash keys that node:crypto\'s MD5 gives for "a", "" and "user-42"', () => {
    md5Utf8Words('a', out, 0, scratch);
    expect(wordsToHashKey(out)).toBe(16955237001963240173058271559858726497n);
    md5Utf8Words('', out, 0, scratch);
    expect(wordsToHashKey(out)).toBe(BigInt('0xd41d8cd98f00b204e9800998ecf8427e'));
    md5Utf8Words('user-42', out, 0, scratch);
    expect(wordsToHashKey(out)).toBe(partitionKeyToHashKey('user-42'));
  });

  it('converts between words and bigint and compares like bigint (property)', () => {
    const key = fc.bigInt({ min: 0n, max: MAX_HASH_KEY });
    fc.assert(
      fc.property(key, key, (x, y) => {
        const w = new Uint32Array(8);
        hashKeyToWords(x, w, 0);
        hashKeyToWords(y, w, 4);
        expect(wordsToHashKey(w, 0)).toBe(x);
        expect(Math.sign(compareHashWords(w, 0, w, 4))).toBe(x === y ? 0 : x < y ? -1 : 1);
      }),
    );
  });
});
