import fc from 'fast-check';
import { MAX_HASH_KEY } from '@shardline/core';

/** User records with the keys that break other encoders: integer-like, multi-byte, 256 chars, with and without EHK. */
export const userRecordArb = fc
  .record(
    {
      partitionKey: fc.oneof(fc.string({ minLength: 1, maxLength: 256 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }), fc.constantFrom('2', '10', 'b', '0', 'pk1')),
      explicitHashKey: fc.option(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }).map(String), { nil: undefined }),
      data: fc.uint8Array({ maxLength: 600 }),
    },
    { requiredKeys: ['partitionKey', 'data'] },
  )
  .filter((r) => r.partitionKey.length <= 256);
