import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  type AwsClientOptions,
  resolveAwsClientOptions,
  type BackoffOptions,
  booleanOption,
  functionOption,
  hideCredentials,
  InvalidArgumentError,
  integerOption,
  rejectUnknownOptions,
  resolveBackoffOptions,
  type ResolvedBackoffOptions,
  signalOption,
  stringOption,
} from '@shardline/core';
import { MemoryPositionStore } from './MemoryPositionStore';
import type { PositionStore } from './PositionStore';
import { clientOption, READ_OPTION_KEYS, type ReadOptions, type ResolvedReadOptions, resolveReadOptions, resolveStreamRef, streamLabelOf } from './resolveShardReaderOptions';
import { resolveStartingPosition, type StartingPosition } from './StartingPosition';

/** Options of the multi-shard {@link Poller}. Every field is optional except the stream. @public */
export interface PollerOptions extends ReadOptions {
  /** The stream's name (or give `streamArn`). */
  readonly streamName?: string;
  /** The stream's ARN (or give `streamName`). */
  readonly streamArn?: string;
  /**
   * A Kinesis client; the poller never destroys it. Give it `maxAttempts: 1`: the poller retries
   * itself, per shard, and SDK retries on top would multiply attempts. Default: a client built
   * from `aws` with SDK retries off, destroyed when the poller stops.
   */
  readonly client?: KinesisClient;
  /** How to build the client when none is given (region, endpoint, credentials …). Default: the environment. */
  readonly aws?: AwsClientOptions;
  /** Read only these shards (and their descendants, see `followChildShards`). Default: every shard. */
  readonly shardIds?: readonly string[];
  /** Read the children of a shard that ends (after all their parents). Default true. */
  readonly followChildShards?: boolean;
  /**
   * Where a shard with no stored position starts: a {@link StartingPosition} for every such shard,
   * or a function of the shard id. Shards whose parents are read start at TRIM_HORIZON after them.
   * Default `TRIM_HORIZON`.
   */
  readonly startingPosition?: StartingPosition | ((shardId: string) => StartingPosition);
  /** Where positions are kept. Default: a {@link MemoryPositionStore} (nothing survives the process). */
  readonly store?: PositionStore;
  /** Application name, to keep positions of several applications of one stream apart. Default none. */
  readonly appName?: string;
  /** Save a shard's position after this many handled batches; 0 = only on the timer and at stop. Default 1. */
  readonly saveEveryBatches?: number;
  /** Also save unsaved positions every this many milliseconds; 0 = no timer. Default 0. */
  readonly saveIntervalMs?: number;
  /** Milliseconds between ListShards calls that look for new shards (UpdateShardCount); 0 = never. Default 60,000. */
  readonly shardSyncIntervalMs?: number;
  /** Calls of the handler again with the same batch after it threw, before the shard fails. Default 0. */
  readonly handlerRetries?: number;
  /** Backoff between handler retries. Default 200 ms doubling to 10 s, equal jitter. */
  readonly handlerRetryBackoff?: BackoffOptions;
  /**
   * How long `stop()` (or the signal) waits for a handler still running, in milliseconds. Shards
   * whose handlers returned are saved at once; when this runs out, the poller stops without the
   * others (their batches stay unhandled and come again after a restart) and `run()` rejects with
   * a TimeoutError naming their shards. 0 to 3,600,000. Default 30,000.
   */
  readonly handlerGraceMs?: number;
  /**
   * Called when one shard's loop stops on an error (handler threw, retries exhausted, non-retryable
   * AWS error); the other shards go on. Without it, the first such error stops the whole poller and
   * `run()` rejects with it (the async iterator throws it).
   */
  readonly onShardError?: (error: unknown, shardId: string) => void;
  /** Stops the poller when aborted, as `stop()` does. */
  readonly signal?: AbortSignal;
}

/** {@link PollerOptions} with defaults filled. @public */
export interface ResolvedPollerOptions extends ResolvedReadOptions {
  readonly streamName: string | undefined;
  readonly streamArn: string | undefined;
  readonly streamLabel: string;
  readonly client: KinesisClient | undefined;
  readonly aws: AwsClientOptions | undefined;
  readonly shardIds: readonly string[] | undefined;
  readonly followChildShards: boolean;
  readonly startingPosition: (shardId: string) => StartingPosition;
  readonly store: PositionStore;
  readonly namespace: string;
  readonly saveEveryBatches: number;
  readonly saveIntervalMs: number;
  readonly shardSyncIntervalMs: number;
  readonly handlerRetries: number;
  readonly handlerRetryBackoff: ResolvedBackoffOptions;
  readonly handlerGraceMs: number;
  readonly onShardError: ((error: unknown, shardId: string) => void) | undefined;
  readonly signal: AbortSignal | undefined;
}

// core declares `path = service`, which types the parameter as the service name; any string works.
const validateAwsOptions = resolveAwsClientOptions as (service: 'kinesis', input: AwsClientOptions, path: string) => unknown;

const KEYS = [
  ...READ_OPTION_KEYS,
  'streamName',
  'streamArn',
  'client',
  'aws',
  'shardIds',
  'followChildShards',
  'startingPosition',
  'store',
  'appName',
  'saveEveryBatches',
  'saveIntervalMs',
  'shardSyncIntervalMs',
  'handlerRetries',
  'handlerRetryBackoff',
  'handlerGraceMs',
  'onShardError',
  'signal',
];

const RENAMED: Readonly<Record<string, string>> = {
  interval: 'idleTimeBetweenReadsMs',
  intervalMs: 'idleTimeBetweenReadsMs',
  idleTimeBetweenReadsInMillis: 'idleTimeBetweenReadsMs',
  maxRecords: 'limit',
  iteratorType: 'startingPosition',
  initialPositionInStream: 'startingPosition',
};

function shardIdsOption(path: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new InvalidArgumentError(`${path} must be a non-empty array of shard ids`);
  }
  return [...new Set(value as string[])];
}

function storeOption(path: string, value: unknown): PositionStore {
  if (value === undefined) return new MemoryPositionStore();
  if (!isPositionStore(value)) throw new InvalidArgumentError(`${path} must be a PositionStore (load, save and close methods)`);
  return value;
}

/** Whether `value` has the methods of a {@link PositionStore}. */
function isPositionStore(value: unknown): value is PositionStore {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.load === 'function' && typeof v.save === 'function' && typeof v.close === 'function';
}

function startingPositionOption(path: string, value: unknown, shardIds: readonly string[] | undefined): (shardId: string) => StartingPosition {
  if (typeof value === 'function') return value as (shardId: string) => StartingPosition;
  const position = (value ?? 'TRIM_HORIZON') as StartingPosition;
  const type = resolveStartingPosition(position, path).type;
  if ((type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER') && shardIds?.length !== 1) {
    throw new InvalidArgumentError(`${path}: a sequence number belongs to one shard; give shardIds with that one shard, or a function of the shard id`);
  }
  return () => position;
}

/**
 * Fills defaults and validates {@link PollerOptions} before any I/O; errors name the field
 * (`poller.limit must be an integer between 1 and 10000 (got 20000)`).
 * @public
 */
export function resolvePollerOptions(input: PollerOptions): ResolvedPollerOptions {
  const path = 'poller';
  rejectUnknownOptions(path, input, KEYS, RENAMED);
  const stream = resolveStreamRef(path, input.streamName, input.streamArn);
  const streamLabel = streamLabelOf(stream.streamName, stream.streamArn);
  if (input.client !== undefined && input.aws !== undefined) throw new InvalidArgumentError(`${path} takes client or aws, not both`);
  const shardIds = shardIdsOption(`${path}.shardIds`, input.shardIds);
  const appName = stringOption(`${path}.appName`, input.appName, '', { pattern: /^[^/]*$/, maxLength: 255 });
  const saveEveryBatches = integerOption(`${path}.saveEveryBatches`, input.saveEveryBatches, 1, { min: 0, max: 1_000_000 });
  const saveIntervalMs = integerOption(`${path}.saveIntervalMs`, input.saveIntervalMs, 0, { min: 0, max: 86_400_000 });
  if (saveEveryBatches === 0 && saveIntervalMs === 0) {
    throw new InvalidArgumentError(`${path}.saveEveryBatches is 0 and ${path}.saveIntervalMs is 0: positions would be saved only at stop; set one of them`);
  }
  return {
    // A long-running consumer rides out an outage by default; it gives up only where asked to.
    ...resolveReadOptions(input, path, Infinity),
    ...stream,
    streamLabel,
    client: input.client === undefined ? undefined : clientOption(`${path}.client`, input.client),
    aws: input.aws === undefined ? undefined : (validateAwsOptions('kinesis', input.aws, `${path}.aws`), hideCredentials(input.aws)),
    shardIds,
    followChildShards: booleanOption(`${path}.followChildShards`, input.followChildShards, true),
    startingPosition: startingPositionOption(`${path}.startingPosition`, input.startingPosition, shardIds),
    store: storeOption(`${path}.store`, input.store),
    namespace: appName ? `${appName}/${streamLabel}` : streamLabel,
    saveEveryBatches,
    saveIntervalMs,
    shardSyncIntervalMs: integerOption(`${path}.shardSyncIntervalMs`, input.shardSyncIntervalMs, 60_000, { min: 0, max: 86_400_000 }),
    handlerRetries: integerOption(`${path}.handlerRetries`, input.handlerRetries, 0, { min: 0, max: 1_000 }),
    handlerRetryBackoff: resolveBackoffOptions(input.handlerRetryBackoff, `${path}.handlerRetryBackoff`, { baseDelayMs: 200, maxDelayMs: 10_000, jitter: 'equal' }),
    handlerGraceMs: integerOption(`${path}.handlerGraceMs`, input.handlerGraceMs, 30_000, { min: 0, max: 3_600_000 }),
    onShardError: functionOption(`${path}.onShardError`, input.onShardError),
    signal: signalOption(`${path}.signal`, input.signal),
  };
}
