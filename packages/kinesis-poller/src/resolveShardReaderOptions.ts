import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  type BackoffOptions,
  booleanOption,
  type Clock,
  functionOption,
  createNoopLogger,
  createNoopMetrics,
  createSystemClock,
  type HashKeyRange,
  InvalidArgumentError,
  integerOption,
  type Logger,
  type Metrics,
  rejectUnknownOptions,
  type ShardlineError,
  requiredString,
  resolveBackoffOptions,
  type ResolvedBackoffOptions,
  signalOption,
} from '@shardline/core';
import type { DeaggregateOptions } from '@shardline/kpl-aggregation';
import { type ResolvedStartingPosition, resolveStartingPosition, type StartingPosition } from './StartingPosition';

/** KCL's floor for the time between two GetRecords calls on a shard (5 reads/s per shard). @public */
export const MIN_TIME_BETWEEN_READS_MS = 200;
/** What one shard gives to GetRecords, in bytes per second (2 MiB/s, shared by every polling consumer). @public */
export const SHARD_READ_BYTES_PER_SECOND = 2_097_152;
/** The most records one GetRecords call may return. @public */
export const MAX_GET_RECORDS_LIMIT = 10_000;
/** A ShardReader's default `maxAttempts`: its owner decides what to do after that (the KCL consumer restarts it). */
const SHARD_READER_MAX_ATTEMPTS = 10;

/** How user records are extracted from KPL aggregates. @public */
export type DeaggregationOptions = Pick<DeaggregateOptions, 'verifyChecksum' | 'outOfRange' | 'onCorrupt' | 'onOutOfRange'>;

/** A transient failure about to be retried, as {@link ReadOptions.onRetry} reports it. @public */
export interface RetryReport {
  /** The shard whose call failed; undefined for ListShards. */
  readonly shardId: string | undefined;
  /** The call that failed. */
  readonly call: 'GetShardIterator' | 'GetRecords' | 'ListShards';
  /** Consecutive failures of this call so far: 1 on the first retry. */
  readonly attempt: number;
  /** Backoff before the next attempt, in milliseconds (at most `retryBackoff.maxDelayMs`). */
  readonly delayMs: number;
}

/** Options shared by {@link ShardReader} and the multi-shard `Poller`. @public */
export interface ReadOptions {
  /** Most records per GetRecords call (`Limit`), 1 to 10,000. Default 10,000. */
  readonly limit?: number;
  /**
   * Milliseconds from the start of one GetRecords call to the next when the shard is caught up
   * (the last call returned less than `limit` records and `millisBehindLatest` was 0). At least
   * 200 (KCL's floor, 5 reads/s per shard). Default 1,000. While catching up, calls are spaced by
   * the 200 ms floor only, so a backlog is read as fast as Kinesis allows.
   */
  readonly idleTimeBetweenReadsMs?: number;
  /**
   * Batches fetched ahead of the one being handled, per shard. 0 (default): the next GetRecords
   * starts only when the previous batch is handled. Up to 100.
   */
  readonly maxPrefetchBatches?: number;
  /**
   * Expand KPL aggregates into user records with sub-sequence numbers. Default true; pass options
   * to tune it. With `outOfRange` set, sub-records are checked against the shard's hash-key range
   * (costs one MD5 per record).
   */
  readonly deaggregate?: boolean | DeaggregationOptions;
  /** Deliver batches with no records (to observe `millisBehindLatest`). Default false. */
  readonly deliverEmptyBatches?: boolean;
  /**
   * Read rate to stay under, per shard, in bytes per second: after a GetRecords that returned B
   * bytes (data + partition keys), the next call on that shard waits until B / readBytesPerSecond
   * after the answer, as Kinesis refuses reads until then (a 10 MiB answer blocks the shard for 5 s).
   * The reader then waits once instead of being throttled and backing off. Default 2,097,152
   * (Kinesis's 2 MiB/s per shard); lower it when other polling consumers share the shards, or pass
   * `'unlimited'` against an emulator without limits.
   */
  readonly readBytesPerSecond?: number | 'unlimited';
  /** Backoff after ProvisionedThroughputExceeded, per shard; retried without limit. Default 500 ms doubling to 10 s, equal jitter. */
  readonly throttleBackoff?: BackoffOptions;
  /** Backoff after a transient error (network, 5xx, timeout). Default 100 ms doubling to 5 s, full jitter. */
  readonly retryBackoff?: BackoffOptions;
  /**
   * Consecutive attempts of one call on transient errors (network, 5xx, timeouts; and of fresh
   * iterators on repeated ExpiredIterator) before the error surfaces: 1 to 100, or `'unlimited'`
   * to retry until the call succeeds or the reader stops (backoff capped by `retryBackoff`).
   * Default: `'unlimited'` for the `Poller` (a long-running consumer rides out an outage),
   * 10 for a `ShardReader` (its owner, such as the KCL consumer, restarts it).
   */
  readonly maxAttempts?: number | 'unlimited';
  /**
   * Called before each retry of a transient failure — the retries `maxAttempts` bounds and
   * `poller_retries_total` counts — to alert on an outage while it is ridden out. Throttling is
   * reported by `poller_throttles_total` instead. Must not throw (what it throws is logged).
   */
  readonly onRetry?: (error: ShardlineError, retry: RetryReport) => void;
  /**
   * Longest wait for one GetRecords or GetShardIterator answer, in milliseconds (KCL's
   * `kinesisRequestTimeout`); a call that takes longer is aborted and retried as a transient
   * error. 100 to 600,000. Default 30,000.
   */
  readonly requestTimeoutMs?: number;
  /** Time source for pacing and backoff. Default: the system clock. */
  readonly clock?: Clock;
  /** Logger. Default: none. */
  readonly logger?: Logger;
  /** Metrics (`poller_*`, labelled by `stream` and `shard_id`). Default: none. */
  readonly metrics?: Metrics;
}

/** Options of {@link ShardReader}: one shard, from one starting position. @public */
export interface ShardReaderOptions extends ReadOptions {
  /** The Kinesis client; the reader never destroys it. */
  readonly client: KinesisClient;
  /** The stream's name (or give `streamArn`). */
  readonly streamName?: string;
  /** The stream's ARN (or give `streamName`). */
  readonly streamArn?: string;
  readonly shardId: string;
  /** Where to start. Default `TRIM_HORIZON`. */
  readonly startingPosition?: StartingPosition;
  /** Hash-key range of the shard, for the deaggregation range check. */
  readonly shardRange?: HashKeyRange;
  /** Stops the reader when aborted, as {@link ShardReader.stop} does. */
  readonly signal?: AbortSignal;
}

/** {@link ReadOptions} with defaults filled. @public */
export interface ResolvedReadOptions {
  readonly limit: number;
  readonly idleTimeBetweenReadsMs: number;
  readonly maxPrefetchBatches: number;
  readonly deaggregate: DeaggregationOptions | false;
  readonly deliverEmptyBatches: boolean;
  /** `Infinity` for `'unlimited'`. */
  readonly readBytesPerSecond: number;
  readonly throttleBackoff: ResolvedBackoffOptions;
  readonly retryBackoff: ResolvedBackoffOptions;
  /** `Infinity` for `'unlimited'`. */
  readonly maxAttempts: number;
  readonly onRetry: ((error: ShardlineError, retry: RetryReport) => void) | undefined;
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** {@link ShardReaderOptions} with defaults filled. @public */
export interface ResolvedShardReaderOptions extends ResolvedReadOptions {
  readonly client: KinesisClient;
  readonly streamName: string | undefined;
  readonly streamArn: string | undefined;
  /** The stream's name (from the ARN when only that was given), for logs and metric labels. */
  readonly streamLabel: string;
  readonly shardId: string;
  readonly startingPosition: ResolvedStartingPosition;
  readonly shardRange: HashKeyRange | undefined;
  readonly signal: AbortSignal | undefined;
}

/** The keys of {@link ReadOptions}. @internal */
export const READ_OPTION_KEYS = [
  'limit',
  'idleTimeBetweenReadsMs',
  'maxPrefetchBatches',
  'deaggregate',
  'deliverEmptyBatches',
  'readBytesPerSecond',
  'throttleBackoff',
  'retryBackoff',
  'maxAttempts',
  'onRetry',
  'requestTimeoutMs',
  'clock',
  'logger',
  'metrics',
] as const;

function deaggregateOption(path: string, value: unknown): DeaggregationOptions | false {
  if (value === undefined || value === true) return {};
  if (value === false) return false;
  if (value === null || typeof value !== 'object') {
    const primitive = value as string | number | bigint | symbol;
    throw new InvalidArgumentError(`${path} must be a boolean or deaggregation options (got ${String(primitive)})`);
  }
  rejectUnknownOptions(path, value, ['verifyChecksum', 'outOfRange', 'onCorrupt', 'onOutOfRange']);
  return value;
}

/** Attempts: an integer from 1 to 100, or `'unlimited'` (Infinity). */
function attemptsOption(path: string, value: unknown, defaultValue: number): number {
  if (value === 'unlimited') return Infinity;
  if (value === undefined || typeof value === 'number') return integerOption(path, value, defaultValue, { min: 1, max: 100 });
  throw new InvalidArgumentError(`${path} must be an integer between 1 and 100, or 'unlimited' (got ${JSON.stringify(value) ?? typeof value})`);
}

/** Validates `readBytesPerSecond`: `Infinity` for `'unlimited'`. */
export function readRateOption(path: string, value: unknown): number {
  if (value === 'unlimited') return Infinity;
  if (value === undefined || typeof value === 'number') return integerOption(path, value, SHARD_READ_BYTES_PER_SECOND, { min: 1_024, max: 1_073_741_824 });
  throw new InvalidArgumentError(`${path} must be an integer between 1024 and 1073741824, or 'unlimited' (got ${JSON.stringify(value) ?? typeof value})`);
}

function objectOption<T extends object>(path: string, value: unknown, methods: readonly string[], make: () => T): T {
  if (value === undefined) return make();
  if (value === null || typeof value !== 'object' || methods.some((m) => typeof (value as Record<string, unknown>)[m] !== 'function')) {
    throw new InvalidArgumentError(`${path} must be an object with ${methods.join(', ')} methods`);
  }
  return value as T;
}

/**
 * Validates the shared read options; `path` prefixes field names in errors. `defaultMaxAttempts`
 * differs between the Poller (unlimited) and a ShardReader (10).
 * @internal
 */
export function resolveReadOptions(input: ReadOptions, path: string, defaultMaxAttempts: number): ResolvedReadOptions {
  return {
    limit: integerOption(`${path}.limit`, input.limit, MAX_GET_RECORDS_LIMIT, { min: 1, max: MAX_GET_RECORDS_LIMIT }),
    idleTimeBetweenReadsMs: integerOption(`${path}.idleTimeBetweenReadsMs`, input.idleTimeBetweenReadsMs, 1_000, { min: MIN_TIME_BETWEEN_READS_MS, max: 3_600_000 }),
    maxPrefetchBatches: integerOption(`${path}.maxPrefetchBatches`, input.maxPrefetchBatches, 0, { min: 0, max: 100 }),
    deaggregate: deaggregateOption(`${path}.deaggregate`, input.deaggregate),
    deliverEmptyBatches: booleanOption(`${path}.deliverEmptyBatches`, input.deliverEmptyBatches, false),
    readBytesPerSecond: readRateOption(`${path}.readBytesPerSecond`, input.readBytesPerSecond),
    throttleBackoff: resolveBackoffOptions(input.throttleBackoff, `${path}.throttleBackoff`, { baseDelayMs: 500, maxDelayMs: 10_000, jitter: 'equal' }),
    retryBackoff: resolveBackoffOptions(input.retryBackoff, `${path}.retryBackoff`, { baseDelayMs: 100, maxDelayMs: 5_000, jitter: 'full' }),
    maxAttempts: attemptsOption(`${path}.maxAttempts`, input.maxAttempts, defaultMaxAttempts),
    onRetry: functionOption(`${path}.onRetry`, input.onRetry),
    requestTimeoutMs: integerOption(`${path}.requestTimeoutMs`, input.requestTimeoutMs, 30_000, { min: 100, max: 600_000 }),
    clock: objectOption(`${path}.clock`, input.clock, ['now', 'monotonicNow', 'sleep'], createSystemClock),
    logger: objectOption(`${path}.logger`, input.logger, ['debug', 'info', 'warn', 'error', 'child'], createNoopLogger),
    metrics: objectOption(`${path}.metrics`, input.metrics, ['counter', 'gauge', 'histogram'], createNoopMetrics),
  };
}

/** The stream name for labels: the name, or the last path segment of the ARN. @internal */
export function streamLabelOf(streamName: string | undefined, streamArn: string | undefined): string {
  return streamName ?? streamArn!.slice(streamArn!.lastIndexOf('/') + 1);
}

/** Validates the stream reference: exactly one of `streamName` and `streamArn`. @internal */
export function resolveStreamRef(path: string, streamName: unknown, streamArn: unknown): { streamName: string | undefined; streamArn: string | undefined } {
  if ((streamName === undefined) === (streamArn === undefined)) {
    throw new InvalidArgumentError(`${path} needs exactly one of streamName and streamArn`);
  }
  if (streamName !== undefined) return { streamName: requiredString(`${path}.streamName`, streamName), streamArn: undefined };
  const arn = requiredString(`${path}.streamArn`, streamArn);
  if (!/^arn:aws[\w-]*:kinesis:[\w-]+:\d{12}:stream\/[\w.-]+$/.test(arn)) {
    throw new InvalidArgumentError(`${path}.streamArn must be a Kinesis stream ARN (got ${JSON.stringify(arn)})`);
  }
  return { streamName: undefined, streamArn: arn };
}

/** Checks that `value` looks like an SDK v3 client. @internal */
export function clientOption(path: string, value: unknown): KinesisClient {
  if (value === null || typeof value !== 'object' || typeof (value as { send?: unknown }).send !== 'function') {
    throw new InvalidArgumentError(`${path} must be a KinesisClient (got ${value === undefined ? 'undefined' : typeof value})`);
  }
  return value as KinesisClient;
}

/**
 * Fills defaults and validates {@link ShardReaderOptions} before any I/O; errors name the field
 * (`shardReader.limit must be an integer between 1 and 10000 (got 0)`).
 * @public
 */
export function resolveShardReaderOptions(input: ShardReaderOptions): ResolvedShardReaderOptions {
  const path = 'shardReader';
  rejectUnknownOptions(path, input, [...READ_OPTION_KEYS, 'client', 'streamName', 'streamArn', 'shardId', 'startingPosition', 'shardRange', 'signal']);
  const stream = resolveStreamRef(path, input.streamName, input.streamArn);
  return {
    ...resolveReadOptions(input, path, SHARD_READER_MAX_ATTEMPTS),
    client: clientOption(`${path}.client`, input.client),
    ...stream,
    streamLabel: streamLabelOf(stream.streamName, stream.streamArn),
    shardId: requiredString(`${path}.shardId`, input.shardId),
    startingPosition: resolveStartingPosition(input.startingPosition ?? 'TRIM_HORIZON', `${path}.startingPosition`),
    shardRange: input.shardRange,
    signal: signalOption(`${path}.signal`, input.signal),
  };
}
