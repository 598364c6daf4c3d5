// Builders for the pipeline stages' unit tests (src/pipeline/*.test.ts): real stages wired to
// real collaborators where that is cheap (Settlement, BufferBudget, AgeTracker, FailureChannel,
// MemoryMetrics), and recording stand-ins only at a stage's own outgoing interface.
import { createNoopLogger, ManualClock, MemoryMetrics, type ShardlineError } from '@shardline/core';
import { resolveAggregatorOptions } from '@shardline/kpl-aggregation';
import { AgeTracker } from '../src/AgeTracker';
import { BufferBudget } from '../src/BufferBudget';
import { FailureChannel } from '../src/FailureChannel';
import { PendingRecord } from '../src/PendingRecord';
import { BatchedCounters } from '../src/pipeline/BatchedCounters';
import { Settlement } from '../src/pipeline/Settlement';
import { ShardQueue } from '../src/pipeline/ShardQueue';
import { createProducerMetrics, type ProducerMetrics } from '../src/producerMetrics';
import type { PutResult } from '../src/PutResult';

export const quiet = createNoopLogger();

let seq = 0;

/** An accepted record: arrived at `arrivalMs`, expiring `ttlMs` later. */
export function pendingRecord(partitionKey = 'key', data = 'data', options: { arrivalMs?: number; ttlMs?: number; explicitHashKey?: string } = {}): PendingRecord {
  const bytes = Buffer.from(data);
  const r = new PendingRecord(partitionKey, options.explicitHashKey, bytes, bytes.length + Buffer.byteLength(partitionKey), ++seq);
  r.arrivalMs = options.arrivalMs ?? 0;
  r.expiresAt = r.arrivalMs + (options.ttlMs ?? 30_000);
  return r;
}

/** Settlement with its real collaborators, and what a test looks at. */
export interface SettlementKit {
  readonly settlement: Settlement;
  readonly budget: BufferBudget<PendingRecord>;
  readonly memory: MemoryMetrics;
  readonly metrics: ProducerMetrics;
  readonly counters: BatchedCounters;
  readonly failures: FailureChannel;
  readonly ages: AgeTracker;
  readonly clock: ManualClock;
}

export function settlementKit(options: { maxRecords?: number; maxBytes?: number; ttlMs?: number; onRoom?: (r: PendingRecord) => void } = {}): SettlementKit {
  const memory = new MemoryMetrics();
  const metrics = createProducerMetrics(memory);
  const counters = new BatchedCounters(metrics);
  const failures = new FailureChannel(100, quiet, metrics.failureNotificationsDropped);
  const ages = new AgeTracker();
  const clock = new ManualClock();
  const budget = new BufferBudget<PendingRecord>(options.maxRecords ?? 100, options.maxBytes ?? 1_000_000, (r) => options.onRoom?.(r));
  const settlement = new Settlement({ recordTtlMs: options.ttlMs ?? 30_000, clock, logger: quiet, metrics, counters, ages, failures, budget });
  return { settlement, budget, memory, metrics, counters, failures, ages, clock };
}

/** Admits `record` to `kit` as an accepted record and returns how its `put` promise ends. */
export function accepted(kit: SettlementKit, record: PendingRecord): Promise<PutResult> {
  kit.budget.tryTake(record.sizeBytes);
  kit.settlement.entered();
  kit.settlement.accepted();
  return new Promise<PutResult>((resolve, reject) => {
    record.resolve = resolve;
    record.reject = reject;
  });
}

/** How a promise ended, without an unhandled rejection meanwhile. */
export function outcome<T>(promise: Promise<T>): { readonly value: T | undefined; readonly error: ShardlineError | undefined; readonly settled: boolean } {
  const state = { value: undefined as T | undefined, error: undefined as ShardlineError | undefined, settled: false };
  promise.then(
    (v) => Object.assign(state, { value: v, settled: true }),
    (e: ShardlineError) => Object.assign(state, { error: e, settled: true }),
  );
  return state;
}

/** Lets promise callbacks run. */
export const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A shard queue with default aggregation and no rate limit. */
export function shardQueue(shardId: string | undefined = 'shardId-0', aggregator = {}): ShardQueue {
  return new ShardQueue(shardId, resolveAggregatorOptions(aggregator), undefined);
}

/** A recording stand-in for the scheduler's side of the router and the retry stages. */
export class RecordingScheduler {
  readonly received: { queue: ShardQueue; ready: boolean }[] = [];
  readonly activated: ShardQueue[] = [];
  readonly forgotten: ShardQueue[] = [];
  readonly wakes: number[] = [];
  queueReceived(queue: ShardQueue, ready: boolean): void {
    this.received.push({ queue, ready });
  }
  activate(queue: ShardQueue): void {
    this.activated.push(queue);
  }
  forget(queue: ShardQueue): void {
    this.forgotten.push(queue);
  }
  wakeAt(atMs: number): void {
    this.wakes.push(atMs);
  }
}
