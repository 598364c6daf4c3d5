import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, ExtendedSequenceNumber, ResourceNotFoundError, ShutdownError } from '@shardline/core';
import { type Emulators, startEmulators, uniqueName } from '@shardline/testkit';
import { DynamoDbPositionStore } from '../src';

const p = (seq: string, sub = 0) => new ExtendedSequenceNumber(seq, sub);

describe('DynamoDbPositionStore against dynalite', () => {
  let emulators: Emulators;
  let dynamo: DynamoDBClient;
  beforeAll(async () => {
    emulators = await startEmulators({ kinesis: false });
    dynamo = createDynamoDbClient({ env: emulators.env });
  });
  afterAll(async () => {
    dynamo.destroy();
    await emulators.stop();
  });

  it('creates its table on demand and round-trips positions per namespace', async () => {
    const tableName = uniqueName('positions');
    const store = new DynamoDbPositionStore({ client: dynamo, tableName });
    expect((await store.load('app/orders')).size).toBe(0);
    const table = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    expect(table.Table?.KeySchema).toEqual([
      { AttributeName: 'namespace', KeyType: 'HASH' },
      { AttributeName: 'shardId', KeyType: 'RANGE' },
    ]);
    expect(table.Table?.BillingModeSummary?.BillingMode ?? 'PAY_PER_REQUEST').toBe('PAY_PER_REQUEST');
    await store.save(
      'app/orders',
      new Map([
        ['shardId-000000000000', p('49590338271490256608559692538361571095921575989136588898', 3)],
        ['shardId-000000000001', ExtendedSequenceNumber.SHARD_END],
      ]),
    );
    await store.save('app/payments', new Map([['shardId-000000000000', p('7')]]));
    await store.save('app/orders', new Map([['shardId-000000000000', p('49590338271490256608559692538361571095921575989136588999')]]));
    expect(await store.load('app/orders')).toEqual(
      new Map([
        ['shardId-000000000000', p('49590338271490256608559692538361571095921575989136588999')],
        ['shardId-000000000001', ExtendedSequenceNumber.SHARD_END],
      ]),
    );
    expect(await store.load('app/payments')).toEqual(new Map([['shardId-000000000000', p('7')]]));
    await store.close();
    await expect(store.load('app/orders')).rejects.toBeInstanceOf(ShutdownError);
  });

  it('saves more than 25 shards at once (BatchWriteItem chunks) and serializes concurrent saves', async () => {
    const tableName = uniqueName('positions');
    const store = new DynamoDbPositionStore({ client: dynamo, tableName });
    const many = new Map(Array.from({ length: 60 }, (_, i) => [`shard-${i}`, p(String(i))]));
    await store.save('ns', many);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save('ns', new Map([['shard-0', p(String(100 + i))]]))));
    const loaded = await store.load('ns');
    expect(loaded.size).toBe(60);
    expect(loaded.get('shard-0')).toEqual(p('119'));
    expect(loaded.get('shard-59')).toEqual(p('59'));
  });

  it('two stores racing to create the same table both succeed; with createTable false a missing table is ResourceNotFound', async () => {
    const tableName = uniqueName('positions');
    const a = new DynamoDbPositionStore({ client: dynamo, tableName });
    const b = new DynamoDbPositionStore({ client: dynamo, tableName });
    await Promise.all([a.save('ns', new Map([['s', p('1')]])), b.load('ns')]);
    expect((await b.load('ns')).get('s')).toEqual(p('1'));
    const strict = new DynamoDbPositionStore({ client: dynamo, tableName: uniqueName('absent'), createTable: false });
    await expect(strict.load('ns')).rejects.toBeInstanceOf(ResourceNotFoundError);
  });

  it('builds its own client from aws options and destroys it on close', async () => {
    const store = new DynamoDbPositionStore({ aws: { env: emulators.env }, tableName: uniqueName('positions') });
    await store.save('ns', new Map([['s', p('5')]]));
    expect((await store.load('ns')).get('s')).toEqual(p('5'));
    await store.close();
    await store.close();
  });

  it('validates its options', () => {
    expect(() => new DynamoDbPositionStore({ tableName: 'x' })).toThrow('dynamoDbPositionStore.tableName must match');
    expect(() => new DynamoDbPositionStore({ client: dynamo, aws: {} })).toThrow('dynamoDbPositionStore takes client or aws, not both');
    expect(() => new DynamoDbPositionStore({ tables: 'x' } as never)).toThrow('dynamoDbPositionStore.tables is not an option');
  });
});
