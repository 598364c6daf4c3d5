/**
 * What a demo worker process (`workerProcess.ts`) tells the demo, one JSON line on stdout per
 * event, and the settings the demo gives it. Types only: both sides import them.
 */

/** The settings of one worker process, passed as JSON in `SHARDLINE_DEMO_WORKER`. */
export interface WorkerConfig {
  readonly workerId: string;
  readonly streamName: string;
  /** The application, which is also the lease table's name. */
  readonly applicationName: string;
  readonly failoverTimeMs: number;
  /** Simulated work per batch, between reporting it and checkpointing it, in ms. */
  readonly workMs: number;
  /** Serve the worker's status page on 127.0.0.1, on a free port (worker 1 only). */
  readonly statusServer?: boolean;
}

/** One user record as a processor saw it: id, sequence number, sub-sequence number. */
export type SeenRecord = readonly [id: string, sequenceNumber: string, subSequenceNumber: number];

/** One shard in a worker's periodic status line. */
export interface ShardLag {
  readonly shardId: string;
  readonly lagMs: number | undefined;
}

/** One line of a worker process's stdout; `t` is the worker's `Date.now()`. */
export type WorkerLine = { readonly worker: string; readonly t: number } & (
  | { readonly type: 'ready'; readonly pid: number; readonly statusUrl?: string }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'stopping'; readonly reason: string }
  | { readonly type: 'stopped' }
  | { readonly type: 'lease'; readonly event: 'acquired' | 'lost' | 'released'; readonly leaseKey: string }
  | { readonly type: 'shards'; readonly shards: readonly ShardLag[] }
  | { readonly type: 'batch'; readonly pi: number; readonly shardId: string; readonly records: readonly SeenRecord[] }
  | { readonly type: 'checkpointed'; readonly pi: number; readonly shardId: string; readonly position: string }
  | { readonly type: 'checkpointFailed'; readonly pi: number; readonly shardId: string; readonly error: string }
  | { readonly type: 'shardEnded'; readonly pi: number; readonly shardId: string }
  | { readonly type: 'leaseLost'; readonly pi: number; readonly shardId: string }
);

/** A line of one type. */
export type LineOf<T extends WorkerLine['type']> = Extract<WorkerLine, { type: T }>;
