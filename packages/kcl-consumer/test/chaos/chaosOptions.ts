/** The options of the chaos run, their defaults and their validation. */
import { enumOption, InvalidArgumentError } from '@shardline/core';

/**
 * What the graceful handover may take beyond one taker interval, in ms, measured from the signal
 * to the taking workers' own `leaseAcquired` reports. Each part is a few DynamoDB round trips,
 * which take 5–50 ms here and up to ~150 ms when four Node processes and both emulators share two
 * busy cores:
 *
 * - the stopping worker finishes the batch in hand and checkpoints it, calls `shutdownRequested`,
 *   waits for a taker run or renewal in flight and releases its leases (observed 5–100 ms): 150;
 * - a peer's taker interval counts from the end of its previous run, which may have scanned just
 *   before the release and still be taking: 150;
 * - the next run's scan and take write: 150;
 * - timer and event-loop slack: 50.
 *
 * Observed: 345–1030 ms with a 750 ms taker interval.
 */
export const HANDOVER_MARGIN_MS = 500;

/** Options of `runChaos` (`chaos.ts`). */
export interface ChaosOptions {
  /** Length of the chaos phase, in ms; the five faults are spread evenly over it. At least 6,000. */
  readonly durationMs: number;
  /** User records produced per second, for the whole run. Default 200. */
  readonly recordsPerSecond?: number;
  /** The workers' `failoverTimeMs`. Default 3,000. */
  readonly failoverTimeMs?: number;
  /** The workers' `idleTimeBetweenReadsMs`. Default 250. */
  readonly idleTimeBetweenReadsMs?: number;
  /**
   * Simulated work per batch, between a processor reporting the batch and checkpointing it, in
   * ms. The SIGKILL is sent right after the victim reports a batch, inside this window, so that
   * the killed worker always leaves an uncheckpointed batch behind. Default 50.
   */
  readonly workMs?: number;
  /** Longest wait, once the producer is closed, for every record to be processed, in ms. Default 60,000. */
  readonly drainTimeoutMs?: number;
  /** Stops the run early: everything is cleaned up and the promise rejects with the abort reason. */
  readonly signal?: AbortSignal;
  /** Progress messages, one line each. Default: none. */
  readonly onProgress?: (message: string) => void;
  /** Writes every line the workers reported to this file (JSON lines), for a closer look. Default: none. */
  readonly recordingFile?: string;
  /**
   * How the workers retrieve records: `'polling'` (GetRecords from kinesalite, the default) or
   * `'fanout'` (SubscribeToShard through testkit's HTTP/2 fan-out front, started in this process
   * with AWS's 5 s resubscribe guard and `fanOutSubscriptionMs` subscriptions).
   */
  readonly retrieval?: 'polling' | 'fanout';
  /** With `retrieval: 'fanout'`, how long each subscription lasts before the front ends it, in ms (AWS: 300,000). Default 5,000, so that a run renews every subscription several times. */
  readonly fanOutSubscriptionMs?: number;
}

/** {@link ChaosOptions} with every default filled in. */
export interface ResolvedChaosOptions {
  readonly durationMs: number;
  readonly recordsPerSecond: number;
  readonly failoverTimeMs: number;
  readonly idleTimeBetweenReadsMs: number;
  readonly workMs: number;
  readonly drainTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: (message: string) => void;
  readonly recordingFile: string | undefined;
  readonly retrieval: 'polling' | 'fanout';
  readonly fanOutSubscriptionMs: number;
}

function positiveInteger(path: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new InvalidArgumentError(`${path} must be an integer of at least ${min} (got ${JSON.stringify(value)})`);
  return value;
}

/** Fills in the defaults and validates, before any I/O; names the offending field. */
export function resolveChaosOptions(input: ChaosOptions): ResolvedChaosOptions {
  if (input === null || typeof input !== 'object') throw new InvalidArgumentError('chaos options must be an object');
  if (input.durationMs === undefined) throw new InvalidArgumentError('chaos.durationMs is required');
  return {
    durationMs: positiveInteger('chaos.durationMs', input.durationMs, 0, 6_000),
    recordsPerSecond: positiveInteger('chaos.recordsPerSecond', input.recordsPerSecond, 200, 1),
    failoverTimeMs: positiveInteger('chaos.failoverTimeMs', input.failoverTimeMs, 3_000, 200),
    idleTimeBetweenReadsMs: positiveInteger('chaos.idleTimeBetweenReadsMs', input.idleTimeBetweenReadsMs, 250, 200),
    workMs: positiveInteger('chaos.workMs', input.workMs, 50, 0),
    drainTimeoutMs: positiveInteger('chaos.drainTimeoutMs', input.drainTimeoutMs, 60_000, 1_000),
    signal: input.signal,
    onProgress: input.onProgress ?? (() => undefined),
    recordingFile: input.recordingFile,
    retrieval: enumOption('chaos.retrieval', input.retrieval, ['polling', 'fanout'] as const, 'polling'),
    fanOutSubscriptionMs: positiveInteger('chaos.fanOutSubscriptionMs', input.fanOutSubscriptionMs, 5_000, 1_000),
  };
}
