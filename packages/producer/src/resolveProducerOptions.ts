import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  type AwsClientOptions,
  type BackoffOptions,
  booleanOption,
  type Clock,
  createNoopLogger,
  enumOption,
  functionOption,
  hideCredentials,
  InvalidArgumentError,
  integerOption,
  type Logger,
  type Metrics,
  numberOption,
  rejectUnknownOptions,
  type ResolvedBackoffOptions,
  resolveBackoffOptions,
  type StreamRef,
  stringOption,
} from '@shardline/core';
import { MAX_RECORD_BYTES_LIMIT, type ResolvedAggregatorOptions, resolveAggregatorOptions } from '@shardline/kpl-aggregation';
import type { Putter } from './Putter';
import type { ShardMapSource } from './ShardMapSource';

/** What `put` does when the buffer is full. @public */
export type BackpressureMode = 'wait' | 'reject';

/**
 * Options of a {@link Producer}. Every field is optional except the stream (`streamName` or
 * `streamArn`). Sizes are bytes, durations milliseconds. Names follow the KPL's settings where one
 * exists (KPL name in brackets).
 * @public
 */
export interface ProducerOptions {
  /** The stream to write to. Exactly one of `streamName` and `streamArn` is required. */
  readonly streamName?: string;
  /** The stream to write to, by ARN (cross-account). */
  readonly streamArn?: string;
  /**
   * The Kinesis client for PutRecords and ListShards. It is not destroyed on close. Build it with
   * `maxAttempts: 1`: with SDK retries on, one producer attempt hides up to that many calls (a
   * warning is logged at start). Default: a client created from `clientOptions`, with SDK retries off,
   * destroyed on close.
   */
  readonly client?: KinesisClient;
  /** How to build the default client (region, endpoint, credentials, …); `maxAttempts` is forced to 1. */
  readonly clientOptions?: AwsClientOptions;
  /** Replaces the PutRecords call (custom transport, tests, benchmarks). Default: PutRecords on the client. */
  readonly putter?: Putter;
  /** Where shards come from. Default: ListShards on the client. */
  readonly shardMapSource?: ShardMapSource;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Structured logger. Default: none (nothing is written to stdout or stderr, as the poller and the
   * lease coordinator do); pass `createLogger({ name: 'shardline-producer' })` for pino JSON lines.
   */
  readonly logger?: Logger;
  /** Metrics seam; pass `createPromMetrics(registry)` for Prometheus. Default: no metrics. */
  readonly metrics?: Metrics;

  /** Pack user records bound for the same shard into KPL aggregates [AggregationEnabled]. Default true. */
  readonly aggregation?: boolean;
  /** Largest aggregate, bytes [AggregationMaxSize]. Default 51,200; at most `maxRecordBytes`. */
  readonly maxAggregateBytes?: number;
  /** Most user records per aggregate [AggregationMaxCount]. Default 4,294,967,295. */
  readonly maxAggregateRecords?: number;
  /** Largest user record (data + partition key), bytes [MaxUserRecordSize]. Default 1,048,576; up to 10 MiB for streams raised with UpdateMaxRecordSize. */
  readonly maxRecordBytes?: number;
  /** Most Kinesis records per PutRecords [CollectionMaxCount]. Default 500 (the API limit). */
  readonly maxBatchRecords?: number;
  /**
   * Most bytes per PutRecords, counting data + partition key of each entry as Kinesis does
   * [CollectionMaxSize]. Default 5,242,880 (5 MiB); at most 10,485,760, the current API limit.
   */
  readonly maxBatchBytes?: number;
  /**
   * Longest time a record waits to be aggregated and collected before it is sent, ms
   * [RecordMaxBufferedTime]. Default 100. Larger values give bigger aggregates and fewer requests.
   */
  readonly maxBufferedTimeMs?: number;
  /** Most PutRecords calls in flight [MaxConnections]. Default 24, 1 to 256. */
  readonly maxConnections?: number;
  /** A PutRecords call not answered within this is abandoned and its records retried, ms [RequestTimeout]. Default 6,000. */
  readonly requestTimeoutMs?: number;
  /** A record not written this long after `put` fails with RecordExpiredError (`Expired`), ms [RecordTtl]. Default 30,000. */
  readonly recordTtlMs?: number;
  /**
   * Per-shard send budget as a percentage of the shard limits (1,000 records/s and 1 MiB/s)
   * [RateLimit]. Default 150, which lets one producer saturate a shard.
   */
  readonly rateLimitPercent?: number;
  /** Cut a shard's budget on throttling and grow it back slowly (AIMD). Default true; false keeps the KPL's fixed rate. */
  readonly adaptiveRateLimit?: boolean;
  /** Fail a throttled record at once instead of retrying it [FailIfThrottled]. Default false. */
  readonly failIfThrottled?: boolean;
  /** Backoff between retries of a record (full jitter). Default base 100 ms, ×2, at most 5,000 ms. */
  readonly retryBackoff?: BackoffOptions;
  /** Most records accepted and not yet settled (buffered, in flight or waiting to retry). Default 100,000. */
  readonly maxBufferedRecords?: number;
  /** Most bytes (data + partition key) accepted and not yet settled. Default 67,108,864 (64 MiB); at least `maxRecordBytes`. */
  readonly maxBufferedBytes?: number;
  /** When the buffer is full, `'wait'` (default) makes `put` wait for room in FIFO order; `'reject'` rejects it with BufferFullError. */
  readonly onBackpressure?: BackpressureMode;
  /**
   * Most `put`/`send`/`writable()` calls waiting for buffer room at once (with `onBackpressure:
   * 'wait'`); one more rejects at once with BufferFullError. Each waiting call holds its record, so
   * memory stays bounded only with this bound: at most `maxBufferedBytes` plus the records of
   * `maxWaitingPuts` waiting calls. Default 10,000; 0 rejects instead of waiting.
   */
  readonly maxWaitingPuts?: number;
  /**
   * Keep `put` order per partition key, also across retries: at most one PutRecords in flight per
   * shard, at most one Kinesis record per shard in each, failed records retried ahead of later ones.
   * Default false.
   */
  readonly ordered?: boolean;
  /** Failures each `failures()` iterator buffers for a slow reader before it drops (and counts) more. Default 10,000. */
  readonly failureBufferSize?: number;
  /** Also refresh the shard map this often while records flow, ms; 0 = only when results show it is stale (the KPL's way). Default 0. */
  readonly shardMapRefreshIntervalMs?: number;
}

/** {@link ProducerOptions} after validation, with defaults filled. @public */
export interface ResolvedProducerOptions {
  readonly stream: StreamRef;
  readonly client: KinesisClient | undefined;
  readonly clientOptions: AwsClientOptions;
  readonly putter: Putter | undefined;
  readonly shardMapSource: ShardMapSource | undefined;
  readonly clock: Clock | undefined;
  readonly logger: Logger | undefined;
  readonly metrics: Metrics | undefined;
  readonly aggregation: boolean;
  /** Aggregator settings; `maxAggregateRecords` is 1 when aggregation is off. */
  readonly aggregator: ResolvedAggregatorOptions;
  readonly maxRecordBytes: number;
  readonly maxBatchRecords: number;
  readonly maxBatchBytes: number;
  readonly maxBufferedTimeMs: number;
  readonly maxConnections: number;
  readonly requestTimeoutMs: number;
  readonly recordTtlMs: number;
  readonly rateLimitPercent: number;
  readonly adaptiveRateLimit: boolean;
  readonly failIfThrottled: boolean;
  readonly retryBackoff: ResolvedBackoffOptions;
  readonly maxBufferedRecords: number;
  readonly maxBufferedBytes: number;
  readonly onBackpressure: BackpressureMode;
  readonly maxWaitingPuts: number;
  readonly ordered: boolean;
  readonly failureBufferSize: number;
  readonly shardMapRefreshIntervalMs: number;
}

const KNOWN = [
  'streamName',
  'streamArn',
  'client',
  'clientOptions',
  'putter',
  'shardMapSource',
  'clock',
  'logger',
  'metrics',
  'aggregation',
  'maxAggregateBytes',
  'maxAggregateRecords',
  'maxRecordBytes',
  'maxBatchRecords',
  'maxBatchBytes',
  'maxBufferedTimeMs',
  'maxConnections',
  'requestTimeoutMs',
  'recordTtlMs',
  'rateLimitPercent',
  'adaptiveRateLimit',
  'failIfThrottled',
  'retryBackoff',
  'maxBufferedRecords',
  'maxBufferedBytes',
  'onBackpressure',
  'maxWaitingPuts',
  'ordered',
  'failureBufferSize',
  'shardMapRefreshIntervalMs',
] as const;

/** KPL, a8m/kinesis-producer and kinesis-pusher names, pointed at ours. */
const RENAMED: Readonly<Record<string, string>> = {
  aggregationEnabled: 'aggregation',
  aggregationMaxSize: 'maxAggregateBytes',
  aggregationMaxCount: 'maxAggregateRecords',
  maxUserRecordSize: 'maxRecordBytes',
  collectionMaxCount: 'maxBatchRecords',
  collectionMaxSize: 'maxBatchBytes',
  batchCount: 'maxBatchRecords',
  batchSize: 'maxBatchBytes',
  recordMaxBufferedTime: 'maxBufferedTimeMs',
  flushInterval: 'maxBufferedTimeMs',
  requestTimeout: 'requestTimeoutMs',
  recordTtl: 'recordTtlMs',
  rateLimit: 'rateLimitPercent',
  backlogCount: 'maxBufferedRecords',
  shardRefreshInterval: 'shardMapRefreshIntervalMs',
  region: 'clientOptions',
  endpoint: 'clientOptions',
};

function objectOption<T>(path: string, value: unknown, method: string): T | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof (value as Record<string, unknown>)[method] !== 'function') {
    throw new InvalidArgumentError(`${path} must be an object with a ${method}() method`);
  }
  return value as T;
}

/**
 * Validates producer options eagerly (before any I/O), naming the offending field, and fills defaults.
 * @public
 */
export function resolveProducerOptions(input: ProducerOptions): ResolvedProducerOptions {
  const path = 'producer';
  if (input === undefined || input === null || typeof input !== 'object') throw new InvalidArgumentError(`${path} options must be an object with streamName or streamArn`);
  rejectUnknownOptions(path, input, KNOWN, RENAMED);

  const streamName = stringOption(`${path}.streamName`, input.streamName, '', { nonEmpty: true, maxLength: 128, pattern: /^[a-zA-Z0-9_.-]+$/ });
  const streamArn = stringOption(`${path}.streamArn`, input.streamArn, '', { nonEmpty: true, pattern: /^arn:aws[a-z-]*:kinesis:/ });
  if (!streamName && !streamArn) throw new InvalidArgumentError(`${path}.streamName or ${path}.streamArn is required`);
  if (streamName && streamArn) throw new InvalidArgumentError(`${path}.streamName and ${path}.streamArn are exclusive; give one`);
  const stream: StreamRef = streamArn ? { streamArn } : { streamName };

  const client = objectOption<KinesisClient>(`${path}.client`, input.client, 'send');
  if (client && input.clientOptions !== undefined) throw new InvalidArgumentError(`${path}.client and ${path}.clientOptions are exclusive; configure the client you pass`);
  if (input.clientOptions !== undefined && (input.clientOptions === null || typeof input.clientOptions !== 'object')) {
    throw new InvalidArgumentError(`${path}.clientOptions must be an object`);
  }
  const putter = objectOption<Putter>(`${path}.putter`, input.putter, 'putRecords');
  const shardMapSource = objectOption<ShardMapSource>(`${path}.shardMapSource`, input.shardMapSource, 'load');
  const clock = objectOption<Clock>(`${path}.clock`, input.clock, 'monotonicNow');
  // Quiet by default: no package writes to stdout unless asked.
  const logger = objectOption<Logger>(`${path}.logger`, input.logger, 'child') ?? createNoopLogger();
  const metrics = objectOption<Metrics>(`${path}.metrics`, input.metrics, 'counter');
  if (clock) functionOption(`${path}.clock.sleep`, (clock as { readonly sleep?: unknown }).sleep);

  const aggregation = booleanOption(`${path}.aggregation`, input.aggregation, true);
  const agg = resolveAggregatorOptions({ maxAggregateBytes: input.maxAggregateBytes, maxAggregateRecords: input.maxAggregateRecords, maxRecordBytes: input.maxRecordBytes, validate: false }, path);
  const aggregator: ResolvedAggregatorOptions = aggregation ? agg : { ...agg, maxAggregateRecords: 1 };
  const maxRecordBytes = agg.maxRecordBytes;

  const maxBatchRecords = integerOption(`${path}.maxBatchRecords`, input.maxBatchRecords, 500, { min: 1, max: 500 });
  const maxBatchBytes = integerOption(`${path}.maxBatchBytes`, input.maxBatchBytes, Math.max(5 * 1024 * 1024, maxRecordBytes), { min: 1024, max: MAX_RECORD_BYTES_LIMIT });
  const maxBufferedTimeMs = integerOption(`${path}.maxBufferedTimeMs`, input.maxBufferedTimeMs, 100, { min: 0, max: 3_600_000 });
  const maxConnections = integerOption(`${path}.maxConnections`, input.maxConnections, 24, { min: 1, max: 256 });
  const requestTimeoutMs = integerOption(`${path}.requestTimeoutMs`, input.requestTimeoutMs, 6_000, { min: 100, max: 600_000 });
  const recordTtlMs = integerOption(`${path}.recordTtlMs`, input.recordTtlMs, 30_000, { min: 100, max: 86_400_000 });
  const rateLimitPercent = numberOption(`${path}.rateLimitPercent`, input.rateLimitPercent, 150, { min: 1, max: 1_000_000 });
  const adaptiveRateLimit = booleanOption(`${path}.adaptiveRateLimit`, input.adaptiveRateLimit, true);
  const failIfThrottled = booleanOption(`${path}.failIfThrottled`, input.failIfThrottled, false);
  const retryBackoff = resolveBackoffOptions(input.retryBackoff, `${path}.retryBackoff`, { baseDelayMs: 100, maxDelayMs: 5_000, multiplier: 2, jitter: 'full' });
  const maxBufferedRecords = integerOption(`${path}.maxBufferedRecords`, input.maxBufferedRecords, 100_000, { min: 1, max: 100_000_000 });
  const maxBufferedBytes = integerOption(`${path}.maxBufferedBytes`, input.maxBufferedBytes, Math.max(64 * 1024 * 1024, maxRecordBytes), { min: maxRecordBytes, max: Number.MAX_SAFE_INTEGER });
  const onBackpressure = enumOption<BackpressureMode>(`${path}.onBackpressure`, input.onBackpressure, ['wait', 'reject'], 'wait');
  const maxWaitingPuts = integerOption(`${path}.maxWaitingPuts`, input.maxWaitingPuts, 10_000, { min: 0, max: 10_000_000 });
  const ordered = booleanOption(`${path}.ordered`, input.ordered, false);
  const failureBufferSize = integerOption(`${path}.failureBufferSize`, input.failureBufferSize, 10_000, { min: 1, max: 10_000_000 });
  const shardMapRefreshIntervalMs = integerOption(`${path}.shardMapRefreshIntervalMs`, input.shardMapRefreshIntervalMs, 0, { min: 0, max: 86_400_000 });

  return {
    stream,
    client,
    clientOptions: hideCredentials({ ...(input.clientOptions ?? {}) }),
    putter,
    shardMapSource,
    clock,
    logger,
    metrics,
    aggregation,
    aggregator,
    maxRecordBytes,
    maxBatchRecords,
    maxBatchBytes,
    maxBufferedTimeMs,
    maxConnections,
    requestTimeoutMs,
    recordTtlMs,
    rateLimitPercent,
    adaptiveRateLimit,
    failIfThrottled,
    retryBackoff,
    maxBufferedRecords,
    maxBufferedBytes,
    onBackpressure,
    maxWaitingPuts,
    ordered,
    failureBufferSize,
    shardMapRefreshIntervalMs,
  };
}
