import { ExtendedSequenceNumber, MAX_HASH_KEY, ProtocolError } from '@shardline/core';
import fc from 'fast-check';
import { newLease, type Lease } from './Lease';
import { isLeaseItem, leaseFromItem, leaseToItem } from './LeaseSerializer';

const sequence = fc.oneof(
  fc.constantFrom(...['TRIM_HORIZON', 'LATEST', 'SHARD_END', 'AT_TIMESTAMP'].map((s) => new ExtendedSequenceNumber(s))),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 56n }), fc.integer({ min: 0, max: 2 ** 31 })).map(([seq, sub]) => new ExtendedSequenceNumber(seq.toString(), sub)),
);
const shardId = fc.integer({ min: 0, max: 9999 }).map((n) => `shardId-${String(n).padStart(12, '0')}`);
const ids = fc.uniqueArray(shardId, { maxLength: 3 }).map((a) => a.sort());
const hashRange = fc
  .tuple(fc.bigInt({ min: 0n, max: MAX_HASH_KEY }), fc.bigInt({ min: 0n, max: MAX_HASH_KEY }))
  .map(([a, b]) => (a <= b ? { startingHashKey: a, endingHashKey: b } : { startingHashKey: b, endingHashKey: a }));

const leaseArb: fc.Arbitrary<Lease> = fc.record({
  leaseKey: fc.oneof(shardId, fc.string({ minLength: 1, maxLength: 80 })),
  leaseOwner: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
  leaseCounter: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  checkpoint: fc.option(sequence, { nil: undefined }),
  pendingCheckpoint: fc.option(sequence, { nil: undefined }),
  pendingCheckpointState: fc.option(fc.uint8Array({ minLength: 1, maxLength: 64 }), { nil: undefined }),
  ownerSwitchesSinceCheckpoint: fc.nat({ max: 1000 }),
  parentShardIds: ids,
  childShardIds: ids,
  hashKeyRange: fc.option(hashRange, { nil: undefined }),
  checkpointOwner: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
  throughputKBps: fc.option(fc.double({ min: 0, max: 1e6, noNaN: true }), { nil: undefined }),
});

describe('lease serialization', () => {
  it('round-trips every lease through the DynamoDB item', () => {
    fc.assert(
      fc.property(leaseArb, (lease) => {
        expect(leaseFromItem(leaseToItem(lease))).toEqual(lease);
      }),
    );
  });

  it('omits absent attributes and empty sets instead of writing empty values', () => {
    const item = leaseToItem({ ...newLease({ leaseKey: 's' }), checkpoint: undefined });
    expect(Object.keys(item).sort()).toEqual(['entityType', 'leaseCounter', 'leaseKey', 'ownerSwitchesSinceCheckpoint']);
    expect(item.entityType).toEqual({ S: 'LEASE' }); // the KCL 3.5 tags every lease it creates (M1)
  });

  it('treats items without entityType, or with LEASE, as leases; other KCL 3.5 entities are not', () => {
    expect(isLeaseItem({ leaseKey: { S: 'a' } })).toBe(true);
    expect(isLeaseItem({ leaseKey: { S: 'a' }, entityType: { S: 'LEASE' } })).toBe(true);
    expect(isLeaseItem({ leaseKey: { S: 'a' }, entityType: { S: 'WORKER_METRIC_STATS' } })).toBe(false);
  });

  it('names the lease and the attribute when an item is malformed', () => {
    expect(() => leaseFromItem({})).toThrow(ProtocolError);
    expect(() => leaseFromItem({ leaseKey: { S: 'k' }, leaseCounter: { S: '1' } })).toThrow('lease item "k": attribute leaseCounter is not an integer');
    expect(() => leaseFromItem({ leaseKey: { S: 'k' }, checkpoint: { S: 'LATER' } })).toThrow('lease item "k": checkpoint is not a sequence number or sentinel');
    expect(() => leaseFromItem({ leaseKey: { S: 'k' }, startingHashKey: { S: '-1' }, endingHashKey: { S: '5' } })).toThrow('attribute startingHashKey is not a hash key');
    expect(() => leaseFromItem({ leaseKey: { S: 'k' }, leaseOwner: { N: '1' } })).toThrow('attribute leaseOwner is not a string');
  });
});

describe('multi-stream lease attributes', () => {
  it('writes streamName and shardId as the KCL does, and reads them back', () => {
    const lease = newLease({ leaseKey: '123456789012:orders:1700000000:shardId-000000000001', streamIdentifier: '123456789012:orders:1700000000', shardId: 'shardId-000000000001' });
    const item = leaseToItem(lease);
    expect(item.streamName).toEqual({ S: '123456789012:orders:1700000000' });
    expect(item.shardId).toEqual({ S: 'shardId-000000000001' });
    expect(leaseFromItem(item)).toEqual(lease);
  });

  it('single-stream leases carry neither attribute', () => {
    const item = leaseToItem(newLease({ leaseKey: 'shardId-000000000001' }));
    expect(item.streamName).toBeUndefined();
    expect(item.shardId).toBeUndefined();
  });
});
