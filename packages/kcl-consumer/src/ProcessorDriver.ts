import { Backoff, type Clock, type Logger, type MetricLabels, type ResolvedBackoffOptions, ShutdownError } from '@shardline/core';
import { callWithTimeout } from './callWithTimeout';
import { type ProcessorCall, ProcessorFailedError, ProcessorTimeoutError } from './ProcessorErrors';
import type { RecordHandler, RecordProcessor, ShardContext } from './RecordProcessor';
import type { WorkerInstruments } from './workerMetrics';

/** What a {@link ProcessorDriver} needs. */
export interface ProcessorDriverOptions {
  readonly leaseKey: string;
  readonly labels: MetricLabels;
  readonly processingTimeoutMs: number;
  readonly maxProcessingAttempts: number;
  readonly processingRetryBackoff: ResolvedBackoffOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly instruments: WorkerInstruments;
  /** Aborted when the consumer gives up on the shard: waits end at once. */
  readonly abandon: AbortSignal;
  /** Aborted when the consumer is asked to stop (shutdown, lease lost): a retry backoff ends at once. Default `abandon`. */
  readonly stopping?: AbortSignal;
  /** Aborted when the lease is lost: the signal handed to the call in progress aborts. */
  readonly interrupt?: AbortSignal;
}

/** The simple handler shape as a lifecycle processor. */
export function handlerProcessor(handler: RecordHandler, shard: ShardContext): RecordProcessor {
  return {
    processRecords: (input) =>
      handler(input.records, { ...shard, millisBehindLatest: input.millisBehindLatest, isAtShardEnd: input.isAtShardEnd, checkpointer: input.checkpointer, signal: input.signal }),
  };
}

/**
 * Calls one shard's processor: each call bounded by `processingTimeoutMs`, a throwing call retried
 * with backoff up to `maxProcessingAttempts`, every failure logged with the shard and counted.
 */
export class ProcessorDriver {
  constructor(private readonly o: ProcessorDriverOptions) {}

  /**
   * Calls `fn` until it resolves (and `succeeded()` holds), retrying with backoff.
   * @throws ProcessorFailedError after the last attempt; ProcessorTimeoutError when a call hangs;
   *   ShutdownError when `keepTrying()` turns false between attempts.
   */
  async withRetries(call: ProcessorCall, fn: (signal: AbortSignal) => unknown, keepTrying: () => boolean, succeeded: () => boolean = () => true): Promise<void> {
    const { leaseKey, maxProcessingAttempts, logger, instruments, labels, clock } = this.o;
    const backoff = new Backoff(this.o.processingRetryBackoff);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.once(call, fn);
      let failure: unknown;
      if (outcome === 'ok') {
        if (succeeded()) return;
        failure = new Error(`${call} returned without checkpointing SHARD_END`);
        instruments.shardEndNotCheckpointed.add(1, labels);
        logger.error({ leaseKey, attempt }, 'shardEnded returned without checkpointing SHARD_END: the shard is retried, and its children cannot start until it is checkpointed');
      } else failure = outcome.error;
      if (attempt >= maxProcessingAttempts) {
        throw new ProcessorFailedError(leaseKey, call, attempt, `${call} on ${leaseKey} failed ${attempt} times; releasing the lease so the shard is retried from its checkpoint`, { cause: failure });
      }
      if (!keepTrying()) throw new ShutdownError(`${call} on ${leaseKey} is not retried: the shard is being shut down`, { cause: failure });
      const delayMs = backoff.next();
      logger.warn({ leaseKey, call, attempt, delayMs, err: failure }, 'processor call failed; retrying the same input');
      if (!(await clock.sleep(delayMs, this.o.stopping ?? this.o.abandon)) || !keepTrying())
        throw new ShutdownError(`${call} on ${leaseKey} is not retried: the shard is being shut down`, { cause: failure });
    }
  }

  /**
   * One call, bounded by `timeoutMs` (default `processingTimeoutMs`). Returns 'ok' or the thrown error.
   * @throws ProcessorTimeoutError when it did not settle in time (or the shard was abandoned).
   */
  async once(call: ProcessorCall, fn: (signal: AbortSignal) => unknown, timeoutMs = this.o.processingTimeoutMs): Promise<'ok' | { readonly error: unknown }> {
    const { leaseKey, logger, instruments, labels, clock } = this.o;
    const outcome = await callWithTimeout(fn, timeoutMs, clock, this.o.abandon, this.o.interrupt);
    switch (outcome.kind) {
      case 'ok':
        return 'ok';
      case 'threw':
        instruments.processorErrors.add(1, { ...labels, call });
        logger.warn({ leaseKey, call, err: outcome.error }, 'processor call threw');
        return { error: outcome.error };
      default:
        instruments.processorTimeouts.add(1, { ...labels, call });
        logger.error({ leaseKey, call, timeoutMs }, outcome.kind === 'timedOut' ? 'processor call hung past its timeout; giving up on it' : 'processor call abandoned at shutdown');
        throw new ProcessorTimeoutError(leaseKey, call, timeoutMs);
    }
  }
}
