import type { AttributeValue, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';
import {
  type AwsClientOptions,
  awsErrorName,
  Backoff,
  booleanOption,
  classifyAwsError,
  type Clock,
  createDynamoDbClient,
  createSystemClock,
  type ExtendedSequenceNumber,
  InvalidArgumentError,
  integerOption,
  loadPeerDependency,
  rejectUnknownOptions,
  ShutdownError,
  stringOption,
  ThrottledError,
  TimeoutError,
} from '@shardline/core';
import { fromStoredPosition, type PositionStore } from './PositionStore';

/** Options of {@link DynamoDbPositionStore}. @public */
export interface DynamoDbPositionStoreOptions {
  /** A DynamoDB client; the store never destroys it. Default: one from `aws`, destroyed by `close()`. */
  readonly client?: DynamoDBClient;
  /** How to build the client when none is given (region, endpoint, credentials …). Default: the environment. */
  readonly aws?: AwsClientOptions;
  /** Table name. Default `shardline-poller-positions`. */
  readonly tableName?: string;
  /** Create the table (on-demand billing) on first use when it does not exist. Default true. */
  readonly createTable?: boolean;
  /** Longest wait for a new table to become ACTIVE, in milliseconds. Default 120,000. */
  readonly tableActiveTimeoutMs?: number;
  /** Attempts to write items DynamoDB returned unprocessed (throttling) before failing. Default 8. */
  readonly maxWriteAttempts?: number;
  /** Time source for waits. Default: the system clock. */
  readonly clock?: Clock;
}

/** Attribute names of a position item. */
const ATTR = { namespace: 'namespace', shardId: 'shardId', sequenceNumber: 'sequenceNumber', subSequenceNumber: 'subSequenceNumber', updatedAt: 'updatedAt' } as const;
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const BATCH_WRITE_LIMIT = 25;

/**
 * Positions in a DynamoDB table (hash key `namespace`, range key `shardId`; attributes
 * `sequenceNumber` (S), `subSequenceNumber` (N), `updatedAt` (N, epoch ms)), so that several
 * processes (one per shard, say) can share them and a restart on another host resumes where the
 * last one stopped. The table is created on demand. Saves are serialized per store; a save of
 * many shards is one BatchWriteItem per 25 shards, unprocessed items retried with backoff.
 * @public
 */
export class DynamoDbPositionStore implements PositionStore {
  /** The table name. */
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly sdk: typeof import('@aws-sdk/client-dynamodb');
  private readonly ownsClient: boolean;
  private readonly createTable: boolean;
  private readonly tableActiveTimeoutMs: number;
  private readonly maxWriteAttempts: number;
  private readonly clock: Clock;
  private ready: Promise<void> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: DynamoDbPositionStoreOptions = {}) {
    const path = 'dynamoDbPositionStore';
    rejectUnknownOptions(path, options, ['client', 'aws', 'tableName', 'createTable', 'tableActiveTimeoutMs', 'maxWriteAttempts', 'clock']);
    this.tableName = stringOption(`${path}.tableName`, options.tableName, 'shardline-poller-positions', { pattern: TABLE_NAME });
    this.createTable = booleanOption(`${path}.createTable`, options.createTable, true);
    this.tableActiveTimeoutMs = integerOption(`${path}.tableActiveTimeoutMs`, options.tableActiveTimeoutMs, 120_000, { min: 0, max: 3_600_000 });
    this.maxWriteAttempts = integerOption(`${path}.maxWriteAttempts`, options.maxWriteAttempts, 8, { min: 1, max: 100 });
    this.clock = options.clock ?? createSystemClock();
    if (options.client !== undefined && options.aws !== undefined) throw new InvalidArgumentError(`${path} takes client or aws, not both`);
    if (options.client !== undefined && typeof (options.client as { send?: unknown }).send !== 'function') {
      throw new InvalidArgumentError(`${path}.client must be a DynamoDBClient`);
    }
    // The DynamoDB client is an optional peer dependency of this package: loaded by this store only.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.sdk = loadPeerDependency(() => require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb'), '@aws-sdk/client-dynamodb', 'DynamoDbPositionStore');
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createDynamoDbClient(options.aws);
  }

  async load(namespace: string): Promise<ReadonlyMap<string, ExtendedSequenceNumber>> {
    this.check();
    await this.ensureTable();
    const out = new Map<string, ExtendedSequenceNumber>();
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(
          new this.sdk.QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#ns = :ns',
            ExpressionAttributeNames: { '#ns': ATTR.namespace },
            ExpressionAttributeValues: { ':ns': { S: namespace } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const shardId = item[ATTR.shardId]?.S;
        if (!shardId) continue;
        const where = `${this.tableName} item ${namespace}/${shardId}`;
        out.set(shardId, fromStoredPosition({ sequenceNumber: item[ATTR.sequenceNumber]?.S, subSequenceNumber: Number(item[ATTR.subSequenceNumber]?.N ?? 0) }, where));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  save(namespace: string, positions: ReadonlyMap<string, ExtendedSequenceNumber>): Promise<void> {
    this.check();
    // Serialized so that a later save of a shard can never land before an earlier one.
    const run = this.chain.catch(() => undefined).then(() => this.write(namespace, positions));
    this.chain = run;
    return run;
  }

  /** Waits for pending saves, then destroys the client if the store created it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain.catch(() => undefined);
    if (this.ownsClient) this.client.destroy();
  }

  private check(): void {
    if (this.closed) throw new ShutdownError(`DynamoDbPositionStore ${this.tableName} is closed`);
  }

  /** Runs one SDK call, turning its errors into typed ShardlineErrors. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw classifyAwsError(error);
    }
  }

  private async write(namespace: string, positions: ReadonlyMap<string, ExtendedSequenceNumber>): Promise<void> {
    if (positions.size === 0) return;
    await this.ensureTable();
    const now = String(this.clock.now());
    const requests: WriteRequest[] = [...positions].map(([shardId, p]) => ({
      PutRequest: {
        Item: {
          [ATTR.namespace]: { S: namespace },
          [ATTR.shardId]: { S: shardId },
          [ATTR.sequenceNumber]: { S: p.sequenceNumber },
          [ATTR.subSequenceNumber]: { N: String(p.subSequenceNumber) },
          [ATTR.updatedAt]: { N: now },
        },
      },
    }));
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      await this.batchWrite(requests.slice(i, i + BATCH_WRITE_LIMIT));
    }
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    const backoff = new Backoff({ baseDelayMs: 50, maxDelayMs: 5_000 });
    let pending = requests;
    for (let attempt = 1; ; attempt++) {
      const out = await this.call(() => this.client.send(new this.sdk.BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } })));
      const left = out.UnprocessedItems?.[this.tableName] ?? [];
      if (left.length === 0) return;
      if (attempt >= this.maxWriteAttempts) {
        throw new ThrottledError(`${left.length} position writes to ${this.tableName} still unprocessed after ${attempt} attempts`);
      }
      pending = left;
      await this.clock.sleep(backoff.next());
    }
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.prepareTable().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    return this.ready;
  }

  private async prepareTable(): Promise<void> {
    const status = await this.tableStatus();
    if (status === 'ACTIVE') return;
    if (status === undefined) {
      if (!this.createTable) throw classifyAwsError(Object.assign(new Error(`table ${this.tableName} does not exist`), { name: 'ResourceNotFoundException' }));
      try {
        await this.client.send(
          new this.sdk.CreateTableCommand({
            TableName: this.tableName,
            BillingMode: 'PAY_PER_REQUEST',
            KeySchema: [
              { AttributeName: ATTR.namespace, KeyType: 'HASH' },
              { AttributeName: ATTR.shardId, KeyType: 'RANGE' },
            ],
            AttributeDefinitions: [
              { AttributeName: ATTR.namespace, AttributeType: 'S' },
              { AttributeName: ATTR.shardId, AttributeType: 'S' },
            ],
          }),
        );
      } catch (error) {
        // Another process created it first.
        if (awsErrorName(error) !== 'ResourceInUseException') throw classifyAwsError(error);
      }
    }
    const deadline = this.clock.monotonicNow() + this.tableActiveTimeoutMs;
    for (let delay = 20; ; delay = Math.min(delay * 2, 1_000)) {
      if ((await this.tableStatus()) === 'ACTIVE') return;
      if (this.clock.monotonicNow() > deadline) throw new TimeoutError(`table ${this.tableName} not ACTIVE after ${this.tableActiveTimeoutMs} ms`);
      await this.clock.sleep(delay);
    }
  }

  private async tableStatus(): Promise<string | undefined> {
    try {
      const out = await this.client.send(new this.sdk.DescribeTableCommand({ TableName: this.tableName }));
      return out.Table?.TableStatus;
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
      throw classifyAwsError(error);
    }
  }
}
