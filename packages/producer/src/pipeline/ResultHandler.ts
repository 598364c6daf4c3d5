import { awsErrorName, classifyAwsError, type Clock, type Logger, ServiceUnavailableError, type ShardlineError, ShutdownError } from '@shardline/core';
import type { PendingRecord } from '../PendingRecord';
import type { ProducerMetrics } from '../producerMetrics';
import type { PutRecordsResponse } from '../Putter';
import type { BatchedCounters } from './BatchedCounters';
import { type PutRecordsCall, userRecordsOf } from './Dispatcher';
import type { MispredictionResolver } from './MispredictionResolver';
import { PendingRetries, type RetryScheduler } from './RetryScheduler';
import type { RetryPolicy } from './RetryPolicy';
import type { Settlement } from './Settlement';
import type { OutboundRecord, ShardQueue } from './ShardQueue';

const RECORD_COUNT_MISMATCH = 'Record Count Mismatch';
const PTEE = 'ProvisionedThroughputExceededException';

/** @internal */
export interface ResultHandlerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: ProducerMetrics;
  readonly counters: BatchedCounters;
  readonly settlement: Settlement;
  readonly policy: RetryPolicy;
  readonly retries: RetryScheduler;
  readonly mispredictions: MispredictionResolver;
  readonly hardClosed: () => boolean;
  /** After every completion: a map waiting for calls to finish may now be installed. */
  readonly afterCompletion: () => void;
  /** A pass is needed (records settled or were placed again). */
  readonly schedulePass: () => void;
  readonly internalFailure: (error: unknown, where: string, records: Iterable<PendingRecord>) => void;
}

/**
 * Result handling: classifies a PutRecords answer record by record — written where predicted,
 * written elsewhere (to {@link MispredictionResolver}), or failed with an error code — and a
 * failed call (or an answer with the wrong number of results) as a failure of every record. Each
 * failed attempt goes to the {@link RetryPolicy}; what it retries goes to the {@link RetryScheduler}.
 * Throttled shards have their rate limiter cut.
 * @internal
 */
export class ResultHandler {
  constructor(private readonly deps: ResultHandlerDeps) {}

  completed(call: PutRecordsCall, response: PutRecordsResponse | undefined, error: unknown): void {
    const { deps } = this;
    try {
      const end = deps.clock.monotonicNow();
      const outcome = response ? 'success' : 'error';
      let code: string | undefined;
      if (response && (!Array.isArray(response.records) || response.records.length !== call.entries.length)) {
        error = new ServiceUnavailableError(`PutRecords returned ${Array.isArray(response.records) ? response.records.length : 'no'} results for ${call.entries.length} records`);
        code = RECORD_COUNT_MISMATCH;
        response = undefined;
      }
      const retries = new PendingRetries();
      if (response === undefined) this.callFailed(call, error, code, end, retries);
      else {
        const results = response.records;
        for (let i = 0; i < results.length; i++) {
          const r = results[i]!;
          const outbound = call.entries[i]!;
          if (r.sequenceNumber && r.shardId) this.written(outbound, r.shardId, r.sequenceNumber, call, end, retries);
          else this.entryFailed(outbound, r.errorCode || 'Unknown', r.errorMessage ?? '', call, end, retries);
        }
      }
      deps.retries.schedule(retries, end);
      deps.afterCompletion();
      // Observed once every record of the call is settled or placed again.
      deps.metrics.putRecordsDuration.observe((end - call.start) / 1000, { outcome });
    } catch (bug) {
      deps.internalFailure(bug, 'handling a PutRecords result', userRecordsOf(call));
    }
    deps.schedulePass();
  }

  /** A Kinesis record was written to `shardId`: settle its user records, or resolve those that landed on a shard not owning them. */
  private written(outbound: OutboundRecord, shardId: string, sequenceNumber: string, call: PutRecordsCall, end: number, retries: PendingRetries): void {
    const { deps } = this;
    const kinesisRecord = outbound.record;
    const predicted = outbound.queue.shardId;
    deps.counters.kinesisRecordWritten();
    deps.metrics.userRecordsPerKinesisRecord.observe(kinesisRecord.userRecords.length);
    if (kinesisRecord.aggregated && shardId !== predicted) {
      deps.mispredictions.landedElsewhere(outbound, shardId, sequenceNumber, call, end, retries);
      return;
    }
    // Same shard as predicted, or a raw record (Kinesis routed it by its own hash key): written.
    const users = kinesisRecord.userRecords;
    const aggregated = kinesisRecord.aggregated;
    for (let j = 0; j < users.length; j++) deps.settlement.succeed(users[j]!, shardId, sequenceNumber, aggregated ? j : 0, aggregated, call.start, end);
    if (predicted !== undefined && shardId !== predicted) deps.mispredictions.staleMap(call.mapVersion);
  }

  private callFailed(call: PutRecordsCall, raw: unknown, code: string | undefined, end: number, retries: PendingRetries): void {
    const error = classifyAwsError(raw);
    const errorCode = code ?? (this.deps.hardClosed() ? 'Shutdown' : awsErrorName(raw));
    if (errorCode === PTEE) for (const q of call.queues) this.throttled(q, call.start);
    // One error object per failed record: putFailureOf() finds a record's details by its error.
    const final = (): ShardlineError => classifyAwsError(raw);
    for (const outbound of call.entries) for (const r of outbound.record.userRecords) this.attemptFailed(r, outbound.queue, error, errorCode, error.message, call, end, retries, final);
    this.deps.logger.debug({ err: error, records: call.entries.length }, 'PutRecords failed');
  }

  private entryFailed(outbound: OutboundRecord, code: string, message: string, call: PutRecordsCall, end: number, retries: PendingRetries): void {
    const cause = Object.assign(new Error(message || code), { name: code });
    const error = classifyAwsError(cause);
    if (code === PTEE) this.throttled(outbound.queue, call.start);
    for (const r of outbound.record.userRecords) this.attemptFailed(r, outbound.queue, error, code, message, call, end, retries, () => classifyAwsError(cause));
  }

  private attemptFailed(
    r: PendingRecord,
    queue: ShardQueue,
    error: ShardlineError,
    code: string,
    message: string,
    call: PutRecordsCall,
    end: number,
    retries: PendingRetries,
    finalError: () => ShardlineError,
  ): void {
    if (r.settled) return;
    const { settlement, metrics } = this.deps;
    r.addFailedAttempt(call.start, end, code, message);
    const firstFailure = !r.failedOnce;
    r.failedOnce = true;
    if (this.deps.hardClosed()) settlement.fail(r, new ShutdownError('producer closed before the record was written', { cause: error }));
    else {
      const decision = this.deps.policy.decide({ attempts: r.attempts!.length, error, ageMs: end - r.arrivalMs, nowMs: end });
      if (decision.action === 'fail') settlement.fail(r, finalError());
      else if (decision.action === 'expire') settlement.expire(r, end, error);
      else {
        r.lastError = error;
        retries.add(queue, r, decision.backoffMs);
        metrics.userRecordsRetried.add(1, { error_code: code });
      }
    }
    if (firstFailure) metrics.records.add(1, { outcome: 'failed' });
  }

  private throttled(q: ShardQueue, at: number): void {
    if (q.shardId === undefined) return;
    const { metrics } = this.deps;
    const cut = q.limiter?.onThrottle(at) ?? false;
    metrics.throttles.add(1, { shard_id: q.shardId });
    if (cut) {
      metrics.rateLimitCuts.add(1, { shard_id: q.shardId });
      this.deps.logger.debug({ shardId: q.shardId, rateFraction: q.limiter!.fraction(at) }, 'shard throttled; rate cut');
    }
  }
}
