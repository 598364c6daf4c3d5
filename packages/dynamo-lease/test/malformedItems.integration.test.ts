import { PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { MemoryMetrics, ProtocolError } from '@shardline/core';
import { injectFaults, pollUntil, uniqueName } from '@shardline/testkit';
import { LeaseCoordinator, type Lease, type LeaseCoordinatorOptions } from '../src';
import { DynamoHarness, RecordingLogger } from './helpers';

let dynamo: DynamoHarness;
const running: LeaseCoordinator[] = [];
beforeAll(async () => {
  dynamo = await DynamoHarness.start();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await dynamo.stop();
});

/** Items as a hand-edit or a foreign tool could leave them: the KCL logs and skips such items. */
const BAD_COUNTER = { leaseKey: { S: 'bad-counter' }, leaseOwner: { S: 'x' }, leaseCounter: { S: '7' }, checkpoint: { S: 'TRIM_HORIZON' } };
const BAD_CHECKPOINT = { leaseKey: { S: 'bad-checkpoint' }, leaseCounter: { N: '1' }, checkpoint: { S: 'LATER' } };

function put(tableName: string, item: Record<string, AttributeValue>): Promise<unknown> {
  return dynamo.client().send(new PutItemCommand({ TableName: tableName, Item: item }));
}

function coordinator(tableName: string, workerId: string, options: Partial<LeaseCoordinatorOptions> = {}) {
  const logger = new RecordingLogger();
  const metrics = new MemoryMetrics();
  const client = dynamo.client();
  const c = new LeaseCoordinator({ tableName, workerId, failoverTimeMs: 1500, takerIntervalMs: 200, client, logger, metrics, ...options });
  running.push(c);
  return { c, logger, metrics, client };
}

describe('malformed lease items', () => {
  it('are skipped by start(), the taker and listLeases, logged once per item and problem, and counted; getLease refuses them by key', async () => {
    const tableName = uniqueName('malformed');
    const { c: a, logger, metrics } = coordinator(tableName, 'a');
    await a.init();
    await a.createLeasesIfNotExist([{ leaseKey: 's-0' }]);
    await put(tableName, BAD_COUNTER);
    await put(tableName, BAD_CHECKPOINT);
    const scans: (readonly Lease[])[] = [];
    a.on('leasesScanned', (leases) => scans.push(leases));

    await a.start(); // rejected with a ProtocolError before
    expect(await pollUntil(() => a.heldLeases().length === 1 && scans.length >= 4, 10_000)).toBe(true);
    expect(a.heldLeases().map((l) => l.leaseKey)).toEqual(['s-0']);
    expect(scans.at(-1)!.map((l) => l.leaseKey)).toEqual(['s-0']);
    expect((await a.table.listLeases()).map((l) => l.leaseKey)).toEqual(['s-0']);

    // One error line per item, however many scans saw it, naming the key and the problem.
    const reported = logger.find('error', 'malformed lease item');
    expect(reported.map((l) => l.fields.leaseKey).sort()).toEqual(['bad-checkpoint', 'bad-counter']);
    expect(String(reported.find((l) => l.fields.leaseKey === 'bad-counter')!.fields.problem)).toMatch(/leaseCounter is not an integer/);
    expect(String(reported.find((l) => l.fields.leaseKey === 'bad-checkpoint')!.fields.problem)).toMatch(/checkpoint is not a sequence number/);
    expect(metrics.value('dynamo_lease_malformed_items')).toBe(2);
    expect(metrics.total('dynamo_lease_malformed_items_total')).toBeGreaterThanOrEqual(2 * scans.length);

    // Point reads do not pretend the lease is absent: a typed error that names the key.
    await expect(a.table.getLease('bad-counter')).rejects.toThrow(ProtocolError);
    await expect(a.table.getLease('bad-counter')).rejects.toThrow('lease item "bad-counter"');

    // A different problem on the same item is reported again; a repaired item is readable again.
    await put(tableName, { ...BAD_COUNTER, leaseOwner: { N: '3' }, leaseCounter: { N: '7' } });
    await put(tableName, { ...BAD_CHECKPOINT, checkpoint: { S: 'TRIM_HORIZON' } });
    expect(await pollUntil(() => logger.find('error', 'malformed lease item').length === 3 && metrics.value('dynamo_lease_malformed_items') === 1, 5_000)).toBe(true);
    expect(String(logger.find('error', 'malformed lease item')[2]!.fields.problem)).toMatch(/leaseOwner is not a string/);
    expect(logger.find('info', 'readable again').map((l) => l.fields.leaseKey)).toEqual(['bad-checkpoint']);
    expect(await pollUntil(() => a.heldLeases().length === 2, 5_000)).toBe(true); // and it is taken like any other lease
  });

  it('appearing while running, neither stops the taker nor turns it into a storm of scans', async () => {
    const tableName = uniqueName('malformed');
    const { c: a, client } = coordinator(tableName, 'a');
    const { c: b } = coordinator(tableName, 'b');
    await a.init();
    await a.createLeasesIfNotExist([{ leaseKey: 's-0' }, { leaseKey: 's-1' }]);
    await Promise.all([a.start(), b.start()]);
    expect(await pollUntil(() => a.heldLeases().length === 1 && b.heldLeases().length === 1, 10_000)).toBe(true);

    const scans = injectFaults(client, {});
    await put(tableName, BAD_COUNTER);
    await a.createLeasesIfNotExist([{ leaseKey: 's-2' }]);
    const since = Date.now();
    const took = await pollUntil(() => a.heldLeases().length + b.heldLeases().length === 3, 5_000);
    // Longer than failoverTimeMs, so that leases watched by a's taker come due while it scans.
    await new Promise((r) => setTimeout(r, Math.max(0, 4_000 - (Date.now() - since))));
    const perSecond = ((scans.calls.get('ScanCommand') ?? 0) * 1000) / (Date.now() - since);
    scans.remove();
    console.log(`malformed item while running: ${perSecond.toFixed(1)} scans/s by one worker`);
    // One run per takerIntervalMs (200 ms, jittered to 160 ms at the shortest) plus the runs at
    // expiry times of watched leases: well under 10 a second.
    expect(perSecond).toBeLessThan(10);
    expect(took).toBe(true);
  });
});
