import type { Clock } from '@shardline/core';
import type { Lease, LeaseCoordinatorEvents, LeaseLostReason } from '@shardline/dynamo-lease';
import type { EventEmitter } from 'node:events';
import type { WorkerEvents } from '../Worker';

/**
 * What happened, as the status page lists it:
 *
 * | kind | seen by | meaning |
 * | --- | --- | --- |
 * | `leaseTaken` | this worker | it acquired the lease (unowned, expired, handed over, or taken to balance) |
 * | `leaseStolen` | this worker | another worker took a lease this worker held |
 * | `leaseLost` | this worker | the lease expired, was evicted or deleted under it |
 * | `leaseReleased` | this worker | it gave the lease back in DynamoDB (stop, shard end, failure, handoff) |
 * | `handoffRequested` | this worker | another worker asked for a lease this worker holds |
 * | `shardStarted` / `shardEnded` | this worker | a shard consumer started; a shard was read to its end |
 * | `processorFailed` | this worker | a processor kept failing or hung; its lease was released |
 * | `leaseDeleted` | this worker | lease cleanup deleted a finished or orphaned lease |
 * | `leaseCreated` | the table | a scan showed a lease that the previous scan did not (shard sync, a split or merge) |
 * | `ownerChanged` | the table | a scan showed a lease move between other workers (or to or from nobody) |
 * @public
 */
export type StatusEventKind =
  'leaseTaken' | 'leaseStolen' | 'leaseLost' | 'leaseReleased' | 'handoffRequested' | 'shardStarted' | 'shardEnded' | 'processorFailed' | 'leaseDeleted' | 'leaseCreated' | 'ownerChanged';

/** One entry of a {@link WorkerEventLog}. Carries lease keys and worker ids only, never record data. @public */
export interface StatusEvent {
  /** Increases by one per event, from 1; lets a poller tell new events from ones it has shown. */
  readonly seq: number;
  /** Wall-clock time, epoch milliseconds. */
  readonly at: number;
  readonly kind: StatusEventKind;
  readonly leaseKey: string;
  /** The previous owner, where known (`null`: nobody). */
  readonly from?: string | null;
  /** The new owner, where known (`null`: nobody). */
  readonly to?: string | null;
  /** A short reason, e.g. `expired`, `hung`. */
  readonly detail?: string;
}

/** An event before the log numbers and stamps it. @public */
export type StatusEventInput = Omit<StatusEvent, 'seq' | 'at'>;

/** Options of {@link WorkerEventLog}. @public */
export interface WorkerEventLogOptions {
  /** Most events kept; older ones are dropped first. Default 200. */
  readonly capacity?: number;
  /** Wall clock for the timestamps. Default `Date.now`. */
  readonly clock?: Pick<Clock, 'now'>;
}

/** What {@link WorkerEventLog.attach} listens to: a {@link Worker}'s events and its coordinator's. @public */
export interface EventLogSource {
  readonly workerId: string;
  on<K extends keyof WorkerEvents>(event: K, listener: (...args: WorkerEvents[K]) => void): unknown;
  off<K extends keyof WorkerEvents>(event: K, listener: (...args: WorkerEvents[K]) => void): unknown;
  readonly coordinator: Pick<EventEmitter<LeaseCoordinatorEvents>, 'on' | 'off'>;
}

const LOST_DETAIL: Readonly<Record<LeaseLostReason, string>> = {
  taken: 'taken by another worker',
  evicted: 'evicted',
  deleted: 'lease deleted',
  expired: 'not renewed within failoverTimeMs',
  stopped: 'stopped',
};

/**
 * A bounded ring of recent lease and shard events, fed from a worker's events and its lease
 * coordinator's (lease taken, stolen, lost, released, shard ended, processor failures), and from
 * the coordinator's table scans (leases created, moves between other workers). Memory stays at
 * `capacity` events however long the worker runs.
 * @public
 */
export class WorkerEventLog {
  /** Most events kept. */
  readonly capacity: number;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly ring: StatusEvent[] = [];
  private start = 0;
  private nextSeq = 1;

  constructor(options: WorkerEventLogOptions = {}) {
    const capacity = options.capacity ?? 200;
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 100_000) {
      throw new RangeError(`WorkerEventLog capacity must be an integer between 1 and 100000 (got ${String(capacity)})`);
    }
    this.capacity = capacity;
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** Appends an event, dropping the oldest when full. */
  record(input: StatusEventInput): StatusEvent {
    const event: StatusEvent = { ...input, seq: this.nextSeq++, at: this.clock.now() };
    if (this.ring.length < this.capacity) this.ring.push(event);
    else {
      this.ring[this.start] = event;
      this.start = (this.start + 1) % this.capacity;
    }
    return event;
  }

  /** The events kept, oldest first; with `afterSeq`, only those newer than it. */
  list(afterSeq = 0): StatusEvent[] {
    const ordered = [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
    return afterSeq > 0 ? ordered.filter((e) => e.seq > afterSeq) : ordered;
  }

  /** Events recorded so far, dropped ones included. */
  get total(): number {
    return this.nextSeq - 1;
  }

  /**
   * Records `source`'s events from now on. Returns a function that stops listening.
   * Scans only report differences from the previous scan: the first one sets the baseline.
   */
  attach(source: EventLogSource): () => void {
    const self = source.workerId;
    let owners: Map<string, string | undefined> | undefined;
    const onAcquired = (lease: Lease): void => {
      const previous = owners?.get(lease.leaseKey);
      // What the last scan showed: nobody, or the worker it was taken or handed over from.
      this.record({ kind: 'leaseTaken', leaseKey: lease.leaseKey, ...(owners?.has(lease.leaseKey) && previous !== self ? { from: previous ?? null } : {}), to: self });
      owners?.set(lease.leaseKey, self);
    };
    const onLost = (lease: Lease, reason: LeaseLostReason): void => {
      this.record({ kind: reason === 'taken' ? 'leaseStolen' : 'leaseLost', leaseKey: lease.leaseKey, from: self, detail: LOST_DETAIL[reason] });
      owners?.delete(lease.leaseKey); // unknown until the next scan shows who has it
    };
    const onReleased = (lease: Lease): void => {
      // A lease released during a handoff goes straight to the worker that asked for it.
      const to = lease.leaseOwner !== undefined && lease.leaseOwner !== self ? lease.leaseOwner : null;
      this.record({ kind: 'leaseReleased', leaseKey: lease.leaseKey, from: self, to, ...(to !== null ? { detail: 'handed over' } : {}) });
      owners?.set(lease.leaseKey, lease.leaseOwner);
    };
    const onHandoff = (lease: Lease): void => {
      this.record({ kind: 'handoffRequested', leaseKey: lease.leaseKey, from: self, ...(lease.leaseOwner !== undefined && lease.leaseOwner !== self ? { to: lease.leaseOwner } : {}) });
    };
    const onScanned = (leases: readonly Lease[]): void => {
      const next = new Map(leases.map((l) => [l.leaseKey, l.leaseOwner] as const));
      if (owners) {
        for (const lease of leases) {
          const key = lease.leaseKey;
          if (!owners.has(key)) {
            if (lease.parentShardIds.length > 0) this.record({ kind: 'leaseCreated', leaseKey: key, detail: `child of ${lease.parentShardIds.join(' + ')}` });
            else this.record({ kind: 'leaseCreated', leaseKey: key });
            continue;
          }
          const before = owners.get(key);
          // This worker's own moves are reported by the coordinator's events, with reasons.
          if (before !== lease.leaseOwner && before !== self && lease.leaseOwner !== self) {
            this.record({ kind: 'ownerChanged', leaseKey: key, from: before ?? null, to: lease.leaseOwner ?? null });
          }
        }
      }
      owners = next;
    };
    const onStarted = (key: string): void => void this.record({ kind: 'shardStarted', leaseKey: key });
    const onEnded = (key: string): void => void this.record({ kind: 'shardEnded', leaseKey: key, detail: 'SHARD_END checkpointed' });
    const onFailed = (key: string, outcome: 'failed' | 'hung'): void => void this.record({ kind: 'processorFailed', leaseKey: key, detail: outcome });
    const onDeleted = (key: string): void => {
      this.record({ kind: 'leaseDeleted', leaseKey: key });
      owners?.delete(key);
    };
    const c = source.coordinator;
    c.on('leaseAcquired', onAcquired);
    c.on('leaseLost', onLost);
    c.on('leaseReleased', onReleased);
    c.on('leaseHandoffRequested', onHandoff);
    c.on('leasesScanned', onScanned);
    source.on('shardStarted', onStarted);
    source.on('shardEnded', onEnded);
    source.on('processorFailed', onFailed);
    source.on('leaseDeleted', onDeleted);
    return () => {
      c.off('leaseAcquired', onAcquired);
      c.off('leaseLost', onLost);
      c.off('leaseReleased', onReleased);
      c.off('leaseHandoffRequested', onHandoff);
      c.off('leasesScanned', onScanned);
      source.off('shardStarted', onStarted);
      source.off('shardEnded', onEnded);
      source.off('processorFailed', onFailed);
      source.off('leaseDeleted', onDeleted);
    };
  }
}
