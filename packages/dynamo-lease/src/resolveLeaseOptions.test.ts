import { createDynamoDbClient } from '@shardline/core';
import { resolveLeaseCoordinatorOptions, resolveLeaseTableOptions } from './resolveLeaseOptions';

describe('resolveLeaseCoordinatorOptions', () => {
  it('fills the KCL defaults and derives the intervals', () => {
    const o = resolveLeaseCoordinatorOptions({ tableName: 'orders-app' });
    expect(o).toMatchObject({
      failoverTimeMs: 10_000,
      epsilonMs: 25,
      renewIntervalMs: 3_308, // the KCL's "renew leases every 3308 ms"
      takerIntervalMs: 2_500,
      maxLeasesForWorker: Infinity,
      maxLeasesToStealAtOneTime: 1,
      veryOldLeaseMultiplier: 3,
      enablePriorityLeaseAssignment: true,
      maxConcurrentRenewals: 20,
      createTableIfNotExists: true,
      billingMode: 'PAY_PER_REQUEST',
      client: undefined,
    });
    expect(o.workerId).toMatch(/^.+-[0-9a-f]{8}$/);
    expect(resolveLeaseCoordinatorOptions({ tableName: 'orders-app' }).workerId).not.toBe(o.workerId);
    expect(resolveLeaseCoordinatorOptions({ tableName: 'orders-app', failoverTimeMs: 3_000 })).toMatchObject({ renewIntervalMs: 975, takerIntervalMs: 750 });
  });

  it('names the offending field', () => {
    const bad: [object, string][] = [
      [{}, 'leaseCoordinator.tableName is required'],
      [{ tableName: 'has space' }, 'leaseCoordinator.tableName must match'],
      [{ tableName: 'ok', workerId: '' }, 'leaseCoordinator.tableName must match'],
      [{ tableName: 'app', workerId: '' }, 'leaseCoordinator.workerId must not be empty'],
      [{ tableName: 'app', failoverTimeMs: 10.5 }, 'leaseCoordinator.failoverTimeMs must be an integer'],
      [{ tableName: 'app', epsilonMs: 5_000 }, 'leaseCoordinator.epsilonMs must be an integer between 0 and 1666'],
      [{ tableName: 'app', maxLeasesForWorker: 0 }, 'leaseCoordinator.maxLeasesForWorker must be an integer at least 1'],
      [{ tableName: 'app', maxLeasesToStealAtOneTime: -1 }, 'leaseCoordinator.maxLeasesToStealAtOneTime'],
      [{ tableName: 'app', billingMode: 'PROVISIONED' }, "leaseCoordinator.billingMode must be 'PAY_PER_REQUEST' or { readCapacity, writeCapacity }"],
      [{ tableName: 'app', billingMode: { readCapacity: 5 } }, 'leaseCoordinator.billingMode needs both readCapacity and writeCapacity'],
      [{ tableName: 'app', billingMode: { readCapacity: 5, writeCapacity: 0 } }, 'leaseCoordinator.billingMode.writeCapacity must be an integer between 1'],
      [{ tableName: 'app', clock: {} }, 'leaseCoordinator.clock must be an object with now, monotonicNow, sleep'],
      [{ tableName: 'app', client: {} }, 'leaseCoordinator.client must be a DynamoDBClient'],
      [{ tableName: 'app', leaseTableName: 'x' }, 'leaseCoordinator.leaseTableName is not an option; did you mean leaseCoordinator.tableName?'],
      [{ tableName: 'app', random: 4 }, 'leaseCoordinator.random must be a function'],
    ];
    for (const [input, message] of bad) expect(() => resolveLeaseCoordinatorOptions(input as never)).toThrow(message);
  });

  it('accepts a client or client options, not both', () => {
    const client = createDynamoDbClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1' });
    try {
      expect(resolveLeaseCoordinatorOptions({ tableName: 'app', client }).client).toBe(client);
      expect(() => resolveLeaseCoordinatorOptions({ tableName: 'app', client, clientOptions: {} })).toThrow('mutually exclusive');
      expect(resolveLeaseCoordinatorOptions({ tableName: 'app', billingMode: { readCapacity: 10, writeCapacity: 10 } }).billingMode).toEqual({ readCapacity: 10, writeCapacity: 10 });
    } finally {
      client.destroy();
    }
  });
});

describe('resolveLeaseTableOptions', () => {
  it('needs a client and a valid table name', () => {
    expect(() => resolveLeaseTableOptions({ tableName: 'app' } as never)).toThrow('leaseTable.client is required');
    const client = createDynamoDbClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1' });
    try {
      expect(resolveLeaseTableOptions({ tableName: 'app', client })).toMatchObject({ tableName: 'app', maxWriteAttempts: 3, tableActiveTimeoutMs: 300_000 });
      expect(() => resolveLeaseTableOptions({ tableName: 'a', client })).toThrow('leaseTable.tableName must match');
    } finally {
      client.destroy();
    }
  });
});
