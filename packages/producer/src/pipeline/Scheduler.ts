import type { Clock } from '@shardline/core';
import type { PendingRecord } from '../PendingRecord';
import type { PutRecordsCollector } from './PutRecordsCollector';
import type { QueueScheduler } from './ShardRouter';
import type { ShardQueue } from './ShardQueue';
import { WakeTimer } from './WakeTimer';

/** The work of a pass the scheduler does not own. @internal */
export interface PassSteps {
  /** Routes due retries again and expires what waits outside the queues; returns when that is next due. */
  releaseDue(now: number): number;
  /** A record's TTL ran out while queued. */
  expire(record: PendingRecord, now: number): void;
  /** Sends the PutRecords call being collected. */
  dispatch(now: number): void;
  /** PutRecords calls in flight. */
  readonly callsInFlight: number;
  /** End of a full pass: gauges. */
  afterFullPass(now: number): void;
  /** End of every pass: batched counters. */
  afterPass(): void;
  /** True when no timer may be armed any more. */
  idle(): boolean;
  /** A pass threw. */
  internalFailure(error: unknown, where: string): void;
}

/** @internal */
export interface SchedulerDeps {
  readonly options: { readonly maxConnections: number; readonly ordered: boolean };
  readonly clock: Clock;
  readonly collector: PutRecordsCollector;
  readonly steps: PassSteps;
}

/**
 * Moves records along in passes: a pass runs in a microtask after records arrive or a call
 * completes, or when the single timer fires. A full pass releases due retries and expiries,
 * finishes aggregates whose deadline came (all of them while a flush or close waits); every pass
 * then collects ready Kinesis records into PutRecords calls — one per queue per round, so shards
 * share connections fairly — while a connection is free and each shard's rate limiter allows.
 * @internal
 */
export class Scheduler implements QueueScheduler {
  /** Queues holding records: the full pass scans them. */
  private readonly active = new Set<ShardQueue>();
  /** Queues with a Kinesis record ready since the last pass: a quick pass scans only them. */
  private readonly withNewReady = new Set<ShardQueue>();
  private readonly timer: WakeTimer;
  private passQueued = false;
  private nextPassFull = false;
  private flushesWaiting = 0;
  private closing = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.timer = new WakeTimer(
      deps.clock,
      () => this.pass(true),
      (error) => deps.steps.internalFailure(error, 'waiting for its timer'),
      () => deps.steps.idle(),
    );
  }

  queueReceived(queue: ShardQueue, ready: boolean): void {
    if (ready) {
      this.withNewReady.add(queue);
      this.schedulePass(false);
    }
    this.activate(queue);
    this.timer.wakeAt(queue.aggregateDeadline);
  }

  activate(queue: ShardQueue): void {
    if (queue.list()) this.active.add(queue);
  }

  forget(queue: ShardQueue): void {
    this.active.delete(queue);
    this.withNewReady.delete(queue);
  }

  wakeAt(atMs: number): void {
    this.timer.wakeAt(atMs);
  }

  /** A flush waits: aggregates go without waiting for their deadline until {@link flushDone}. */
  flushStarted(): void {
    this.flushesWaiting++;
  }

  flushDone(): void {
    this.flushesWaiting--;
  }

  /** Close started: from now on every pass sends everything at once. */
  closeStarted(): void {
    this.closing = true;
  }

  /** Releases the timer for good. */
  stop(): void {
    this.timer.stop();
  }

  /** Runs a pass in a microtask (`full`: a full pass), once however often it is asked for. */
  schedulePass(full: boolean): void {
    if (full) this.nextPassFull = true;
    if (this.passQueued) return;
    this.passQueued = true;
    queueMicrotask(() => {
      this.passQueued = false;
      const full = this.nextPassFull;
      this.nextPassFull = false;
      this.pass(full);
    });
  }

  private pass(full: boolean): void {
    const { steps, collector } = this.deps;
    try {
      const now = this.deps.clock.monotonicNow();
      const sendAll = this.flushesWaiting > 0 || this.closing;
      let next = Infinity;
      if (full) {
        next = steps.releaseDue(now);
        for (const q of this.active) {
          q.expire(now, (r) => steps.expire(r, now));
          if ((sendAll || q.aggregateDeadline <= now) && q.flushOpen()) this.withNewReady.add(q);
          if (q.empty) {
            q.unlist();
            this.active.delete(q);
            continue;
          }
          next = Math.min(next, q.aggregateDeadline, q.minExpiry);
        }
        steps.afterFullPass(now);
      } else if (sendAll) {
        for (const q of this.active) if (q.flushOpen()) this.withNewReady.add(q);
      }
      next = Math.min(next, this.collect(full ? this.active : this.withNewReady, now));
      this.withNewReady.clear();
      if (collector.size > 0) {
        if (this.deps.options.ordered || sendAll || collector.deadline <= now) steps.dispatch(now);
        else next = Math.min(next, collector.deadline);
      }
      if (next < Infinity) this.timer.wakeAt(next);
      steps.afterPass();
    } catch (error) {
      steps.internalFailure(error, 'pipeline');
    }
  }

  /**
   * Takes ready Kinesis records into the PutRecords call being collected while a connection is
   * free, the shard's rate limiter allows and (ordered mode) the shard has nothing in flight.
   * Returns when it next needs to run because of a limiter or a retry hold.
   */
  private collect(queues: Iterable<ShardQueue>, now: number): number {
    const { steps, collector } = this.deps;
    const max = this.deps.options.maxConnections;
    const ordered = this.deps.options.ordered;
    let next = Infinity;
    let progress = true;
    while (progress && steps.callsInFlight < max) {
      progress = false;
      for (const q of queues) {
        if (steps.callsInFlight >= max) break;
        const outbound = q.peekReady();
        if (outbound === undefined) continue;
        if (ordered) {
          const sendableAt = q.orderedSendableAt();
          if (sendableAt === Infinity) continue;
          if (sendableAt > now) {
            next = Math.min(next, sendableAt);
            continue;
          }
        }
        if (!collector.fits(outbound)) {
          steps.dispatch(now);
          if (steps.callsInFlight >= max) break;
        }
        if (q.limiter !== undefined && !q.limiter.tryTake(outbound.record.sizeBytes, now)) {
          next = Math.min(next, now + Math.max(1, q.limiter.msUntil(outbound.record.sizeBytes, now)));
          continue;
        }
        q.shiftReady();
        collector.add(outbound);
        if (ordered) q.joinedCollection();
        progress = true;
        if (collector.full) steps.dispatch(now);
      }
    }
    return next;
  }
}
