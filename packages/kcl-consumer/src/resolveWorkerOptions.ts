import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  type AwsClientOptions,
  type BackoffOptions,
  booleanOption,
  type Clock,
  createNoopLogger,
  createNoopMetrics,
  createSystemClock,
  enumOption,
  functionOption,
  hideCredentials,
  integerOption,
  InvalidArgumentError,
  type Logger,
  type Metrics,
  rejectUnknownOptions,
  requiredString,
  resolveBackoffOptions,
  type ResolvedBackoffOptions,
  signalOption,
  stringOption,
} from '@shardline/core';
import { defaultWorkerId, resolveLeaseCoordinatorOptions, type BillingMode } from '@shardline/dynamo-lease';
import { MAX_GET_RECORDS_LIMIT, MIN_TIME_BETWEEN_READS_MS } from '@shardline/kinesis-poller';
import { readRateOption } from '@shardline/kinesis-poller/internal';
import type { RecordHandler, RecordProcessorFactory } from './RecordProcessor';
import { type FanOutOptions, resolveFanOutOptions, type ResolvedFanOutOptions } from './fanout/resolveFanOutOptions';
import type { Retrieval } from './Retrieval';
import { resolveStatusServerOptions, type ResolvedStatusServerOptions, type StatusServerOptions } from './status/StatusServer';
import { type InitialPosition, resolveInitialPosition, type StreamConfig } from './streams';

/** Options of a {@link Worker}. `applicationName`, a stream, and `processor` or `handler` are required. @public */
export interface WorkerOptions {
  /** The application (consumer group) name; by KCL convention also the lease table's name. Required. */
  readonly applicationName: string;
  /** The lease table. Default `applicationName`. */
  readonly tableName?: string;
  /** This worker's id in the lease table. Default hostname + random suffix; keep it stable per replica so a restart reclaims its leases at once, and never share one between two running processes. */
  readonly workerId?: string;
  /** The stream to consume (or give `streams`). */
  readonly streamName?: string;
  /** Several streams, each with an optional initial position; lease keys then use the KCL's multi-stream format. */
  readonly streams?: readonly (string | StreamConfig)[];
  /** Multi-stream lease keys (`account:stream:creationEpoch:shardId`) even for one stream. Default: true for two or more streams. */
  readonly multiStream?: boolean;
  /** Where a new application starts (the KCL's `initialPositionInStream`). Default `'LATEST'`, as the KCL. */
  readonly initialPosition?: InitialPosition;
  /** Creates the lifecycle processor of each shard lease. Give this or `handler`. */
  readonly processor?: RecordProcessorFactory;
  /** The simple shape: a function per batch. Give this or `processor`. */
  readonly handler?: RecordHandler;
  /** Checkpoint each batch after it is processed, and `SHARD_END` at a shard's end. Default true with `handler`, false with `processor`. */
  readonly autoCheckpoint?: boolean;
  /** Call the processor for batches with no records (the KCL's `callProcessRecordsEvenForEmptyRecordList`). Default false. */
  readonly processEmptyBatches?: boolean;
  /** Most records per GetRecords call (the KCL's `maxRecords`), 1 to 10,000. Default 10,000. */
  readonly maxRecords?: number;
  /** Milliseconds between GetRecords calls on a caught-up shard (the KCL's `idleTimeBetweenReadsInMillis`), at least 200. Default 1,000. */
  readonly idleTimeBetweenReadsMs?: number;
  /**
   * Polling: the read rate to stay under per shard, in bytes per second. After a GetRecords that
   * returned B bytes the next call on that shard waits until B / readBytesPerSecond after it, as
   * Kinesis refuses reads until then, instead of being throttled and backing off. Default
   * 2,097,152 (2 MiB/s, Kinesis's read limit per shard, shared by every polling application);
   * `'unlimited'` turns the pacing off.
   */
  readonly readBytesPerSecond?: number | 'unlimited';
  /**
   * How records are retrieved: `'polling'` (GetRecords, the default), `'fanout'` (enhanced
   * fan-out: SubscribeToShard pushes over HTTP/2, a dedicated 2 MiB/s per shard; see `fanout`),
   * or a {@link Retrieval} of your own.
   */
  readonly retrieval?: 'polling' | 'fanout' | Retrieval;
  /** Options of enhanced fan-out; only with `retrieval: 'fanout'`. `consumerName` defaults to `applicationName`. */
  readonly fanout?: FanOutOptions;
  /** A lease not renewed for this long may be taken by another worker, in ms (the KCL's `failoverTimeMillis`). Default 10,000. */
  readonly failoverTimeMs?: number;
  /** Longest pause between lease-table scans, in ms. Default `failoverTimeMs / 4`. */
  readonly takerIntervalMs?: number;
  /** Most leases this worker holds (the KCL's `maxLeasesForWorker`). Default unbounded. */
  readonly maxLeasesForWorker?: number;
  /** Most leases stolen in one taker run (the KCL's `maxLeasesToStealAtOneTime`). Default 1. */
  readonly maxLeasesToStealAtOneTime?: number;
  /** Billing of a lease table the worker creates. Default `'PAY_PER_REQUEST'`. */
  readonly billingMode?: BillingMode;
  /**
   * Balance by graceful handoff (the KCL 3.x protocol): a worker taking a lease from a live one asks
   * for it, and the holder finishes its batch, checkpoints and hands it over, so a rebalance
   * re-delivers nothing. Default true; false steals at once, as the KCL 2.x.
   */
  readonly gracefulHandoff?: boolean;
  /** How long a holder may take to hand over a requested lease before it is taken anyway, in ms. Default `failoverTimeMs`. */
  readonly handoffTimeoutMs?: number;
  /** Milliseconds between shard syncs (ListShards, lease creation, cleanup); the KCL's `shardSyncIntervalMillis`. Default 60,000. */
  readonly shardSyncIntervalMs?: number;
  /** How long a finished or orphaned lease stays before it is deleted, in ms (the KCL's `completedLeaseCleanupIntervalMillis`). Default 300,000. */
  readonly leaseCleanupDelayMs?: number;
  /** Longest a processor call may take before the shard is released and the hang reported, in ms. Default 300,000. */
  readonly processingTimeoutMs?: number;
  /** Attempts of a processor call that throws before the lease is released for another worker, 1 to 1,000. Default 5. */
  readonly maxProcessingAttempts?: number;
  /** Backoff between attempts of a failing processor call. Default 500 ms doubling to 30 s, equal jitter. */
  readonly processingRetryBackoff?: BackoffOptions;
  /** How long `stop()` waits for processors to finish and checkpoint before it releases the leases regardless, in ms. Default 30,000. */
  readonly shutdownTimeoutMs?: number;
  /** The Kinesis client (the caller keeps ownership). Default: one built from `clientOptions`, destroyed on stop. */
  readonly kinesisClient?: KinesisClient;
  /** The DynamoDB client (the caller keeps ownership). Default: one built from `clientOptions`, destroyed on stop. */
  readonly dynamoDbClient?: DynamoDBClient;
  /** How to build the clients not given. Default: region, endpoints and credentials from the environment. */
  readonly clientOptions?: AwsClientOptions;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** Logger (pino or compatible). Default: silent. */
  readonly logger?: Logger;
  /** Metrics (`kcl_*`, `dynamo_lease_*`, `poller_*`). Default: none. */
  readonly metrics?: Metrics;
  /** Stops the worker gracefully when aborted. */
  readonly signal?: AbortSignal;
  /**
   * Serve a live status page (`/`), `/status.json` and `/metrics` from `start()` to `stop()`.
   * Default none. Binds `127.0.0.1` on a free port unless `host`/`port` say otherwise; the URL is
   * `worker.statusUrl`. To mount it on a server of your own, use `createStatusHandler(worker)`.
   */
  readonly statusServer?: StatusServerOptions;
}

/** {@link WorkerOptions} after validation. @public */
export interface ResolvedWorkerOptions {
  readonly applicationName: string;
  readonly tableName: string;
  readonly workerId: string;
  readonly streams: readonly { readonly streamName: string; readonly initialPosition: InitialPosition }[];
  readonly multiStream: boolean;
  readonly processor: RecordProcessorFactory | undefined;
  readonly handler: RecordHandler | undefined;
  readonly autoCheckpoint: boolean;
  readonly processEmptyBatches: boolean;
  readonly maxRecords: number;
  readonly idleTimeBetweenReadsMs: number;
  /** `Infinity` for `'unlimited'`. */
  readonly readBytesPerSecond: number;
  readonly retrieval: 'polling' | 'fanout' | Retrieval;
  /** Set with `retrieval: 'fanout'`. */
  readonly fanout: ResolvedFanOutOptions | undefined;
  readonly failoverTimeMs: number;
  readonly takerIntervalMs: number | undefined;
  readonly maxLeasesForWorker: number | undefined;
  readonly maxLeasesToStealAtOneTime: number | undefined;
  readonly billingMode: BillingMode | undefined;
  readonly gracefulHandoff: boolean | undefined;
  readonly handoffTimeoutMs: number | undefined;
  readonly shardSyncIntervalMs: number;
  readonly leaseCleanupDelayMs: number;
  readonly processingTimeoutMs: number;
  readonly maxProcessingAttempts: number;
  readonly processingRetryBackoff: ResolvedBackoffOptions;
  readonly shutdownTimeoutMs: number;
  readonly kinesisClient: KinesisClient | undefined;
  readonly dynamoDbClient: DynamoDBClient | undefined;
  readonly clientOptions: AwsClientOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly signal: AbortSignal | undefined;
  readonly statusServer: ResolvedStatusServerOptions | undefined;
}

const KNOWN = [
  'applicationName',
  'tableName',
  'workerId',
  'streamName',
  'streams',
  'multiStream',
  'initialPosition',
  'processor',
  'handler',
  'autoCheckpoint',
  'processEmptyBatches',
  'maxRecords',
  'idleTimeBetweenReadsMs',
  'readBytesPerSecond',
  'retrieval',
  'fanout',
  'failoverTimeMs',
  'takerIntervalMs',
  'maxLeasesForWorker',
  'maxLeasesToStealAtOneTime',
  'billingMode',
  'gracefulHandoff',
  'handoffTimeoutMs',
  'shardSyncIntervalMs',
  'leaseCleanupDelayMs',
  'processingTimeoutMs',
  'maxProcessingAttempts',
  'processingRetryBackoff',
  'shutdownTimeoutMs',
  'kinesisClient',
  'dynamoDbClient',
  'clientOptions',
  'clock',
  'logger',
  'metrics',
  'signal',
  'statusServer',
] as const;

/** The Java KCL's option names, for a helpful error when one is passed. */
const KCL_NAMES: Readonly<Record<string, string>> = {
  failoverTimeMillis: 'failoverTimeMs',
  idleTimeBetweenReadsInMillis: 'idleTimeBetweenReadsMs',
  shardSyncIntervalMillis: 'shardSyncIntervalMs',
  callProcessRecordsEvenForEmptyRecordList: 'processEmptyBatches',
  initialPositionInStream: 'initialPosition',
  initialPositionInStreamExtended: 'initialPosition',
  workerIdentifier: 'workerId',
  completedLeaseCleanupIntervalMillis: 'leaseCleanupDelayMs',
  processorFactory: 'processor',
  recordProcessorFactory: 'processor',
  shardRecordProcessorFactory: 'processor',
  timeoutInSeconds: 'processingTimeoutMs',
  shutdownGraceMillis: 'shutdownTimeoutMs',
  retrievalMode: 'retrieval',
  fanoutConfig: 'fanout',
};

function objectOption<T>(path: string, value: unknown, method: string): T | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof (value as Record<string, unknown>)[method] !== 'function') {
    throw new InvalidArgumentError(`${path} must be an object with a ${method}() method`);
  }
  return value as T;
}

function resolveStreams(input: WorkerOptions, fallback: InitialPosition): ResolvedWorkerOptions['streams'] {
  if (input.streamName !== undefined && input.streams !== undefined) throw new InvalidArgumentError('worker.streamName and worker.streams are mutually exclusive');
  if (input.streamName !== undefined) return [{ streamName: requiredString('worker.streamName', input.streamName), initialPosition: fallback }];
  if (!Array.isArray(input.streams) || input.streams.length === 0) throw new InvalidArgumentError('worker.streamName or a non-empty worker.streams is required');
  const streams = input.streams.map((s: string | StreamConfig, i) => {
    const config = typeof s === 'string' ? { streamName: s } : s;
    rejectUnknownOptions(`worker.streams[${i}]`, config, ['streamName', 'initialPosition']);
    return {
      streamName: requiredString(`worker.streams[${i}].streamName`, config.streamName),
      initialPosition: resolveInitialPosition(`worker.streams[${i}].initialPosition`, config.initialPosition, fallback),
    };
  });
  const names = new Set(streams.map((s) => s.streamName));
  if (names.size !== streams.length) throw new InvalidArgumentError('worker.streams names a stream twice');
  return streams;
}

function resolveRetrieval(value: unknown): ResolvedWorkerOptions['retrieval'] {
  if (value === undefined) return 'polling';
  if (typeof value === 'string') return enumOption('worker.retrieval', value, ['polling', 'fanout'] as const, 'polling');
  return objectOption<Retrieval>('worker.retrieval', value, 'createRetriever')!;
}

/** Fills defaults and validates {@link WorkerOptions} before any I/O. @public */
export function resolveWorkerOptions(input: WorkerOptions): ResolvedWorkerOptions {
  if (input === null || typeof input !== 'object') throw new InvalidArgumentError('worker options must be an object');
  rejectUnknownOptions('worker', input, KNOWN, KCL_NAMES);
  const applicationName = requiredString('worker.applicationName', input.applicationName);
  const tableName = stringOption('worker.tableName', input.tableName, applicationName, { pattern: /^[a-zA-Z0-9_.-]{3,255}$/ });
  const initialPosition = resolveInitialPosition('worker.initialPosition', input.initialPosition, 'LATEST');
  const streams = resolveStreams(input, initialPosition);
  const processor = functionOption<RecordProcessorFactory>('worker.processor', input.processor);
  const handler = functionOption<RecordHandler>('worker.handler', input.handler);
  if ((processor === undefined) === (handler === undefined)) throw new InvalidArgumentError('worker needs exactly one of worker.processor and worker.handler');
  const failoverTimeMs = integerOption('worker.failoverTimeMs', input.failoverTimeMs, 10_000, { min: 200, max: 86_400_000 });
  const retrieval = resolveRetrieval(input.retrieval);
  if (input.fanout !== undefined && retrieval !== 'fanout') throw new InvalidArgumentError("worker.fanout is set but worker.retrieval is not 'fanout'");
  const fanout = retrieval === 'fanout' ? resolveFanOutOptions(input.fanout, applicationName, 'worker.fanout') : undefined;
  if (fanout?.consumerArn !== undefined && streams.length > 1)
    throw new InvalidArgumentError('worker.fanout.consumerArn names the consumer of one stream; leave it out to register a consumer on each of the worker.streams');
  const processingTimeoutMs = integerOption('worker.processingTimeoutMs', input.processingTimeoutMs, 300_000, { min: 10, max: 86_400_000 });
  return {
    applicationName,
    tableName,
    workerId: stringOption('worker.workerId', input.workerId, defaultWorkerId(), { nonEmpty: true, maxLength: 1024 }),
    streams,
    multiStream: booleanOption('worker.multiStream', input.multiStream, streams.length > 1),
    processor,
    handler,
    autoCheckpoint: booleanOption('worker.autoCheckpoint', input.autoCheckpoint, handler !== undefined),
    processEmptyBatches: booleanOption('worker.processEmptyBatches', input.processEmptyBatches, false),
    maxRecords: integerOption('worker.maxRecords', input.maxRecords, MAX_GET_RECORDS_LIMIT, { min: 1, max: MAX_GET_RECORDS_LIMIT }),
    idleTimeBetweenReadsMs: integerOption('worker.idleTimeBetweenReadsMs', input.idleTimeBetweenReadsMs, 1_000, { min: MIN_TIME_BETWEEN_READS_MS, max: 3_600_000 }),
    readBytesPerSecond: readRateOption('worker.readBytesPerSecond', input.readBytesPerSecond),
    retrieval,
    fanout,
    failoverTimeMs,
    takerIntervalMs: input.takerIntervalMs === undefined ? undefined : integerOption('worker.takerIntervalMs', input.takerIntervalMs, 0, { min: 10, max: failoverTimeMs }),
    maxLeasesForWorker: input.maxLeasesForWorker === undefined ? undefined : integerOption('worker.maxLeasesForWorker', input.maxLeasesForWorker, 0, { min: 1 }),
    maxLeasesToStealAtOneTime: input.maxLeasesToStealAtOneTime === undefined ? undefined : integerOption('worker.maxLeasesToStealAtOneTime', input.maxLeasesToStealAtOneTime, 1, { min: 1, max: 1000 }),
    // The coordinator's own check, run now so that the error names the worker's field.
    billingMode: input.billingMode === undefined ? undefined : resolveLeaseCoordinatorOptions({ tableName, billingMode: input.billingMode }, 'worker').billingMode,
    gracefulHandoff: input.gracefulHandoff === undefined ? undefined : booleanOption('worker.gracefulHandoff', input.gracefulHandoff, true),
    handoffTimeoutMs: input.handoffTimeoutMs === undefined ? undefined : integerOption('worker.handoffTimeoutMs', input.handoffTimeoutMs, 0, { min: 0, max: 86_400_000 }),
    shardSyncIntervalMs: integerOption('worker.shardSyncIntervalMs', input.shardSyncIntervalMs, 60_000, { min: 100, max: 86_400_000 }),
    leaseCleanupDelayMs: integerOption('worker.leaseCleanupDelayMs', input.leaseCleanupDelayMs, 300_000, { min: 0, max: 86_400_000 * 30 }),
    processingTimeoutMs,
    maxProcessingAttempts: integerOption('worker.maxProcessingAttempts', input.maxProcessingAttempts, 5, { min: 1, max: 1000 }),
    processingRetryBackoff: resolveBackoffOptions(input.processingRetryBackoff, 'worker.processingRetryBackoff', { baseDelayMs: 500, maxDelayMs: 30_000, jitter: 'equal' }),
    shutdownTimeoutMs: integerOption('worker.shutdownTimeoutMs', input.shutdownTimeoutMs, 30_000, { min: 0, max: 3_600_000 }),
    kinesisClient: objectOption<KinesisClient>('worker.kinesisClient', input.kinesisClient, 'send'),
    dynamoDbClient: objectOption<DynamoDBClient>('worker.dynamoDbClient', input.dynamoDbClient, 'send'),
    clientOptions: hideCredentials(input.clientOptions ?? {}),
    clock: input.clock ?? createSystemClock(),
    logger: input.logger ?? createNoopLogger(),
    metrics: input.metrics ?? createNoopMetrics(),
    signal: signalOption('worker.signal', input.signal),
    statusServer: input.statusServer === undefined ? undefined : resolveStatusServerOptions(input.statusServer, 'worker.statusServer'),
  };
}
