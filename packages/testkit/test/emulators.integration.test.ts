import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { KinesisClient, ListStreamsCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import * as net from 'node:net';
import { createStream, injectFaults, listAllShards, serviceError, startEmulators, uniqueName } from '../src';

function clients(env: Record<string, string>) {
  const common = { region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, requestHandler: new NodeHttpHandler() };
  return {
    kinesis: new KinesisClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_KINESIS }),
    dynamo: new DynamoDBClient({ ...common, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB }),
  };
}

function portIsClosed(endpoint: string): Promise<boolean> {
  const port = Number(new URL(endpoint).port);
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });
}

describe('startEmulators', () => {
  it('serves Kinesis and DynamoDB on free ports and releases them on stop', async () => {
    const emulators = await startEmulators();
    const { kinesis, dynamo } = clients(emulators.env);
    try {
      const stream = uniqueName('kit');
      await createStream(kinesis, stream, 3);
      expect((await listAllShards(kinesis, stream)).length).toBe(3);
      expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toContain(stream);
      await dynamo.send(
        new CreateTableCommand({
          TableName: 'tbl',
          KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual(['tbl']);
    } finally {
      kinesis.destroy();
      dynamo.destroy();
      await emulators.stop();
    }
    expect(await portIsClosed(emulators.kinesisEndpoint!)).toBe(true);
    expect(await portIsClosed(emulators.dynamoDbEndpoint!)).toBe(true);
  });

  it('injects faults through SDK middleware, in front of the real emulator', async () => {
    const emulators = await startEmulators({ dynamodb: false });
    const { kinesis, dynamo } = clients(emulators.env);
    dynamo.destroy();
    try {
      const stream = uniqueName('kit');
      await createStream(kinesis, stream, 1);
      const faults = injectFaults(kinesis, {
        before: (ctx) => {
          if (ctx.commandName === 'PutRecordsCommand' && ctx.call === 1) throw serviceError('InternalFailure', 'boom', { fault: 'server' });
        },
        after: (ctx, out) => {
          if (ctx.commandName !== 'PutRecordsCommand') return;
          const records = (out.Records as { ErrorCode?: string }[]).map((r, i) => (i === 0 ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow' } : r));
          return { ...out, FailedRecordCount: 1, Records: records };
        },
      });
      const input = { StreamName: stream, Records: [0, 1].map((i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('d') })) };
      await expect(kinesis.send(new PutRecordsCommand(input))).rejects.toMatchObject({ name: 'InternalFailure' });
      const out = await kinesis.send(new PutRecordsCommand(input));
      expect(out.FailedRecordCount).toBe(1);
      expect(out.Records?.[0]?.ErrorCode).toBe('ProvisionedThroughputExceededException');
      expect(out.Records?.[1]?.SequenceNumber).toMatch(/^\d+$/);
      expect(faults.calls.get('PutRecordsCommand')).toBe(2);
      faults.remove();
      expect((await kinesis.send(new PutRecordsCommand(input))).FailedRecordCount).toBe(0);
    } finally {
      kinesis.destroy();
      await emulators.stop();
    }
  });
});
