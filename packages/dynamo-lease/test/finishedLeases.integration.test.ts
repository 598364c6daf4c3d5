import { ExtendedSequenceNumber } from '@shardline/core';
import { uniqueName } from '@shardline/testkit';
import { LeaseCoordinator, type Lease } from '../src';
import { DynamoHarness } from './helpers';

let dynamo: DynamoHarness;
beforeAll(async () => {
  dynamo = await DynamoHarness.start();
});
afterAll(async () => {
  await dynamo.stop();
});

describe('LeaseCoordinator and finished shards', () => {
  it('never takes or counts a lease checkpointed SHARD_END, reports every scan, and stops taking on request', async () => {
    const tableName = uniqueName('finished');
    const client = dynamo.client();
    const a = new LeaseCoordinator({ tableName, workerId: 'a', failoverTimeMs: 1500, takerIntervalMs: 60_000, client });
    try {
      await a.init();
      await a.createLeasesIfNotExist([{ leaseKey: 'done-0', checkpoint: ExtendedSequenceNumber.SHARD_END }, { leaseKey: 'open-0' }, { leaseKey: 'open-1' }]);
      const scans: (readonly Lease[])[] = [];
      a.on('leasesScanned', (leases) => scans.push(leases));
      await a.start();
      const decision = await a.takeLeases();
      expect(
        a
          .heldLeases()
          .map((l) => l.leaseKey)
          .sort(),
      ).toEqual(['open-0', 'open-1']);
      expect(decision?.totalLeases).toBe(2);
      expect(scans.length).toBeGreaterThanOrEqual(2);
      expect(
        scans
          .at(-1)!
          .map((l) => l.leaseKey)
          .sort(),
      ).toEqual(['done-0', 'open-0', 'open-1']);

      await a.createLeasesIfNotExist([{ leaseKey: 'open-2' }]);
      await a.stopTaking();
      await a.takeLeases();
      expect(
        a
          .heldLeases()
          .map((l) => l.leaseKey)
          .sort(),
      ).toEqual(['open-0', 'open-1']);
    } finally {
      await a.close();
    }
  });
});
