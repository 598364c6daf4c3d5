import type { IteratorTracker } from './IteratorTracker';
import type { KinesisUpstream } from './kinesisHttp';
import type { LimitsClock } from './budgets';
import type { ShardBudget } from './ShardBudget';
import type { ResolvedShardLimits } from './ShardLimits';
import type { ShardDirectory } from './ShardDirectory';

/** What the front counted since it started. */
export interface LimitsFrontStats {
  /** PutRecords calls received. */
  putRecordsCalls: number;
  /** PutRecord calls received. */
  putRecordCalls: number;
  /** Records (PutRecords entries and PutRecord calls) admitted and written (counted at admission; given back if the emulator then refuses them). */
  admittedPutEntries: number;
  /** Their bytes, data + partition key: what the write byte limit counts. */
  admittedPutBytes: number;
  /** Records refused with ProvisionedThroughputExceededException (entries and PutRecord calls). */
  throttledPutEntries: number;
  /** PutRecord calls refused (also counted in `throttledPutEntries`). */
  throttledPutRecordCalls: number;
  /** GetRecords calls received. */
  getRecordsCalls: number;
  /** GetRecords calls refused with ProvisionedThroughputExceededException. */
  throttledGetRecords: number;
  /** Bytes GetRecords returned, data + partition key. */
  readBytes: number;
  /** GetRecords answers cut at `maxGetRecordsBytes`. */
  truncatedGetRecords: number;
  /** Calls forwarded without a limit (an iterator the front did not hand out, a stream it cannot list, invalid keys). */
  unlimitedCalls: number;
  /** ListShards loads of shard maps. */
  shardMapLoads: number;
  /** Calls the front answered with HTTP 500 InternalFailure because forwarding failed (the emulator unreachable, …). */
  frontErrors: number;
}

/**
 * Write tokens a stream's shards have left, summed over the shards written so far: with the
 * admitted counts, what a benchmark needs to tell a sustained rate from burst credit spent.
 */
export interface StreamBudgetLevels {
  readonly shards: number;
  readonly writeRecords: number;
  readonly writeBytes: number;
}

/** The front's shared state, handed to the handlers of each operation. */
export interface FrontContext {
  readonly upstream: KinesisUpstream;
  readonly directory: ShardDirectory;
  readonly iterators: IteratorTracker;
  readonly limits: ResolvedShardLimits;
  readonly clock: LimitsClock;
  readonly accountId: string;
  readonly stats: LimitsFrontStats;
  /** The budget of one shard, created full on first use. */
  budget(streamName: string, shardId: string): ShardBudget;
}

/** The message Kinesis puts on a throttled record or call. */
export function rateExceeded(ctx: FrontContext, streamName: string, shardId: string): string {
  return `Rate exceeded for shard ${shardId} in stream ${streamName} under account ${ctx.accountId}.`;
}

/** The stream a call names: StreamName, or the name inside StreamARN. */
export function streamNameOf(input: { StreamName?: unknown; StreamARN?: unknown }): string | undefined {
  if (typeof input.StreamName === 'string' && input.StreamName) return input.StreamName;
  if (typeof input.StreamARN === 'string') return /:stream\/([^/]+)$/.exec(input.StreamARN)?.[1];
  return undefined;
}

/** Parses a JSON body; undefined when it is not a JSON object (the emulator answers such a call itself). */
export function parseBody(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
