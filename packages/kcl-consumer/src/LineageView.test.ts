import { ExtendedSequenceNumber as ESN } from '@shardline/core';
import { type Lease, newLease } from '@shardline/dynamo-lease';
import { LineageView, parentLeaseKey } from './LineageView';

const lease = (leaseKey: string, checkpoint: ESN, parentShardIds: string[] = []): Lease => newLease({ leaseKey, checkpoint, parentShardIds });

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** A view whose `fetch` reads from `table` (leases the last scan did not show) and counts reads. */
function view(table: Record<string, Lease> = {}): { lineage: LineageView; fetched: string[] } {
  const fetched: string[] = [];
  const lineage = new LineageView(async (key) => {
    fetched.push(key);
    return table[key];
  });
  return { lineage, fetched };
}

/** Starts waiting; `state()` tells whether it settled, and with what. */
function waitOn(lineage: LineageView, child: Lease, signal = new AbortController().signal): { state: () => boolean | 'pending'; done: Promise<boolean> } {
  let result: boolean | 'pending' = 'pending';
  const done = lineage.waitForParents(child, signal).then((r) => (result = r));
  return { state: () => result, done };
}

describe('LineageView', () => {
  const parent = lease('shardId-000000000000', new ESN('100'));
  const other = lease('shardId-000000000001', new ESN('200'));
  const split = lease('shardId-000000000002', ESN.TRIM_HORIZON, ['shardId-000000000000']);
  const merged = lease('shardId-000000000003', ESN.TRIM_HORIZON, ['shardId-000000000000', 'shardId-000000000001']);

  it('a parent with an unfinished lease blocks its child', async () => {
    const { lineage } = view();
    lineage.update([parent, split]);
    await expect(lineage.unfinishedParents(split)).resolves.toEqual(['shardId-000000000000']);
    const wait = waitOn(lineage, split);
    await settle();
    expect(wait.state()).toBe('pending');
  });

  it('finished (SHARD_END) parents do not block', async () => {
    const { lineage } = view();
    lineage.update([lease(parent.leaseKey, ESN.SHARD_END), lease(other.leaseKey, ESN.SHARD_END), merged]);
    await expect(lineage.unfinishedParents(merged)).resolves.toEqual([]);
    await expect(lineage.waitForParents(merged, new AbortController().signal)).resolves.toBe(true);
  });

  it('a parent with no lease does not block (read once when the scan did not show it)', async () => {
    const { lineage, fetched } = view();
    lineage.update([split]);
    await expect(lineage.waitForParents(split, new AbortController().signal)).resolves.toBe(true);
    expect(fetched).toEqual(['shardId-000000000000']);
  });

  it('a parent the last scan did not show, but that has an unfinished lease, blocks', async () => {
    const { lineage, fetched } = view({ [parent.leaseKey]: parent });
    lineage.update([merged, lease(other.leaseKey, ESN.SHARD_END)]);
    await expect(lineage.unfinishedParents(merged)).resolves.toEqual(['shardId-000000000000']);
    expect(fetched).toEqual(['shardId-000000000000']);
  });

  it('a merge child waits until both parents finish', async () => {
    const { lineage } = view();
    lineage.update([parent, other, merged]);
    const wait = waitOn(lineage, merged);
    lineage.markFinished(parent.leaseKey);
    await settle();
    expect(wait.state()).toBe('pending');
    await expect(lineage.unfinishedParents(merged)).resolves.toEqual(['shardId-000000000001']);
    lineage.markFinished(other.leaseKey);
    await expect(wait.done).resolves.toBe(true);
  });

  it('markFinished wakes a waiting child', async () => {
    const { lineage } = view();
    lineage.update([parent, split]);
    const wait = waitOn(lineage, split);
    await settle();
    lineage.markFinished(parent.leaseKey);
    await expect(wait.done).resolves.toBe(true);
  });

  it('a scan that shows the parent SHARD_END (another worker finished it) wakes a waiting child', async () => {
    const { lineage } = view();
    lineage.update([parent, split]);
    const wait = waitOn(lineage, split);
    await settle();
    lineage.update([parent, split]);
    await settle();
    expect(wait.state()).toBe('pending');
    lineage.update([lease(parent.leaseKey, ESN.SHARD_END), split]);
    await expect(wait.done).resolves.toBe(true);
  });

  it('a shard end seen here outlives a scan taken before its checkpoint landed', async () => {
    const { lineage } = view();
    lineage.markFinished(parent.leaseKey);
    lineage.update([parent, split]); // stale: still shows 100
    await expect(lineage.unfinishedParents(split)).resolves.toEqual([]);
  });

  it('forget: a deleted parent lease no longer counts', async () => {
    const { lineage } = view();
    lineage.markFinished(parent.leaseKey);
    lineage.forget(parent.leaseKey);
    lineage.update([split]); // the parent's lease is gone from the table
    await expect(lineage.unfinishedParents(split)).resolves.toEqual([]);
  });

  it('aborting the signal resolves the wait false', async () => {
    const { lineage } = view();
    lineage.update([parent, split]);
    const controller = new AbortController();
    const wait = waitOn(lineage, split, controller.signal);
    await settle();
    controller.abort();
    await expect(wait.done).resolves.toBe(false);
    const aborted = new AbortController();
    aborted.abort();
    await expect(lineage.waitForParents(lease(split.leaseKey, ESN.TRIM_HORIZON), aborted.signal)).resolves.toBe(false);
  });

  it('multi-stream lease keys: parents are looked up under the child’s stream prefix', async () => {
    const prefix = '123456789012:orders:1700000000:';
    const msParent = lease(`${prefix}shardId-000000000000`, new ESN('5'));
    const msChild = lease(`${prefix}shardId-000000000002`, ESN.TRIM_HORIZON, ['shardId-000000000000']);
    expect(parentLeaseKey(msChild.leaseKey, 'shardId-000000000000')).toBe(msParent.leaseKey);
    expect(parentLeaseKey('shardId-000000000002', 'shardId-000000000000')).toBe('shardId-000000000000');
    const { lineage } = view();
    lineage.update([msParent, msChild, parent]); // a single-stream lease of the same shard id is another shard
    await expect(lineage.unfinishedParents(msChild)).resolves.toEqual([msParent.leaseKey]);
    lineage.markFinished(msParent.leaseKey);
    await expect(lineage.unfinishedParents(msChild)).resolves.toEqual([]);
  });
});
