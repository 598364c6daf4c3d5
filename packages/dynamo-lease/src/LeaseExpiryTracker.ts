import type { Lease } from './Lease';

interface Observation {
  readonly leaseCounter: number;
  readonly leaseOwner: string | undefined;
  /** Monotonic time at which this observer first saw the current counter; undefined = never saw it move. */
  readonly changedAt: number | undefined;
}

/**
 * Detects expired leases the way the KCL does (`DynamoDBLeaseTaker.updateAllLeases`): never by
 * comparing clocks across hosts, only by watching each lease's counter on this process's monotonic
 * clock. A lease whose counter has not changed for more than `failoverTimeMs` since this observer
 * first saw its current value is expired.
 *
 * Observation times must be taken *after* the read returned (the end of a scan): the value read was
 * written before that instant, so the holder's last successful renewal is never later than our
 * stamp, and the holder (which stops believing `failoverTimeMs` after it *sent* that renewal) has
 * always let go before we call the lease expired.
 *
 * A lease first seen unowned is stamped "never renewed" (very old), as in the KCL; a lease first
 * seen owned is stamped with the observation time.
 * @public
 */
export class LeaseExpiryTracker {
  private readonly observations = new Map<string, Observation>();

  constructor(private readonly failoverTimeMs: number) {}

  /** Records a full table scan taken at monotonic time `observedAt`; forgets leases not in it. */
  observeAll(leases: readonly Lease[], observedAt: number): void {
    const seen = new Set<string>();
    for (const lease of leases) {
      seen.add(lease.leaseKey);
      this.observe(lease, observedAt);
    }
    for (const key of this.observations.keys()) if (!seen.has(key)) this.observations.delete(key);
  }

  /** Records one lease read (or written) at monotonic time `observedAt`. */
  observe(lease: Lease, observedAt: number): void {
    const previous = this.observations.get(lease.leaseKey);
    const unchanged = previous !== undefined && previous.leaseCounter === lease.leaseCounter && previous.leaseOwner === lease.leaseOwner;
    let changedAt: number | undefined;
    if (unchanged) changedAt = previous.changedAt;
    else if (previous !== undefined || lease.leaseOwner !== undefined) changedAt = observedAt;
    this.observations.set(lease.leaseKey, { leaseCounter: lease.leaseCounter, leaseOwner: lease.leaseOwner, changedAt });
  }

  /** Forgets one lease (deleted). */
  forget(leaseKey: string): void {
    this.observations.delete(leaseKey);
  }

  /**
   * Milliseconds since the counter of `lease` last moved as this observer saw it, at monotonic time
   * `now`; `Infinity` when it was never seen moving. A lease whose counter differs from the last
   * observation is 0 old (it just moved).
   */
  ageMs(lease: Lease, now: number): number {
    const o = this.observations.get(lease.leaseKey);
    if (o === undefined) return lease.leaseOwner === undefined ? Infinity : 0;
    if (o.leaseCounter !== lease.leaseCounter || o.leaseOwner !== lease.leaseOwner) return 0;
    return o.changedAt === undefined ? Infinity : Math.max(0, now - o.changedAt);
  }

  /** True when the counter has not moved for more than `failoverTimeMs` (or never moved). */
  isExpired(lease: Lease, now: number): boolean {
    return this.ageMs(lease, now) > this.failoverTimeMs;
  }

  /**
   * The earliest monotonic time later than `after` at which an owned lease, not excluded, will
   * expire if its counter stays put; `undefined` when there is none. The taker wakes up then instead
   * of waiting for its next regular run, which bounds failover to `failoverTimeMs + takerIntervalMs`.
   * Leases that had already expired by `after` were seen by that run and do not wake it again.
   */
  nextExpiryAt(after: number, exclude: (leaseKey: string, owner: string) => boolean): number | undefined {
    let earliest: number | undefined;
    for (const [key, o] of this.observations) {
      if (o.leaseOwner === undefined || o.changedAt === undefined || exclude(key, o.leaseOwner)) continue;
      const at = o.changedAt + this.failoverTimeMs;
      if (at > after && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }
}
