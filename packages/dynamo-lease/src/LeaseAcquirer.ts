import type { Logger } from '@shardline/core';
import type { CoordinatorInstruments } from './coordinatorMetrics';
import type { Lease } from './Lease';
import type { LeaseExpiryTracker } from './LeaseExpiryTracker';
import { writtenUnderSameId, type HeldLease, type LeaseRenewer } from './LeaseRenewer';
import type { LeaseTable } from './LeaseTable';
import type { ResolvedLeaseCoordinatorOptions } from './resolveLeaseOptions';

/** Why a lease is being acquired. @internal */
export type TakeKind = 'take' | 'steal' | 'reclaim' | 'acquire' | 'claim';
/** How an acquisition ended: taken (or a handoff asked for), lost to a race, or failed. @internal */
export type TakeOutcome = 'taken' | 'conflict' | 'error';

/**
 * After a steal, how long beyond one renew interval to wait for the previous holder's rejected
 * renewal to come back before announcing the lease: its request and response time.
 */
const STEAL_ANNOUNCE_MARGIN_MS = 100;

/** What a {@link LeaseAcquirer} works with: the coordinator's own parts. @internal */
export interface LeaseAcquirerDeps {
  readonly workerId: string;
  readonly options: ResolvedLeaseCoordinatorOptions;
  readonly table: LeaseTable;
  readonly tracker: LeaseExpiryTracker;
  readonly renewer: LeaseRenewer;
  readonly metrics: CoordinatorInstruments;
  readonly logger: Logger;
  /** Aborted when the coordinator stops: pending announcements end. */
  readonly signal: AbortSignal;
  readonly onAcquired: (lease: Lease) => void;
  readonly reportError: (error: unknown) => void;
  readonly onDuplicateWorkerId: (expected: Lease, current: Lease, operation: string) => void;
}

/**
 * The acquiring side of a coordinator: takes a lease (unowned, expired, reclaimed or claimed),
 * steals for balancing by graceful handoff (asks the live holder, then takes what it hands over),
 * follows the handoffs it asked for, and announces a lease taken from a live worker only once
 * that worker can no longer believe it holds it.
 * @internal
 */
export class LeaseAcquirer {
  private readonly announcements = new Set<Promise<boolean>>();
  /** Handoffs this worker asked for and is waiting on: lease key → monotonic time first seen. */
  private readonly handoffs = new Map<string, number>();

  constructor(private readonly d: LeaseAcquirerDeps) {}

  /** True once a handoff to this worker was granted: a lease may then stand under its id in the table without being held. */
  get hasRequestedHandoffs(): boolean {
    return this.handoffsGranted > 0;
  }

  private handoffsGranted = 0;

  /** Waits for the announcements still pending (they end when the coordinator stops). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.announcements]);
  }

  /**
   * The handoffs to this worker, as the scan shows them:
   * - `pending`: the outgoing holder is still finishing: it renews them (their counters move) and
   *   has not run past `handoffTimeoutMs`; they count as ours and are not taken yet. Others (timed
   *   out, expired) are left to the taker, which takes them as usual.
   * - `handedOver`: leases this worker asked for that their holder has handed over (owner this id,
   *   handoff cleared): taken at once, although their counter just moved under this id.
   */
  followHandoffs(leases: readonly Lease[], now: number): { pending: string[]; handedOver: Set<string> } {
    const pending: string[] = [];
    const handedOver = new Set<string>();
    const seen = new Set<string>();
    for (const lease of leases) {
      if (lease.leaseOwner !== this.d.workerId || lease.checkpointOwner === this.d.workerId) continue;
      if (this.d.renewer.get(lease.leaseKey)) continue;
      if (lease.checkpointOwner === undefined) {
        if (!this.handoffs.has(lease.leaseKey)) continue;
        seen.add(lease.leaseKey);
        handedOver.add(lease.leaseKey);
        continue;
      }
      seen.add(lease.leaseKey);
      const since = this.handoffs.get(lease.leaseKey) ?? now;
      this.handoffs.set(lease.leaseKey, since);
      if (now - since <= this.d.options.handoffTimeoutMs && !this.d.tracker.isExpired(lease, now)) pending.push(lease.leaseKey);
      else this.d.logger.warn({ leaseKey: lease.leaseKey, outgoing: lease.checkpointOwner }, 'handoff not completed in time; taking the lease');
    }
    for (const key of this.handoffs.keys()) if (!seen.has(key)) this.handoffs.delete(key);
    return { pending, handedOver };
  }

  async take(lease: Lease, kind: TakeKind): Promise<TakeOutcome> {
    const { clock } = this.d.options;
    const sentAt = clock.monotonicNow();
    // A previous holder that is still renewing believes it holds the lease until its next renewal fails.
    const previousHolder = lease.checkpointOwner ?? lease.leaseOwner;
    const previousOwnerLive = previousHolder !== undefined && previousHolder !== this.d.workerId && !this.d.tracker.isExpired(lease, sentAt);
    if (kind === 'steal' && this.d.options.gracefulHandoff && previousOwnerLive && lease.checkpointOwner === undefined) return this.requestHandoff(lease);
    let result;
    try {
      result = await this.d.table.takeLease(lease, this.d.workerId);
    } catch (error) {
      this.d.metrics.takes.add(1, { kind, result: 'error' });
      this.d.logger.warn({ err: error, leaseKey: lease.leaseKey, kind }, 'lease take failed');
      this.d.reportError(error);
      return 'error';
    }
    if (!result.ok) {
      this.d.metrics.takes.add(1, { kind, result: 'conflict' });
      if (result.current) this.d.tracker.observe(result.current, clock.monotonicNow());
      else this.d.tracker.forget(lease.leaseKey);
      // A handoff to this worker that its outgoing holder completed meanwhile also moves the counter under our id.
      const handoffToUs = lease.leaseOwner === this.d.workerId && lease.checkpointOwner !== undefined && lease.checkpointOwner !== this.d.workerId;
      if (!handoffToUs && writtenUnderSameId(this.d.workerId, lease, result.current)) this.d.onDuplicateWorkerId(lease, result.current, 'take');
      return 'conflict';
    }
    this.d.metrics.takes.add(1, { kind, result: 'ok' });
    this.d.tracker.observe(result.lease, clock.monotonicNow());
    const entry = this.d.renewer.add(result.lease, sentAt);
    this.d.metrics.held.set(this.d.renewer.size);
    this.d.logger.info({ leaseKey: lease.leaseKey, kind, previousOwner: lease.leaseOwner, leaseCounter: result.lease.leaseCounter }, 'acquired lease');
    if (previousOwnerLive) this.announceLater(entry);
    else this.d.onAcquired(entry.lease);
    return 'taken';
  }

  /** Asks the live holder of `lease` to hand it over; the taker takes it once it has. */
  private async requestHandoff(lease: Lease): Promise<TakeOutcome> {
    let result;
    try {
      result = await this.d.table.requestHandoff(lease, this.d.workerId);
    } catch (error) {
      this.d.metrics.takes.add(1, { kind: 'handoff', result: 'error' });
      this.d.logger.warn({ err: error, leaseKey: lease.leaseKey }, 'handoff request failed');
      this.d.reportError(error);
      return 'error';
    }
    const now = this.d.options.clock.monotonicNow();
    if (!result.ok) {
      this.d.metrics.takes.add(1, { kind: 'handoff', result: 'conflict' });
      if (result.current) this.d.tracker.observe(result.current, now);
      return 'conflict';
    }
    this.d.metrics.takes.add(1, { kind: 'handoff', result: 'ok' });
    this.handoffsGranted++;
    this.d.tracker.observe(result.lease, now);
    this.handoffs.set(lease.leaseKey, now);
    this.d.logger.info({ leaseKey: lease.leaseKey, from: lease.leaseOwner }, 'asked for a lease (graceful handoff)');
    return 'taken';
  }

  /**
   * Announces a stolen lease once its previous holder, which was alive and renewing, has had its
   * next renewal rejected (one renew interval plus a round trip): until then both would believe
   * they hold it. The lease is renewed meanwhile, and counts as ours for balancing.
   */
  private announceLater(entry: HeldLease): void {
    entry.announced = false;
    const { clock, renewIntervalMs, epsilonMs } = this.d.options;
    const announcement = clock.sleep(renewIntervalMs + epsilonMs + STEAL_ANNOUNCE_MARGIN_MS, this.d.signal).then((due) => {
      this.announcements.delete(announcement);
      if (!due || entry.state !== 'held') return false;
      entry.announced = true;
      this.d.onAcquired(entry.lease);
      return true;
    });
    entry.announcement = announcement;
    this.announcements.add(announcement);
  }
}
