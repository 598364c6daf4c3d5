import { ExtendedSequenceNumber as ESN } from '@shardline/core';
import { type Lease, newLease } from '@shardline/dynamo-lease';
import { leasesToCleanUp } from './LeaseCleanup';
import type { ListedShard } from './planShardLeases';
import type { TrackedStream } from './streams';

const RANGE = { startingHashKey: 0n, endingHashKey: 2n ** 128n - 1n };
const id = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;

const single: TrackedStream = { streamName: 'orders', initialPosition: 'TRIM_HORIZON', identifier: undefined };
const ordersMs: TrackedStream = { streamName: 'orders', initialPosition: 'TRIM_HORIZON', identifier: '123456789012:orders:1700000000' };
const paymentsMs: TrackedStream = { streamName: 'payments', initialPosition: 'LATEST', identifier: '123456789012:payments:1700000001' };

function lease(stream: TrackedStream, n: number, checkpoint: ESN, extra: { children?: number[]; parents?: number[] } = {}): Lease {
  const key = (m: number): string => (stream.identifier ? `${stream.identifier}:${id(m)}` : id(m));
  return {
    ...newLease({ leaseKey: key(n), checkpoint, parentShardIds: (extra.parents ?? []).map(id) }),
    childShardIds: (extra.children ?? []).map(id),
  };
}

function shard(n: number, parents: number[] = [], open = true): ListedShard {
  return {
    shardId: id(n),
    range: RANGE,
    open,
    ...(parents[0] !== undefined ? { parentShardId: id(parents[0]) } : {}),
    ...(parents[1] !== undefined ? { adjacentParentShardId: id(parents[1]) } : {}),
  };
}

// 0 split into 1 and 2; 3 and 4 merged into 5.
const LISTED = [shard(0, [], false), shard(1, [0]), shard(2, [0]), shard(3, [], false), shard(4, [], false), shard(5, [3, 4])];
const listing = (entries: [TrackedStream, ListedShard[]][]) => new Map(entries.map(([s, l]) => [s.streamName, l] as const));

const decide = (leases: Lease[], streams: TrackedStream[] = [single], shards = listing([[single, LISTED]])) => Object.fromEntries(leasesToCleanUp(leases, streams, shards));

describe('leasesToCleanUp', () => {
  it("a finished lease whose children all have leases is 'completed'", () => {
    const leases = [lease(single, 0, ESN.SHARD_END, { children: [1, 2] }), lease(single, 1, ESN.TRIM_HORIZON, { parents: [0] }), lease(single, 2, new ESN('7'), { parents: [0] })];
    expect(decide(leases)).toEqual({ [id(0)]: 'completed' });
  });

  it('a finished lease is kept while one of its children has no lease', () => {
    const leases = [lease(single, 0, ESN.SHARD_END, { children: [1, 2] }), lease(single, 1, ESN.TRIM_HORIZON, { parents: [0] })];
    expect(decide(leases)).toEqual({});
  });

  it('a finished lease without childShardIds takes its children from ListShards', () => {
    const merged = [lease(single, 3, ESN.SHARD_END), lease(single, 4, ESN.SHARD_END), lease(single, 5, ESN.TRIM_HORIZON, { parents: [3, 4] })];
    expect(decide(merged)).toEqual({ [id(3)]: 'completed', [id(4)]: 'completed' });
    expect(decide([lease(single, 0, ESN.SHARD_END), lease(single, 1, ESN.TRIM_HORIZON)])).toEqual({});
  });

  it('a finished lease with no children at all is kept', () => {
    expect(decide([lease(single, 1, ESN.SHARD_END)])).toEqual({});
  });

  it('an unfinished lease is kept, whatever its children', () => {
    const leases = [lease(single, 0, new ESN('99'), { children: [1, 2] }), lease(single, 1, ESN.TRIM_HORIZON), lease(single, 2, ESN.TRIM_HORIZON), lease(single, 3, ESN.TRIM_HORIZON)];
    expect(decide(leases)).toEqual({});
  });

  it("a lease whose shard ListShards no longer reports is 'shard-gone', finished or not", () => {
    const leases = [lease(single, 42, new ESN('5')), lease(single, 43, ESN.SHARD_END, { children: [44] }), lease(single, 1, ESN.TRIM_HORIZON)];
    expect(decide(leases)).toEqual({ [id(42)]: 'shard-gone', [id(43)]: 'shard-gone' });
  });

  it('the leases of a stream whose listing failed are left alone', () => {
    const leases = [lease(ordersMs, 0, ESN.SHARD_END, { children: [1, 2] }), lease(ordersMs, 1, ESN.TRIM_HORIZON), lease(ordersMs, 2, ESN.TRIM_HORIZON), lease(ordersMs, 42, new ESN('5'))];
    expect(decide(leases, [ordersMs], new Map())).toEqual({});
    expect(decide([lease(single, 42, new ESN('5'))], [single], new Map())).toEqual({});
  });

  it('multi-stream: each stream is judged by its own listing, children by their keys in the same stream', () => {
    const leases = [
      lease(ordersMs, 0, ESN.SHARD_END, { children: [1, 2] }),
      lease(ordersMs, 1, ESN.TRIM_HORIZON),
      lease(ordersMs, 2, ESN.TRIM_HORIZON),
      lease(ordersMs, 42, new ESN('5')),
      // payments' listing failed: its leases are untouched although these shard ids are unknown.
      lease(paymentsMs, 0, ESN.SHARD_END, { children: [1, 2] }),
      lease(paymentsMs, 1, ESN.TRIM_HORIZON),
      lease(paymentsMs, 2, ESN.TRIM_HORIZON),
      lease(paymentsMs, 77, new ESN('5')),
    ];
    expect(decide(leases, [ordersMs, paymentsMs], listing([[ordersMs, LISTED]]))).toEqual({
      [`${ordersMs.identifier}:${id(0)}`]: 'completed',
      [`${ordersMs.identifier}:${id(42)}`]: 'shard-gone',
    });
  });

  it("multi-stream: a child leased in another stream does not complete this stream's parent", () => {
    const leases = [lease(ordersMs, 0, ESN.SHARD_END, { children: [1, 2] }), lease(paymentsMs, 1, ESN.TRIM_HORIZON), lease(paymentsMs, 2, ESN.TRIM_HORIZON)];
    expect(
      decide(
        leases,
        [ordersMs, paymentsMs],
        listing([
          [ordersMs, LISTED],
          [paymentsMs, LISTED],
        ]),
      ),
    ).toEqual({});
  });

  it('leases of streams this worker does not track, and single-stream keys in multi-stream mode, are left alone', () => {
    const leases = [lease(single, 42, new ESN('5')), lease(paymentsMs, 42, new ESN('5'))];
    expect(decide(leases, [ordersMs], listing([[ordersMs, LISTED]]))).toEqual({});
    expect(decide([lease(ordersMs, 42, new ESN('5'))], [single], listing([[single, LISTED]]))).toEqual({});
  });
});
