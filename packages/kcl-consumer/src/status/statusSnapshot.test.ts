import { ExtendedSequenceNumber as ESN } from '@shardline/core';
import { type Lease, newLease } from '@shardline/dynamo-lease';
import { Worker } from '../Worker';
import { buildLineage, buildStatusSnapshot, StatusSnapshotter, type StatusSource } from './statusSnapshot';
import { WorkerEventLog } from './WorkerEventLog';

const MAX = (1n << 128n) - 1n;
const HALF = MAX / 2n;

function lease(leaseKey: string, extra: Partial<Lease> = {}): Lease {
  return { ...newLease({ leaseKey }), ...extra };
}

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; monotonicNow: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => start + t, monotonicNow: () => t, advance: (ms) => void (t += ms) };
}

const source: StatusSource = {
  workerId: 'worker-a',
  options: { applicationName: 'orders-app', tableName: 'orders-app', multiStream: false, failoverTimeMs: 10_000, streams: [{ streamName: 'orders', initialPosition: 'LATEST' }] },
  lifecycle: 'running',
  shards: [
    {
      leaseKey: 'shardId-000000000001',
      shardId: 'shardId-000000000001',
      streamName: 'orders',
      state: 'processing',
      recordsProcessed: 42,
      millisBehindLatest: 1_500,
      lastBatchAt: 1_700_000_000_000,
      checkpoint: '49590338271490256608559692538361571095921575989136588802',
    },
  ],
  trackedStreams: [],
};

describe('buildStatusSnapshot', () => {
  const parent = lease('shardId-000000000000', {
    leaseOwner: undefined,
    leaseCounter: 7,
    checkpoint: ESN.SHARD_END,
    childShardIds: ['shardId-000000000001', 'shardId-000000000002'],
    hashKeyRange: { startingHashKey: 0n, endingHashKey: MAX },
  });
  const low = lease('shardId-000000000001', { leaseOwner: 'worker-a', leaseCounter: 3, parentShardIds: ['shardId-000000000000'], hashKeyRange: { startingHashKey: 0n, endingHashKey: HALF } });
  const high = lease('shardId-000000000002', {
    leaseOwner: 'worker-b',
    leaseCounter: 9,
    parentShardIds: ['shardId-000000000000'],
    checkpoint: new ESN('495903382714902566085596925383615710959215759891365888', 3),
    checkpointOwner: 'worker-c',
    hashKeyRange: { startingHashKey: HALF + 1n, endingHashKey: MAX },
  });

  it('lists every lease with owner, counter, checkpoint and parents, in hash-key order, and this worker’s shards', () => {
    const s = buildStatusSnapshot({ source, leases: [high, low, parent], leasesReadAt: 1, leasesError: null, events: [], now: 2 });
    expect(s.worker).toEqual({
      workerId: 'worker-a',
      applicationName: 'orders-app',
      tableName: 'orders-app',
      lifecycle: 'running',
      multiStream: false,
      failoverTimeMs: 10_000,
      streams: [{ streamName: 'orders', identifier: null }],
    });
    expect(s.leases.map((l) => l.leaseKey)).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
    expect(s.leases[0]).toMatchObject({ owner: null, counter: 7, checkpoint: 'SHARD_END', finished: true, childShardIds: ['shardId-000000000001', 'shardId-000000000002'], streamName: 'orders' });
    expect(s.leases[1]).toMatchObject({ owner: 'worker-a', heldHere: true, parentShardIds: ['shardId-000000000000'], checkpoint: 'TRIM_HORIZON', finished: false });
    expect(s.leases[2]).toMatchObject({
      owner: 'worker-b',
      heldHere: false,
      checkpointOwner: 'worker-c',
      checkpoint: '495903382714902566085596925383615710959215759891365888:3',
      hashKeyRange: { startingHashKey: (HALF + 1n).toString(), endingHashKey: MAX.toString() },
    });
    expect(s.shards).toEqual([{ ...source.shards[0], millisBehindLatest: 1_500 }]);
    expect(s.owners).toEqual([
      { workerId: 'worker-a', leases: 1, self: true },
      { workerId: 'worker-b', leases: 1, self: false },
    ]);
    expect(s.leasesReadAt).toBe(1);
    expect(s.generatedAt).toBe(2);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain JSON: no bigint, no undefined
  });

  it('this worker is listed as an owner even before it holds a lease', () => {
    const s = buildStatusSnapshot({ source, leases: [high], leasesReadAt: null, leasesError: null, events: [], now: 0 });
    expect(s.owners[0]).toEqual({ workerId: 'worker-a', leases: 0, self: true });
  });

  it('names the stream of multi-stream leases', () => {
    const multi: StatusSource = {
      ...source,
      options: {
        ...source.options,
        multiStream: true,
        streams: [
          { streamName: 'orders', initialPosition: 'LATEST' },
          { streamName: 'billing', initialPosition: 'LATEST' },
        ],
      },
      trackedStreams: [
        { streamName: 'orders', initialPosition: 'LATEST', identifier: '123456789012:orders:1700000000' },
        { streamName: 'billing', initialPosition: 'LATEST', identifier: '123456789012:billing:1700000001' },
      ],
    };
    const leases = [
      lease('123456789012:billing:1700000001:shardId-000000000000'),
      lease('123456789012:orders:1700000000:shardId-000000000000'),
      lease('123456789012:other:1700000002:shardId-000000000004'),
    ];
    const s = buildStatusSnapshot({ source: multi, leases, leasesReadAt: null, leasesError: null, events: [], now: 0 });
    expect(s.leases.map((l) => [l.streamName, l.shardId])).toEqual([
      ['billing', 'shardId-000000000000'],
      ['orders', 'shardId-000000000000'],
      ['other', 'shardId-000000000004'],
    ]);
  });
});

describe('buildLineage', () => {
  it('links parents and children through either side’s record, and counts generations', () => {
    // 0 splits into 1 and 2 (recorded on the children); 2 and 3 merge into 4 (recorded on the parents only).
    const leases = [
      lease('shardId-0', { childShardIds: ['shardId-1', 'shardId-2'] }),
      lease('shardId-1', { parentShardIds: ['shardId-0'] }),
      lease('shardId-2', { parentShardIds: ['shardId-0'], childShardIds: ['shardId-4'] }),
      lease('shardId-3', { childShardIds: ['shardId-4'] }),
      lease('shardId-4'),
      lease('shardId-5', { parentShardIds: ['shardId-trimmed'] }), // a parent without a lease is no node
    ];
    const { nodes, edges } = buildLineage(leases);
    expect(Object.fromEntries(nodes.map((n) => [n.leaseKey, n.generation]))).toEqual({ 'shardId-0': 0, 'shardId-1': 1, 'shardId-2': 1, 'shardId-3': 0, 'shardId-4': 2, 'shardId-5': 0 });
    expect(edges).toEqual(
      expect.arrayContaining([
        { parent: 'shardId-0', child: 'shardId-1' },
        { parent: 'shardId-0', child: 'shardId-2' },
        { parent: 'shardId-2', child: 'shardId-4' },
        { parent: 'shardId-3', child: 'shardId-4' },
      ]),
    );
    expect(edges).toHaveLength(4);
  });

  it('uses the multi-stream key prefix for parents, and survives a cycle in a malformed table', () => {
    const p = '123456789012:orders:1700000000:';
    const { edges } = buildLineage([lease(`${p}shardId-0`), lease(`${p}shardId-1`, { parentShardIds: ['shardId-0'] })]);
    expect(edges).toEqual([{ parent: `${p}shardId-0`, child: `${p}shardId-1` }]);
    const cyclic = buildLineage([lease('a', { parentShardIds: ['b'] }), lease('b', { parentShardIds: ['a'] })]);
    expect(cyclic.nodes).toHaveLength(2);
  });
});

describe('StatusSnapshotter', () => {
  it('reads the table once per leaseCacheMs however many snapshots are asked for, concurrent ones included', async () => {
    const clock = manualClock();
    let reads = 0;
    const snapshotter = new StatusSnapshotter(source, { clock, leaseCacheMs: 1_000, listLeases: async () => (reads++, [lease(`shardId-${reads}`)]) });
    const [a, b] = await Promise.all([snapshotter.snapshot(), snapshotter.snapshot()]);
    expect(reads).toBe(1);
    expect(a.leases).toEqual(b.leases);
    clock.advance(999);
    await snapshotter.snapshot();
    expect(reads).toBe(1);
    clock.advance(1);
    expect((await snapshotter.snapshot()).leases.map((l) => l.leaseKey)).toEqual(['shardId-2']);
    expect(reads).toBe(2);
  });

  it('takes the coordinator’s own scans as fresh reads', async () => {
    const clock = manualClock();
    let reads = 0;
    const snapshotter = new StatusSnapshotter(source, { clock, listLeases: async () => (reads++, []) });
    snapshotter.observe([lease('shardId-000000000007', { leaseOwner: 'worker-b' })]);
    const s = await snapshotter.snapshot();
    expect(reads).toBe(0);
    expect(s.leases.map((l) => l.owner)).toEqual(['worker-b']);
    expect(s.leasesReadAt).toBe(clock.now());
  });

  it('keeps the last leases and names the error while reads fail, without reading at every poll', async () => {
    const clock = manualClock();
    let fail = false;
    let reads = 0;
    const snapshotter = new StatusSnapshotter(source, {
      clock,
      listLeases: async () => {
        reads++;
        if (fail) throw Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:8000 (http://user:hunter2@10.1.2.3)'), { name: 'TimeoutError' });
        return [lease('shardId-000000000000')];
      },
    });
    const readAt = (await snapshotter.snapshot()).leasesReadAt;
    fail = true;
    clock.advance(1_000);
    const s = await snapshotter.snapshot();
    expect(s.leasesError).toBe('TimeoutError');
    expect(s.leases).toHaveLength(1);
    expect(s.leasesReadAt).toBe(readAt);
    expect(JSON.stringify(s)).not.toContain('hunter2');
    await snapshotter.snapshot();
    expect(reads).toBe(2);
    fail = false;
    clock.advance(1_000);
    expect((await snapshotter.snapshot()).leasesError).toBeNull();
  });
});

describe('nothing secret in a snapshot', () => {
  it('carries no credentials, client options, environment, record data or checkpoint state of a real worker', async () => {
    const accessKeyId = 'AKIAIOSFODNN7EXAMPLE';
    const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const sessionToken = 'FQoGZXIvYXdzEXAMPLESESSIONTOKEN';
    const recordData = 'card=4111111111111111';
    const worker = new Worker({
      applicationName: 'orders-app',
      streamName: 'orders',
      workerId: 'worker-a',
      handler: () => undefined,
      clientOptions: {
        region: 'eu-west-1',
        endpoint: 'http://127.0.0.1:1',
        credentials: { accessKeyId, secretAccessKey, sessionToken },
        env: { AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SESSION_TOKEN: sessionToken },
      },
    });
    const events = new WorkerEventLog();
    const detach = events.attach(worker);
    const state = Buffer.from(recordData);
    // A pending checkpoint's state is application bytes, often the record being worked on.
    const stored = lease('shardId-000000000000', { leaseOwner: 'worker-a', pendingCheckpoint: new ESN('123'), pendingCheckpointState: state });
    worker.coordinator.emit('leasesScanned', [lease('shardId-000000000000')]);
    worker.coordinator.emit('leaseAcquired', stored);
    worker.emit('shardStarted', stored.leaseKey);
    const snapshotter = new StatusSnapshotter(worker, { listLeases: async () => [stored], events: () => events.list() });
    const text = JSON.stringify(await snapshotter.snapshot());
    detach();
    await worker.stop();
    expect(text).toContain('shardId-000000000000');
    expect(text).toContain('"pendingCheckpoint":"123"');
    expect(text).toContain('"kind":"leaseTaken"');
    for (const secret of [accessKeyId, secretAccessKey, sessionToken, recordData, state.toString('base64'), state.toString('hex'), 'eu-west-1', '127.0.0.1:1']) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/credentials|clientOptions|AWS_/i);
  });
});
