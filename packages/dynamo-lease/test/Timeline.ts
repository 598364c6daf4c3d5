import type { LeaseCoordinator } from '../src';
import type { ChildEvent } from './childCoordinator';

/** One moment in the life of a lease, as a worker saw it. */
export interface TimelineEntry {
  readonly t: number;
  readonly worker: string;
  readonly leaseKey: string;
  readonly event: 'acquired' | 'lost' | 'released' | 'killed';
}

/** A span during which one worker believed it held one lease. */
export interface HoldInterval {
  readonly worker: string;
  readonly leaseKey: string;
  readonly start: number;
  readonly end: number;
}

/** The worst simultaneous belief found. */
export interface Overlap {
  readonly ms: number;
  readonly leaseKey?: string;
  readonly workers?: readonly [string, string];
}

/**
 * Records (time, worker, lease, event) from every coordinator, in this process and in child
 * processes (epoch milliseconds on the same host), and checks that no two workers believed they
 * held the same lease at the same time for longer than a bound.
 */
export class Timeline {
  readonly entries: TimelineEntry[] = [];

  attach(coordinator: LeaseCoordinator): void {
    const worker = coordinator.workerId;
    coordinator.on('leaseAcquired', (l) => this.entries.push({ t: Date.now(), worker, leaseKey: l.leaseKey, event: 'acquired' }));
    coordinator.on('leaseLost', (l) => this.entries.push({ t: Date.now(), worker, leaseKey: l.leaseKey, event: 'lost' }));
    coordinator.on('leaseReleased', (l) => this.entries.push({ t: Date.now(), worker, leaseKey: l.leaseKey, event: 'released' }));
  }

  /** Adds a child process's reported event. */
  addChildEvent(e: ChildEvent): void {
    if (e.event === 'acquired' || e.event === 'lost' || e.event === 'released') this.entries.push({ t: e.t, worker: e.worker, leaseKey: e.leaseKey!, event: e.event });
  }

  /** A killed process stops believing anything at the moment of the kill. */
  killed(worker: string, t: number): void {
    this.entries.push({ t, worker, leaseKey: '*', event: 'killed' });
  }

  /** Who holds each lease now, by the events so far. */
  holders(): Map<string, string> {
    const holders = new Map<string, string>();
    for (const i of this.intervals(Infinity)) if (i.end === Infinity) holders.set(i.leaseKey, i.worker);
    return holders;
  }

  /** Hold intervals; those still open end at `now`. */
  intervals(now: number): HoldInterval[] {
    const open = new Map<string, { worker: string; leaseKey: string; start: number }>();
    const closed: HoldInterval[] = [];
    const sorted = [...this.entries].sort((a, b) => a.t - b.t);
    for (const e of sorted) {
      if (e.event === 'killed') {
        for (const [k, o] of open) {
          if (o.worker !== e.worker) continue;
          closed.push({ ...o, end: e.t });
          open.delete(k);
        }
        continue;
      }
      const key = `${e.worker}\u0000${e.leaseKey}`;
      if (e.event === 'acquired') {
        if (!open.has(key)) open.set(key, { worker: e.worker, leaseKey: e.leaseKey, start: e.t });
      } else {
        const o = open.get(key);
        if (o) {
          closed.push({ ...o, end: e.t });
          open.delete(key);
        }
      }
    }
    for (const o of open.values()) closed.push({ ...o, end: now });
    return closed;
  }

  /** The longest time two different workers both believed they held the same lease. */
  maxOverlap(now = Date.now()): Overlap {
    const byLease = new Map<string, HoldInterval[]>();
    for (const i of this.intervals(now)) {
      const list = byLease.get(i.leaseKey) ?? [];
      list.push(i);
      byLease.set(i.leaseKey, list);
    }
    let worst: Overlap = { ms: 0 };
    for (const [leaseKey, list] of byLease) {
      for (let a = 0; a < list.length; a++) {
        for (let b = a + 1; b < list.length; b++) {
          const x = list[a]!;
          const y = list[b]!;
          if (x.worker === y.worker) continue;
          const ms = Math.min(x.end, y.end) - Math.max(x.start, y.start);
          if (ms > worst.ms) worst = { ms, leaseKey, workers: [x.worker, y.worker] };
        }
      }
    }
    return worst;
  }
}
