import { LeaseLostError, ShutdownError, type Clock, type Logger } from '@shardline/core';
import { randomUUID } from 'node:crypto';
import type { Lease } from './Lease';
import { holderOf, type LeaseTable, type LeaseWriteResult } from './LeaseTable';

/**
 * Why this worker stopped holding a lease:
 * - `taken`: another worker owns it now (stolen, or taken after our renewals stopped);
 * - `evicted`: it is unowned now (someone evicted it);
 * - `deleted`: the lease item is gone;
 * - `expired`: no renewal succeeded for `failoverTimeMs`, so peers may take it;
 * - `stopped`: the coordinator stopped without releasing it.
 * @public
 */
export type LeaseLostReason = 'taken' | 'evicted' | 'deleted' | 'expired' | 'stopped';

/** One lease this worker holds: the last state it wrote, and its acquisition's token. @internal */
export interface HeldLease {
  /** The lease as this worker last wrote it (its counter is the one the next write expects). */
  lease: Lease;
  /** Concurrency token of this acquisition (the KCL's per-acquisition UUID). */
  readonly token: string;
  /** Monotonic time the last successful write was *sent*; the lease is ours until this + failover. */
  lastRenewedAt: number;
  /** `held` until lost, released, or being released. */
  state: 'held' | 'releasing' | 'gone';
  /**
   * Whether the application has been told (`leaseAcquired`). A stolen lease is renewed at once but
   * announced only once its previous holder has had a renewal rejected; until then it is not
   * handed out, and losing it is not reported.
   */
  announced: boolean;
  /** Resolves when an unannounced lease is announced (true) or dropped first (false). */
  announcement?: Promise<boolean>;
  /** Tail of the per-lease write queue: renewals, checkpoints and the release never overlap. */
  tail: Promise<unknown>;
  /** A renewal is in flight. */
  renewing: boolean;
  /** Another worker asked for this lease (graceful handoff): finish, checkpoint, then complete it. */
  handingOff?: boolean;
}

/** Dependencies of a {@link LeaseRenewer}. @internal */
export interface LeaseRenewerOptions {
  readonly table: LeaseTable;
  readonly failoverTimeMs: number;
  readonly maxConcurrentRenewals: number;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Called once per lease this worker stops holding involuntarily. */
  readonly onLost: (lease: Lease, reason: LeaseLostReason) => void;
  /** Called after every renewal with its result, and the error when it failed (the lease is then kept until it expires). */
  readonly onRenewal: (result: 'ok' | 'recovered' | 'lost' | 'error', error?: unknown) => void;
  /** Called once when a rejected write shows that another worker asked for the lease (graceful handoff). */
  readonly onHandoffRequested: (entry: HeldLease) => void;
  /**
   * Called when a rejected write shows another process writing this lease under this worker's id
   * ({@link writtenUnderSameId}); the lease is then dropped as `taken`.
   */
  readonly onDuplicateWorkerId: (lease: Lease, current: Lease, operation: string) => void;
}

/**
 * True when a rejected write of `entry` was rejected because another worker asked for the lease:
 * the item names that worker as owner and this holder as `checkpointOwner`.
 */
function handoffRequested(entry: HeldLease, current: Lease | undefined): current is Lease {
  const holder = entry.lease.checkpointOwner ?? entry.lease.leaseOwner;
  return current !== undefined && holder !== undefined && current.checkpointOwner === holder && current.leaseOwner !== holder;
}

/**
 * True when a rejected write by `holder`, which last saw `expected`, was rejected because another
 * process writes the lease under the same worker id: the item still names `holder` as its holder
 * (owner, or `checkpointOwner` while handing over) but its counter moved, and the table did not
 * recognise the move as a retry of our own write. The signal that two processes share an id.
 * @internal
 */
export function writtenUnderSameId(holder: string, expected: Lease, current: Lease | undefined): current is Lease {
  return current !== undefined && holderOf(current) === holder && current.leaseCounter !== expected.leaseCounter;
}

/**
 * Why a holder's write was rejected, from the re-read item. An item still showing this worker id
 * with another counter was written by a second process using the same id: also `taken` (and
 * reported through `onDuplicateWorkerId`).
 */
export function lostReason(current: Lease | undefined): LeaseLostReason {
  if (current === undefined) return 'deleted';
  return current.leaseOwner === undefined ? 'evicted' : 'taken';
}

/**
 * Keeps this worker's leases alive: one conditional UpdateItem per held lease per renew interval,
 * never a scan. Owns the held-lease set, serialises every write per lease (renewals, checkpoints and
 * the release run one after another, so none of them fails on the counter another just bumped), and
 * drops a lease as soon as a write is rejected or no renewal has succeeded for `failoverTimeMs`.
 * @internal
 */
export class LeaseRenewer {
  private readonly held = new Map<string, HeldLease>();
  private readonly inFlight = new Set<Promise<void>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly options: LeaseRenewerOptions) {}

  /** Leases held now. */
  list(): HeldLease[] {
    return [...this.held.values()];
  }

  /** Number of leases held now. */
  get size(): number {
    return this.held.size;
  }

  /** The held lease for `leaseKey`, if any. */
  get(leaseKey: string): HeldLease | undefined {
    return this.held.get(leaseKey);
  }

  /** Starts holding a lease just written by this worker (taken), with a fresh concurrency token. */
  add(lease: Lease, writtenSentAt: number): HeldLease {
    const entry: HeldLease = { lease, token: randomUUID(), lastRenewedAt: writtenSentAt, state: 'held', announced: true, tail: Promise.resolve(), renewing: false };
    this.held.set(lease.leaseKey, entry);
    return entry;
  }

  /** True while `entry` is held and, on the local clock, not expired. */
  isValid(entry: HeldLease): boolean {
    return entry.state === 'held' && this.options.clock.monotonicNow() - entry.lastRenewedAt <= this.options.failoverTimeMs;
  }

  /** True while `entry` is valid and announced: the application may process and checkpoint it. */
  isUsable(entry: HeldLease): boolean {
    return entry.announced && this.isValid(entry);
  }

  /** Runs `fn` after every earlier write of the same lease has finished. */
  exclusive<T>(entry: HeldLease, fn: () => Promise<T>): Promise<T> {
    const run = entry.tail.then(fn, fn);
    entry.tail = run.catch(() => undefined);
    return run;
  }

  /** Stops holding a lease (no write); reports it as lost unless `silently` or never announced. */
  drop(entry: HeldLease, reason: LeaseLostReason, silently = false): void {
    if (entry.state === 'gone') return;
    entry.state = 'gone';
    if (this.held.get(entry.lease.leaseKey) === entry) this.held.delete(entry.lease.leaseKey);
    if (!silently && entry.announced) this.options.onLost(entry.lease, reason);
  }

  /** Drops every held lease whose last successful write is older than the failover time. */
  dropExpired(): void {
    for (const entry of this.list()) {
      if (entry.state === 'held' && !this.isValid(entry)) {
        this.options.logger.warn(
          { leaseKey: entry.lease.leaseKey, sinceRenewalMs: Math.round(this.options.clock.monotonicNow() - entry.lastRenewedAt) },
          'lease expired locally: no renewal succeeded within the failover time',
        );
        this.drop(entry, 'expired');
      }
    }
  }

  /** Monotonic time at which the first held lease expires locally if no renewal succeeds. */
  nextLocalExpiryAt(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.held.values()) {
      const at = entry.lastRenewedAt + this.options.failoverTimeMs;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /**
   * Starts one renewal for every held lease that has none in flight, at most
   * `maxConcurrentRenewals` at once, and returns without waiting: a slow request delays only its
   * own lease, never the others' renewals.
   */
  renewAll(): void {
    for (const entry of this.list()) {
      if (entry.renewing || entry.state !== 'held') continue;
      entry.renewing = true;
      // renewOne handles write errors itself; only an injected logger or metrics sink that throws
      // can get here, and a background task must not become an unhandled rejection.
      const task = this.limited(() => this.exclusive(entry, () => this.renewOne(entry)))
        .catch((error: unknown) => {
          try {
            this.options.logger.error({ err: error, leaseKey: entry.lease.leaseKey }, 'lease renewal task failed');
          } catch {
            // the logger itself is what failed; the lease expires locally if renewals keep failing
          }
        })
        .finally(() => {
          entry.renewing = false;
          this.inFlight.delete(task);
        });
      this.inFlight.add(task);
    }
  }

  /** Waits for every renewal in flight. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async renewOne(entry: HeldLease): Promise<void> {
    if (entry.state !== 'held') return;
    if (!this.isValid(entry)) {
      this.drop(entry, 'expired');
      return;
    }
    const sentAt = this.options.clock.monotonicNow();
    let result: LeaseWriteResult;
    try {
      result = await this.options.table.renewLease(entry.lease);
    } catch (error) {
      this.options.logger.warn({ err: error, leaseKey: entry.lease.leaseKey }, 'lease renewal failed; keeping the lease until it expires locally');
      this.options.onRenewal('error', error);
      return;
    }
    if (entry.state !== 'held') return;
    if (result.ok) {
      entry.lease = result.lease;
      entry.lastRenewedAt = sentAt;
      this.options.onRenewal(result.recoveredSpuriousRetry ? 'recovered' : 'ok');
      return;
    }
    if (this.adoptHandoff(entry, result.current)) {
      this.options.onRenewal('ok');
      return;
    }
    this.options.onRenewal('lost');
    this.options.logger.info({ leaseKey: entry.lease.leaseKey, newOwner: result.current?.leaseOwner }, 'lost lease: renewal rejected');
    this.reportDuplicate(entry, result.current, 'renew');
    this.drop(entry, lostReason(result.current));
  }

  /**
   * Runs a holder's write (checkpoint, prepare, release) against the current state of the lease,
   * under the lease's write queue, refusing it locally when `token` is not the current
   * acquisition's or the lease has expired locally.
   * @throws LeaseLostError when not held by this acquisition, rejected by the table, or expired;
   *   ShutdownError when the lease is being released.
   */
  async writeAsHolder(leaseKey: string, token: string, write: (lease: Lease) => Promise<LeaseWriteResult>, operation = 'checkpoint'): Promise<Lease> {
    const entry = this.held.get(leaseKey);
    if (!entry || entry.token !== token || !entry.announced) {
      throw new LeaseLostError(`lease ${leaseKey} is not held by this acquisition (taken, expired or re-acquired since)`, { leaseKey });
    }
    return this.exclusive(entry, async () => {
      for (let attempt = 0; ; attempt++) {
        this.assertWritable(entry, token);
        const sentAt = this.options.clock.monotonicNow();
        const result = await write(entry.lease);
        if (result.ok) {
          if (entry.state === 'held') {
            entry.lease = result.lease;
            entry.lastRenewedAt = sentAt;
          }
          return result.lease;
        }
        // Asked to hand the lease over since the last write: the holder may still checkpoint.
        if (attempt < 2 && this.adoptHandoff(entry, result.current)) continue;
        this.reportDuplicate(entry, result.current, operation);
        this.drop(entry, lostReason(result.current));
        throw new LeaseLostError(`lease ${leaseKey} was lost: now owned by ${result.current?.leaseOwner ?? 'nobody'}`, { leaseKey });
      }
    });
  }

  /** Reports a rejected write of `entry` that another process made under this worker's id, if it was one. */
  reportDuplicate(entry: HeldLease, current: Lease | undefined, operation: string): void {
    const holder = holderOf(entry.lease);
    if (entry.state === 'gone' || holder === undefined || !writtenUnderSameId(holder, entry.lease, current)) return;
    this.options.onDuplicateWorkerId(entry.lease, current, operation);
  }

  /** Takes on a handoff request found by a rejected write; false when the rejection means something else. */
  private adoptHandoff(entry: HeldLease, current: Lease | undefined): boolean {
    if (entry.state !== 'held' || !handoffRequested(entry, current)) return false;
    const first = !entry.handingOff;
    entry.lease = current;
    entry.handingOff = true;
    if (first) {
      this.options.logger.info({ leaseKey: current.leaseKey, newOwner: current.leaseOwner }, 'handoff requested: finishing and checkpointing before handing the lease over');
      this.options.onHandoffRequested(entry);
    }
    return true;
  }

  private assertWritable(entry: HeldLease, token: string): void {
    const leaseKey = entry.lease.leaseKey;
    if (entry.state === 'releasing') throw new ShutdownError(`lease ${leaseKey} is being released by a shutdown`);
    if (entry.state === 'gone' || entry.token !== token) throw new LeaseLostError(`lease ${leaseKey} is no longer held by this acquisition`, { leaseKey });
    if (!this.isValid(entry)) {
      this.drop(entry, 'expired');
      throw new LeaseLostError(`lease ${leaseKey} expired locally: no renewal succeeded within the failover time`, { leaseKey });
    }
  }

  private async limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.options.maxConcurrentRenewals) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
