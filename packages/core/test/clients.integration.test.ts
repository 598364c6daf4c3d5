import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand, type KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { createStream, type Emulators, startEmulators, startKinesisLocal, uniqueName } from '@shardline/testkit';
import { classifyAwsError, createDynamoDbClient, createKinesisClient, ResourceNotFoundError } from '../src';

async function exerciseKinesis(kinesis: KinesisClient): Promise<void> {
  const stream = uniqueName('core');
  await createStream(kinesis, stream, 2);
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
  expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(2);
  const put = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'a', Data: Buffer.from('x') }));
  expect(put.SequenceNumber).toMatch(/^\d+$/);
  const missing = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'nope-' + stream })).catch((e: unknown) => e);
  expect(classifyAwsError(missing)).toBeInstanceOf(ResourceNotFoundError);
}

async function exerciseDynamo(dynamo: DynamoDBClient): Promise<void> {
  const table = uniqueName('core');
  await dynamo.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const out = await dynamo.send(new DescribeTableCommand({ TableName: table }));
  expect(out.Table?.KeySchema?.[0]?.AttributeName).toBe('leaseKey');
}

describe('core client factory against the embedded emulators', () => {
  let emulators: Emulators;
  const saved = { ...process.env };
  beforeAll(async () => {
    emulators = await startEmulators();
  });
  afterAll(async () => {
    process.env = saved;
    await emulators.stop();
  });

  it('creates a stream and a table through clients configured by AWS_ENDPOINT_URL_* variables', async () => {
    // An externally supplied AWS_ENDPOINT_URL_KINESIS (e.g. LocalStack, kinesis-local) wins.
    const env = { ...emulators.env, ...(saved.AWS_ENDPOINT_URL_KINESIS ? { AWS_ENDPOINT_URL_KINESIS: saved.AWS_ENDPOINT_URL_KINESIS } : {}) };
    const kinesis = createKinesisClient({ env });
    const dynamo = createDynamoDbClient({ env });
    try {
      await exerciseKinesis(kinesis);
      await exerciseDynamo(dynamo);
    } finally {
      kinesis.destroy();
      dynamo.destroy();
    }
  });

  it('passes again against a separately started kinesis-local via AWS_ENDPOINT_URL_KINESIS', async () => {
    const local = await startKinesisLocal();
    process.env.AWS_ENDPOINT_URL_KINESIS = local.endpoint;
    process.env.AWS_REGION = 'us-east-1';
    const kinesis = createKinesisClient();
    try {
      await exerciseKinesis(kinesis);
    } finally {
      kinesis.destroy();
      process.env = { ...saved };
      await local.stop();
    }
  });
});

describe('request timeouts', () => {
  it('abort a call the server never answers, with a retryable TimeoutError', async () => {
    const server = http.createServer(() => undefined); // accepts, never responds
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    const kinesis = createKinesisClient({ endpoint: `http://127.0.0.1:${port}`, requestTimeoutMs: 300, maxAttempts: 1, env: {} });
    try {
      const started = Date.now();
      const error = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 's' })).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(10_000);
      const classified = classifyAwsError(error);
      expect(classified.retryable).toBe(true);
    } finally {
      kinesis.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
