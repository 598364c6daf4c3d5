import { type Lease, newLease } from '@shardline/dynamo-lease';
import { Worker } from '../Worker';
import { WorkerEventLog } from './WorkerEventLog';

const lease = (leaseKey: string, extra: Partial<Lease> = {}): Lease => ({ ...newLease({ leaseKey }), ...extra });

function newWorker(): Worker {
  return new Worker({ applicationName: 'orders-app', streamName: 'orders', workerId: 'worker-a', handler: () => undefined, clientOptions: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' } });
}

describe('WorkerEventLog', () => {
  it('keeps the newest `capacity` events, oldest first, numbered and stamped', () => {
    let now = 1_000;
    const log = new WorkerEventLog({ capacity: 3, clock: { now: () => now++ } });
    for (let i = 0; i < 5; i++) log.record({ kind: 'shardStarted', leaseKey: `shard-${i}` });
    expect(log.list().map((e) => [e.seq, e.leaseKey, e.at])).toEqual([
      [3, 'shard-2', 1_002],
      [4, 'shard-3', 1_003],
      [5, 'shard-4', 1_004],
    ]);
    expect(log.list(4).map((e) => e.seq)).toEqual([5]);
    expect(log.total).toBe(5);
    expect(() => new WorkerEventLog({ capacity: 0 })).toThrow(RangeError);
  });

  it('turns the coordinator’s and the worker’s events into taken, stolen, lost, released and shard events', async () => {
    const worker = newWorker();
    const log = new WorkerEventLog();
    const detach = log.attach(worker);
    const c = worker.coordinator;
    c.emit('leasesScanned', [lease('s-0'), lease('s-1', { leaseOwner: 'worker-b' }), lease('s-2', { leaseOwner: 'worker-b' })]);
    c.emit('leaseAcquired', lease('s-0', { leaseOwner: 'worker-a' }));
    c.emit('leaseAcquired', lease('s-1', { leaseOwner: 'worker-a' }));
    worker.emit('shardStarted', 's-0');
    c.emit('leaseLost', lease('s-1'), 'taken');
    c.emit('leaseLost', lease('s-0'), 'expired');
    c.emit('leaseHandoffRequested', lease('s-0', { leaseOwner: 'worker-c', checkpointOwner: 'worker-a' }));
    c.emit('leaseReleased', lease('s-0', { leaseOwner: 'worker-c' }));
    worker.emit('processorFailed', 's-0', 'failed');
    worker.emit('shardEnded', 's-0');
    worker.emit('leaseDeleted', 's-0');
    detach();
    c.emit('leaseAcquired', lease('s-9'));
    await worker.stop();
    expect(log.list().map(({ seq: _s, at: _a, ...e }) => e)).toEqual([
      { kind: 'leaseTaken', leaseKey: 's-0', from: null, to: 'worker-a' },
      { kind: 'leaseTaken', leaseKey: 's-1', from: 'worker-b', to: 'worker-a' },
      { kind: 'shardStarted', leaseKey: 's-0' },
      { kind: 'leaseStolen', leaseKey: 's-1', from: 'worker-a', detail: 'taken by another worker' },
      { kind: 'leaseLost', leaseKey: 's-0', from: 'worker-a', detail: 'not renewed within failoverTimeMs' },
      { kind: 'handoffRequested', leaseKey: 's-0', from: 'worker-a', to: 'worker-c' },
      { kind: 'leaseReleased', leaseKey: 's-0', from: 'worker-a', to: 'worker-c', detail: 'handed over' },
      { kind: 'processorFailed', leaseKey: 's-0', detail: 'failed' },
      { kind: 'shardEnded', leaseKey: 's-0', detail: 'SHARD_END checkpointed' },
      { kind: 'leaseDeleted', leaseKey: 's-0' },
    ]);
  });

  it('reports what scans show of other workers: new leases and moves between them, not the first scan', async () => {
    const worker = newWorker();
    const log = new WorkerEventLog();
    log.attach(worker);
    const c = worker.coordinator;
    c.emit('leasesScanned', [lease('s-0', { leaseOwner: 'worker-b' }), lease('s-1', { leaseOwner: 'worker-a' })]);
    expect(log.list()).toEqual([]);
    c.emit('leasesScanned', [
      lease('s-0'), // released by worker-b
      lease('s-1', { leaseOwner: 'worker-c' }), // this worker's loss comes from the coordinator, with its reason
      lease('s-2', { parentShardIds: ['s-0'] }),
    ]);
    c.emit('leasesScanned', [lease('s-0', { leaseOwner: 'worker-c' }), lease('s-1', { leaseOwner: 'worker-c' }), lease('s-2', { parentShardIds: ['s-0'] })]);
    await worker.stop();
    expect(log.list().map(({ seq: _s, at: _a, ...e }) => e)).toEqual([
      { kind: 'ownerChanged', leaseKey: 's-0', from: 'worker-b', to: null },
      { kind: 'leaseCreated', leaseKey: 's-2', detail: 'child of s-0' },
      { kind: 'ownerChanged', leaseKey: 's-0', from: null, to: 'worker-c' },
    ]);
  });
});
