import { CreateTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { evenHashKeyRanges, ExtendedSequenceNumber, InvalidArgumentError } from '@shardline/core';
import { injectFaults, networkError, serviceError, uniqueName } from '@shardline/testkit';
import { LeaseTable, newLease, type Lease } from '../src';
import { DynamoHarness } from './helpers';

let dynamo: DynamoHarness;

beforeAll(async () => {
  dynamo = await DynamoHarness.start();
});

afterAll(async () => {
  await dynamo.stop();
});

async function ownedBy(table: LeaseTable, key: string, owner: string): Promise<Lease> {
  await table.createLeaseIfNotExists(newLease({ leaseKey: key }));
  const taken = await table.takeLease((await table.getLease(key))!, owner);
  if (!taken.ok) throw new Error('setup take failed');
  return taken.lease;
}

describe('table creation', () => {
  it('creates an on-demand table keyed by leaseKey (S) once, and waits for ACTIVE', async () => {
    const client = dynamo.client();
    const table = new LeaseTable({ tableName: uniqueName('leases'), client });
    expect(await table.createTableIfNotExists()).toBe(true);
    expect(await table.createTableIfNotExists()).toBe(false);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'leaseKey', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('creates a provisioned table when asked', async () => {
    const client = dynamo.client();
    const table = new LeaseTable({ tableName: uniqueName('leases'), client, billingMode: { readCapacity: 5, writeCapacity: 7 } });
    await table.createTableIfNotExists();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table.tableName }));
    expect(Table?.ProvisionedThroughput?.ReadCapacityUnits).toBe(5);
    expect(Table?.ProvisionedThroughput?.WriteCapacityUnits).toBe(7);
  });

  it('polls until the table is ACTIVE, and gives up after tableActiveTimeoutMs', async () => {
    const client = dynamo.client();
    let describes = 0;
    const creating = injectFaults(client, {
      after(ctx, output) {
        if (ctx.commandName !== 'DescribeTableCommand' || !output.Table) return;
        describes++;
        return describes <= 3 ? { ...output, Table: { ...output.Table, TableStatus: 'CREATING' } } : undefined;
      },
    });
    const table = new LeaseTable({ tableName: uniqueName('leases'), client });
    await table.createTableIfNotExists();
    expect(describes).toBe(4);
    creating.remove();

    const stuck = injectFaults(client, {
      after(ctx, output) {
        if (ctx.commandName === 'DescribeTableCommand' && output.Table) return { ...output, Table: { ...output.Table, TableStatus: 'UPDATING' } };
      },
    });
    const impatient = new LeaseTable({ tableName: table.tableName, client, tableActiveTimeoutMs: 100 });
    await expect(impatient.waitUntilActive()).rejects.toThrow(/not ACTIVE after 100 ms \(status UPDATING\)/);
    stuck.remove();
  });

  it('refuses a table whose key schema is not the KCL one', async () => {
    const client = dynamo.client();
    const tableName = uniqueName('other');
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const table = new LeaseTable({ tableName, client });
    await expect(table.createTableIfNotExists()).rejects.toThrow(InvalidArgumentError);
    await expect(table.createTableIfNotExists()).rejects.toThrow(/not a KCL lease table/);
  });
});

describe('KCL compatibility of items', () => {
  it('writes exactly the Java KCL attribute names and types', async () => {
    const table = await dynamo.table();
    const [range] = evenHashKeyRanges(1);
    const lease = newLease({ leaseKey: 'shardId-000000000002', parentShardIds: ['shardId-000000000001', 'shardId-000000000000'], hashKeyRange: range });
    expect(await table.createLeaseIfNotExists(lease)).toBe(true);
    const taken = await table.takeLease(lease, 'worker-a');
    expect(taken.ok).toBe(true);
    const held = (taken as { lease: Lease }).lease;
    await table.prepareCheckpoint(held, new ExtendedSequenceNumber('49590338271490256608559692538361571095921575989136588898', 3), new Uint8Array([1, 2, 3]));
    await table.updateMetaInfo(lease.leaseKey, { childShardIds: ['shardId-000000000003'] });
    const raw = await dynamo.client().send(new GetItemCommand({ TableName: table.tableName, Key: { leaseKey: { S: lease.leaseKey } }, ConsistentRead: true }));
    expect(raw.Item).toEqual({
      leaseKey: { S: 'shardId-000000000002' },
      leaseOwner: { S: 'worker-a' },
      leaseCounter: { N: '2' },
      ownerSwitchesSinceCheckpoint: { N: '0' },
      checkpoint: { S: 'TRIM_HORIZON' },
      checkpointSubSequenceNumber: { N: '0' },
      pendingCheckpoint: { S: '49590338271490256608559692538361571095921575989136588898' },
      pendingCheckpointSubSequenceNumber: { N: '3' },
      pendingCheckpointState: { B: new Uint8Array([1, 2, 3]) },
      parentShardId: { SS: expect.arrayContaining(['shardId-000000000000', 'shardId-000000000001']) },
      childShardIds: { SS: ['shardId-000000000003'] },
      startingHashKey: { S: '0' },
      endingHashKey: { S: '340282366920938463463374607431768211455' },
      entityType: { S: 'LEASE' }, // as the KCL 3.5 writes on create (M1)
    });
  });

  it('reads an item written by the Java KCL, keeps unknown attributes, and skips non-lease entities', async () => {
    const table = await dynamo.table();
    const client = dynamo.client();
    const kclItem = {
      leaseKey: { S: '123456789012:orders:1700000000:shardId-000000000007' },
      leaseOwner: { S: 'java-worker-1' },
      leaseCounter: { N: '41' },
      ownerSwitchesSinceCheckpoint: { N: '2' },
      checkpoint: { S: '49590338271490256608559692538361571095921575989136588898' },
      checkpointSubSequenceNumber: { N: '0' },
      parentShardId: { SS: ['shardId-000000000003'] },
      startingHashKey: { S: '0' },
      endingHashKey: { S: '170141183460469231731687303715884105727' },
      throughputKBps: { N: '12.5' },
      entityType: { S: 'LEASE' },
      streamName: { S: '123456789012:orders:1700000000' },
      shardId: { S: 'shardId-000000000007' },
    };
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: kclItem }));
    await client.send(new PutItemCommand({ TableName: table.tableName, Item: { leaseKey: { S: 'worker-metrics-1' }, entityType: { S: 'WORKER_METRIC_STATS' }, wid: { S: 'w' } } }));

    const leases = await table.listLeases();
    expect(leases.map((l) => l.leaseKey)).toEqual([kclItem.leaseKey.S]);
    const lease = leases[0]!;
    expect(lease).toMatchObject({ leaseOwner: 'java-worker-1', leaseCounter: 41, ownerSwitchesSinceCheckpoint: 2, parentShardIds: ['shardId-000000000003'], throughputKBps: 12.5 });
    expect(lease.checkpoint?.sequenceNumber).toBe(kclItem.checkpoint.S);
    expect(lease.hashKeyRange?.endingHashKey).toBe(2n ** 127n - 1n);

    // Our take touches only the attributes it names: the multi-stream attributes survive.
    const taken = await table.takeLease(lease, 'ts-worker');
    expect(taken.ok && taken.lease.ownerSwitchesSinceCheckpoint).toBe(3);
    const raw = await client.send(new GetItemCommand({ TableName: table.tableName, Key: { leaseKey: kclItem.leaseKey }, ConsistentRead: true }));
    expect(raw.Item?.streamName).toEqual(kclItem.streamName);
    expect(raw.Item?.leaseOwner).toEqual({ S: 'ts-worker' });
    expect(raw.Item?.leaseCounter).toEqual({ N: '42' });
  });
});

describe('conditional writes', () => {
  it('creates a lease only if absent', async () => {
    const table = await dynamo.table();
    expect(await table.createLeaseIfNotExists(newLease({ leaseKey: 's-1' }))).toBe(true);
    expect(await table.createLeaseIfNotExists(newLease({ leaseKey: 's-1', checkpoint: ExtendedSequenceNumber.LATEST }))).toBe(false);
    expect((await table.getLease('s-1'))?.checkpoint).toEqual(ExtendedSequenceNumber.TRIM_HORIZON);
  });

  it('takes on the observed counter and owner, and counts owner switches', async () => {
    const table = await dynamo.table();
    await table.createLeaseIfNotExists(newLease({ leaseKey: 's-1' }));
    const unowned = (await table.getLease('s-1'))!;
    const a = await table.takeLease(unowned, 'a');
    expect(a).toMatchObject({ ok: true, lease: { leaseOwner: 'a', leaseCounter: 1, ownerSwitchesSinceCheckpoint: 0 } });
    // A second take from the same (now stale) observation is rejected and shows the winner.
    const stale = await table.takeLease(unowned, 'b');
    expect(stale).toMatchObject({ ok: false, current: { leaseOwner: 'a', leaseCounter: 1 } });
    const b = await table.takeLease((a as { lease: Lease }).lease, 'b');
    expect(b).toMatchObject({ ok: true, lease: { leaseOwner: 'b', leaseCounter: 2, ownerSwitchesSinceCheckpoint: 1 } });
  });

  it('lets exactly one of several racing workers take the same lease, every round', async () => {
    const tableName = uniqueName('race');
    const tables = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const t = new LeaseTable({ tableName, client: dynamo.client() });
        await t.createTableIfNotExists();
        return t;
      }),
    );
    for (let round = 0; round < 15; round++) {
      const key = `race-${round}`;
      await tables[0]!.createLeaseIfNotExists(newLease({ leaseKey: key }));
      if (round % 2 === 1) await tables[0]!.takeLease((await tables[0]!.getLease(key))!, 'previous-owner');
      const observed = (await tables[0]!.getLease(key))!;
      const contenders = 2 + (round % 5);
      const results = await Promise.all(tables.slice(0, contenders).map((t, i) => t.takeLease(observed, `w${i}`)));
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const stored = (await tables[0]!.getLease(key))!;
      expect(stored.leaseCounter).toBe(observed.leaseCounter + 1);
      expect(winners[0]!.ok && winners[0]!.lease.leaseOwner).toBe(stored.leaseOwner);
    }
  });

  it('renews on the counter the holder last wrote, and rejects a holder whose lease was taken', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    const renewed = await table.renewLease(held);
    expect(renewed).toMatchObject({ ok: true, recoveredSpuriousRetry: false, lease: { leaseOwner: 'a', leaseCounter: held.leaseCounter + 1 } });
    const stolen = await table.takeLease((renewed as { lease: Lease }).lease, 'b');
    expect(stolen.ok).toBe(true);
    expect(await table.renewLease((renewed as { lease: Lease }).lease)).toMatchObject({ ok: false, current: { leaseOwner: 'b' } });
  });

  it('does not renew while a KCL 3.x graceful handoff is pending (checkpointOwner set)', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    await dynamo.client().send(
      new PutItemCommand({
        TableName: table.tableName,
        Item: { leaseKey: { S: 's-1' }, leaseOwner: { S: 'b' }, checkpointOwner: { S: 'a' }, leaseCounter: { N: String(held.leaseCounter) }, checkpoint: { S: 'TRIM_HORIZON' } },
      }),
    );
    expect(await table.renewLease({ ...held, leaseOwner: 'a' })).toMatchObject({ ok: false, current: { leaseOwner: 'b', checkpointOwner: 'a' } });
  });

  it('checkpoints only for the current owner and counter, clearing the pending checkpoint', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    const position = new ExtendedSequenceNumber('1000', 2);
    const prepared = await table.prepareCheckpoint(held, position, new Uint8Array([9]));
    expect(prepared).toMatchObject({ ok: true, lease: { leaseCounter: held.leaseCounter + 1, pendingCheckpointState: new Uint8Array([9]) } });
    const afterPrepare = (prepared as { lease: Lease }).lease;
    expect(afterPrepare.pendingCheckpoint?.equals(position)).toBe(true);
    expect(afterPrepare.checkpoint).toEqual(ExtendedSequenceNumber.TRIM_HORIZON);

    const committed = await table.checkpoint(afterPrepare, position);
    expect(committed.ok).toBe(true);
    const after = (committed as { lease: Lease }).lease;
    expect(after.checkpoint?.equals(position)).toBe(true);
    expect(after).toMatchObject({ pendingCheckpoint: undefined, pendingCheckpointState: undefined, ownerSwitchesSinceCheckpoint: 0 });

    // A stale owner (the lease moved on) is rejected and the stored checkpoint does not move.
    await table.takeLease(after, 'b');
    expect(await table.checkpoint(after, new ExtendedSequenceNumber('2000'))).toMatchObject({ ok: false, current: { leaseOwner: 'b' } });
    expect(await table.prepareCheckpoint(after, new ExtendedSequenceNumber('2000'))).toMatchObject({ ok: false, current: { leaseOwner: 'b', pendingCheckpoint: undefined } });
    expect((await table.getLease('s-1'))?.checkpoint?.equals(position)).toBe(true);
  });

  it('releases on owner and counter, and evicts on owner', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    expect(await table.releaseLease({ ...held, leaseCounter: held.leaseCounter - 1 })).toMatchObject({ ok: false });
    expect(await table.releaseLease({ ...held, leaseOwner: 'z' })).toMatchObject({ ok: false });
    expect(await table.releaseLease(held)).toMatchObject({ ok: true, lease: { leaseOwner: undefined, leaseCounter: held.leaseCounter + 1 } });

    const again = await ownedBy(table, 's-2', 'a');
    expect(await table.evictLease({ ...again, leaseOwner: 'someone-else' })).toMatchObject({ ok: false, current: { leaseOwner: 'a' } });
    // Evict is conditioned on the owner only: a stale counter does not matter.
    expect(await table.evictLease({ ...again, leaseCounter: 0 })).toMatchObject({ ok: true, lease: { leaseOwner: undefined, leaseCounter: again.leaseCounter + 1 } });
  });

  it('updates shard metadata without bumping the counter, and only on existing leases', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    const [range] = evenHashKeyRanges(4);
    const updated = await table.updateMetaInfo('s-1', { childShardIds: ['s-3', 's-2', 's-2'], hashKeyRange: range });
    expect(updated).toMatchObject({ leaseCounter: held.leaseCounter, childShardIds: ['s-2', 's-3'], hashKeyRange: range });
    expect(await table.updateMetaInfo('missing', { childShardIds: ['x'] })).toBeUndefined();
    expect(await table.getLease('missing')).toBeUndefined();
    expect((await table.renewLease(held)).ok).toBe(true);
  });

  it('writes nothing for an empty child list: never REMOVEs childShardIds (as the KCL, M8)', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    await table.updateMetaInfo('s-1', { childShardIds: ['s-2', 's-3'] });
    const raw = async (): Promise<Record<string, unknown> | undefined> =>
      (await dynamo.client().send(new GetItemCommand({ TableName: table.tableName, Key: { leaseKey: { S: 's-1' } }, ConsistentRead: true }))).Item;
    expect(await table.updateMetaInfo('s-1', { childShardIds: [] })).toMatchObject({ childShardIds: ['s-2', 's-3'], leaseCounter: held.leaseCounter });
    expect((await raw())?.childShardIds).toEqual({ SS: expect.arrayContaining(['s-2', 's-3']) });
    const [range] = evenHashKeyRanges(2);
    expect(await table.updateMetaInfo('s-1', { childShardIds: [], hashKeyRange: range })).toMatchObject({ childShardIds: ['s-2', 's-3'], hashKeyRange: range });
    expect((await raw())?.childShardIds).toEqual({ SS: expect.arrayContaining(['s-2', 's-3']) });
    expect(await table.updateMetaInfo('missing', { childShardIds: [] })).toBeUndefined();
  });

  it('scans eventually consistent unless asked (consistentReads, or per call)', async () => {
    const client = dynamo.client();
    const tableName = uniqueName('leases');
    const seen: unknown[] = [];
    injectFaults(client, { before: (ctx) => void (ctx.commandName === 'ScanCommand' && seen.push(ctx.input.ConsistentRead)) });
    const eventual = new LeaseTable({ tableName, client });
    await eventual.createTableIfNotExists();
    await eventual.listLeases();
    await eventual.listLeases({ consistentRead: true });
    await new LeaseTable({ tableName, client, consistentReads: true }).listLeases();
    expect(seen).toEqual([false, true, true]);
  });

  it('lists every lease across scan pages and deletes leases', async () => {
    const table = await dynamo.table();
    await Promise.all(Array.from({ length: 25 }, (_, i) => table.createLeaseIfNotExists(newLease({ leaseKey: `shard-${i}` }))));
    const faults = injectFaults(dynamo.clientOf(table), {});
    const leases = await table.listLeases({ pageSize: 4 });
    expect(leases).toHaveLength(25);
    expect(faults.calls.get('ScanCommand')).toBe(7);
    faults.remove();
    await table.deleteLease('shard-0');
    expect(await table.listLeases()).toHaveLength(24);
  });
});

describe('failure classification', () => {
  it('recognises a retry of its own applied write (lost response) as success, not as a lost lease', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    let dropped = 0;
    const faults = injectFaults(dynamo.clientOf(table), {
      after(ctx) {
        // The write reached DynamoDB, but its response is "lost" once: the retry then fails its condition.
        if (ctx.commandName === 'UpdateItemCommand' && dropped++ < 3) throw networkError('ECONNRESET');
      },
    });
    const renewed = await table.renewLease(held);
    expect(renewed).toMatchObject({ ok: true, recoveredSpuriousRetry: true, lease: { leaseOwner: 'a', leaseCounter: held.leaseCounter + 1 } });
    const position = new ExtendedSequenceNumber('77');
    const checkpointed = await table.checkpoint((renewed as { lease: Lease }).lease, position);
    expect(checkpointed).toMatchObject({ ok: true, recoveredSpuriousRetry: true, lease: { leaseCounter: held.leaseCounter + 2 } });
    const taken = await table.takeLease((checkpointed as { lease: Lease }).lease, 'b');
    expect(taken).toMatchObject({ ok: true, recoveredSpuriousRetry: true, lease: { leaseOwner: 'b' } });
    faults.remove();
  });

  it('retries throttling and surfaces errors that persist as typed ShardlineErrors', async () => {
    const table = await dynamo.table();
    const held = await ownedBy(table, 's-1', 'a');
    let throttles = 0;
    const faults = injectFaults(dynamo.clientOf(table), {
      before(ctx) {
        if (ctx.commandName === 'UpdateItemCommand' && throttles++ < 2) throw serviceError('ProvisionedThroughputExceededException');
      },
    });
    expect((await table.renewLease(held)).ok).toBe(true);
    faults.remove();
    const broken = injectFaults(dynamo.clientOf(table), {
      before() {
        throw serviceError('AccessDeniedException', 'no');
      },
    });
    await expect(table.getLease('s-1')).rejects.toMatchObject({ code: 'SHARDLINE_ACCESS_DENIED' });
    broken.remove();
  });
});
