import { setMaxListeners } from 'node:events';
import { type Clock, type ShardlineError, TimeoutError } from '@shardline/core';
import type { PendingRecord } from '../PendingRecord';
import type { Putter, PutRecordsEntry, PutRecordsResponse } from '../Putter';
import { raceWithSignal, timeoutController } from '../raceWithSignal';
import type { PutRecordsCollector } from './PutRecordsCollector';
import type { OutboundRecord, ShardQueue } from './ShardQueue';

/** One PutRecords call sent. @internal */
export interface PutRecordsCall {
  readonly entries: readonly OutboundRecord[];
  /** The queues its entries came from, each once. */
  readonly queues: readonly ShardQueue[];
  /** Monotonic ms when it was sent. */
  readonly start: number;
  /** Version of the shard map its records were predicted with. */
  readonly mapVersion: number;
}

/** Every user record of a PutRecords call. @internal */
export function* userRecordsOf(call: PutRecordsCall): Iterable<PendingRecord> {
  for (const outbound of call.entries) yield* outbound.record.userRecords;
}

/** @internal */
export interface DispatcherDeps {
  readonly requestTimeoutMs: number;
  readonly clock: Clock;
  readonly putter: Putter;
  readonly streamRef: { readonly streamName?: string; readonly streamArn?: string };
  readonly collector: PutRecordsCollector;
  /** Version of the installed shard map. */
  readonly mapVersion: () => number;
  /** The call could not be sent: fail its records. */
  readonly failUnsent: (record: PendingRecord, error: unknown) => void;
  /** The call answered or failed. */
  readonly completed: (call: PutRecordsCall, response: PutRecordsResponse | undefined, error: unknown) => void;
  /** After each call sent (a periodic shard-map refresh may be due). */
  readonly sent: (now: number) => void;
}

/**
 * Sends the collected PutRecords call through the `Putter`, bounded by `requestTimeoutMs` and by
 * a hard close, and counts calls in flight (per producer and per queue).
 * @internal
 */
export class Dispatcher {
  private inFlight = 0;
  private callIds = 0;
  /** Aborted when close gives up: every call in flight is abandoned. */
  private readonly hardClose = new AbortController();

  constructor(private readonly deps: DispatcherDeps) {
    // Every call in flight listens for a hard close: up to maxConnections listeners is expected.
    setMaxListeners(0, this.hardClose.signal);
  }

  get callsInFlight(): number {
    return this.inFlight;
  }

  /** Abandons every call in flight: each completes at once with `reason`. */
  abandonAll(reason: ShardlineError): void {
    this.hardClose.abort(reason);
  }

  dispatch(now: number): void {
    const { deps } = this;
    const entries = deps.collector.take();
    if (entries.length === 0) return;
    const ms = deps.requestTimeoutMs;
    let timeout: ReturnType<typeof timeoutController>;
    try {
      timeout = timeoutController(deps.clock, ms, () => new TimeoutError(`PutRecords did not answer within requestTimeoutMs (${ms} ms)`), this.hardClose.signal);
    } catch (error) {
      // A call that cannot be bounded in time is not sent: its records would hang with it.
      for (const outbound of entries) {
        outbound.queue.leftCollection();
        for (const r of outbound.record.userRecords) deps.failUnsent(r, error);
      }
      return;
    }
    const id = ++this.callIds;
    const queues: ShardQueue[] = [];
    const records = new Array<PutRecordsEntry>(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const outbound = entries[i]!;
      if (outbound.queue.callSent(id)) queues.push(outbound.queue);
      const r = outbound.record;
      records[i] = r.explicitHashKey === undefined ? { PartitionKey: r.partitionKey, Data: r.data } : { PartitionKey: r.partitionKey, ExplicitHashKey: r.explicitHashKey, Data: r.data };
    }
    this.inFlight++;
    const call: PutRecordsCall = { entries, queues, start: now, mapVersion: deps.mapVersion() };
    let answer: Promise<PutRecordsResponse>;
    try {
      answer = deps.putter.putRecords({ ...deps.streamRef, records }, timeout.signal);
    } catch (error) {
      answer = Promise.reject(error);
    }
    raceWithSignal(answer, timeout.signal).then(
      (response) => {
        timeout.dispose();
        this.completed(call, response, undefined);
      },
      (error: unknown) => {
        timeout.dispose();
        this.completed(call, undefined, error);
      },
    );
    deps.sent(now);
  }

  private completed(call: PutRecordsCall, response: PutRecordsResponse | undefined, error: unknown): void {
    this.inFlight--;
    for (const q of call.queues) q.callCompleted();
    this.deps.completed(call, response, error);
  }
}
