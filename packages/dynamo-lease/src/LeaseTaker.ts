import type { Lease } from './Lease';

/** What the taker knows when it decides: one table scan and this worker's own state. @public */
export interface LeaseTakerSnapshot {
  /** This worker's id. */
  readonly workerId: string;
  /** Every lease in the table, as scanned. */
  readonly leases: readonly Lease[];
  /** Leases this worker holds and renews right now. */
  readonly heldLeaseKeys: ReadonlySet<string>;
  /**
   * Leases this worker asked for (graceful handoff) that their holder has just handed over: they
   * are under this worker's id with a counter that just moved, and are available at once.
   */
  readonly handedOverLeaseKeys?: ReadonlySet<string>;
  /** Milliseconds since the lease's counter last moved, on this worker's clock; `Infinity` if never. */
  readonly ageMs: (lease: Lease) => number;
}

/** Balancing parameters (the KCL 2.x names). @public */
export interface LeaseTakerPolicy {
  readonly failoverTimeMs: number;
  readonly maxLeasesForWorker: number;
  readonly maxLeasesToStealAtOneTime: number;
  readonly veryOldLeaseMultiplier: number;
  readonly enablePriorityLeaseAssignment: boolean;
}

/** The taker's decision, with the figures the KCL reports as `TakeLeases` metrics. @public */
export interface LeaseTakerDecision {
  /** Available (unowned or expired) leases to take, best first. */
  readonly toTake: readonly Lease[];
  /** Live leases of the most loaded worker to steal. */
  readonly toSteal: readonly Lease[];
  /** Leases per worker this worker aims for: `ceil(leases / workers)`, capped by `maxLeasesForWorker`. */
  readonly target: number;
  /** Leases in the table. */
  readonly totalLeases: number;
  /** Workers seen: owners of live leases, plus this worker (plus one for a live twin, below). */
  readonly numWorkers: number;
  /**
   * Leases under this worker's id that this process does not hold but whose counters move: another
   * live process runs with the same worker id. They count as held by one more worker, and are
   * neither taken nor stolen (which would only make the two take them from each other in turn).
   */
  readonly duplicateIdLeases: number;
  /** Live leases per worker (this worker included). */
  readonly leaseCounts: ReadonlyMap<string, number>;
  /** Leases that are unowned or expired. */
  readonly availableLeases: number;
  /** Owned leases whose counter has not moved for more than the failover time. */
  readonly expiredLeases: number;
  /** Available leases not renewed for `veryOldLeaseMultiplier` failover times (or never). */
  readonly veryOldLeases: number;
  /** How far `maxLeasesForWorker` cut the target (the KCL's `LeaseSpillover`). */
  readonly spillover: number;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Decides which leases this worker takes or steals, by lease count, as the KCL 2.x
 * `DynamoDBLeaseTaker` does. Pure: no I/O, no clock; `random` drives the shuffles.
 *
 * 1. Available leases are those unowned or expired, and those just handed over to this worker. A
 *    lease under this worker's id that this process does not hold is expired the same way (a
 *    previous incarnation's, no longer renewed), and while its counter moves it belongs to another
 *    live process with the same id (counted as one more worker, never taken or stolen). A lease
 *    handed to this id by a holder that still holds it (`checkpointOwner` set) is available unless
 *    the caller counts it as held (handoff pending). Live leases are counted per owner; this worker
 *    always counts. (Leases this id held before a restart are taken back at start-up, not here.)
 * 2. Target = 1 when workers ≥ leases, else `ceil(leases / workers)`, capped at `maxLeasesForWorker`.
 * 3. Take up to `target - mine` available leases, very old ones first (never renewed, or not for
 *    `veryOldLeaseMultiplier × failoverTimeMs`). Unlike the KCL, very old leases do not bypass the
 *    target: grabbing them all makes the other workers steal them back one by one, and every steal
 *    restarts a shard's processing.
 * 4. Only when nothing is available: steal from the most loaded worker if it is at or above target,
 *    `min(needed, its excess)` leases (1 if that is 0 but more than 1 is needed), at most
 *    `maxLeasesToStealAtOneTime`.
 * @public
 */
export function decideLeasesToTake(snapshot: LeaseTakerSnapshot, policy: LeaseTakerPolicy, random: () => number = Math.random): LeaseTakerDecision {
  const { workerId, leases, heldLeaseKeys, ageMs } = snapshot;
  const handedOver = snapshot.handedOverLeaseKeys ?? new Set<string>();
  const counts = new Map<string, number>([[workerId, 0]]);
  const liveByOwner = new Map<string, Lease[]>();
  const available: Lease[] = [];
  const veryOld: Lease[] = [];
  let expired = 0;
  let duplicateIdLeases = 0;
  const veryOldAgeMs = policy.veryOldLeaseMultiplier * policy.failoverTimeMs;

  for (const lease of leases) {
    const owner = lease.leaseOwner;
    const heldHere = owner === workerId && heldLeaseKeys.has(lease.leaseKey);
    const isExpired = owner !== undefined && !heldHere && ageMs(lease) > policy.failoverTimeMs;
    // Under this id but not held here: a handoff to this worker (handed over, or no longer pending) is ours to take.
    const handedToUs = owner === workerId && !heldHere && (handedOver.has(lease.leaseKey) || (lease.checkpointOwner !== undefined && lease.checkpointOwner !== workerId));
    if (owner === undefined || isExpired || handedToUs) {
      if (isExpired) expired++;
      if (ageMs(lease) > veryOldAgeMs) veryOld.push(lease);
      else available.push(lease);
      continue;
    }
    if (owner === workerId && !heldHere) {
      duplicateIdLeases++;
      continue;
    }
    counts.set(owner, (counts.get(owner) ?? 0) + 1);
    let list = liveByOwner.get(owner);
    if (!list) liveByOwner.set(owner, (list = []));
    list.push(lease);
  }

  const totalLeases = leases.length;
  const numWorkers = counts.size + (duplicateIdLeases > 0 ? 1 : 0);
  let target = totalLeases === 0 ? 0 : numWorkers >= totalLeases ? 1 : Math.ceil(totalLeases / numWorkers);
  const spillover = Math.max(0, target - policy.maxLeasesForWorker);
  target -= spillover;
  const myCount = counts.get(workerId) ?? 0;
  const needed = Math.max(0, target - myCount);
  const availableCount = available.length + veryOld.length;

  let toTake: Lease[] = [];
  let toSteal: Lease[] = [];
  if (needed > 0 && availableCount > 0) {
    const ordered = policy.enablePriorityLeaseAssignment ? [...shuffled(veryOld, random), ...shuffled(available, random)] : shuffled([...veryOld, ...available], random);
    toTake = ordered.slice(0, needed);
  } else if (needed > 0) {
    toSteal = chooseLeasesToSteal(workerId, counts, liveByOwner, target, needed, policy.maxLeasesToStealAtOneTime, random);
  }

  return {
    toTake,
    toSteal,
    target,
    totalLeases,
    numWorkers,
    leaseCounts: counts,
    duplicateIdLeases,
    availableLeases: availableCount,
    expiredLeases: expired,
    veryOldLeases: veryOld.length,
    spillover,
  };
}

function chooseLeasesToSteal(
  workerId: string,
  counts: ReadonlyMap<string, number>,
  liveByOwner: ReadonlyMap<string, Lease[]>,
  target: number,
  needed: number,
  maxToSteal: number,
  random: () => number,
): Lease[] {
  let mostLoaded: string | undefined;
  let mostCount = -1;
  let ties = 0;
  for (const [owner, count] of counts) {
    if (owner === workerId) continue;
    if (count > mostCount) {
      mostLoaded = owner;
      mostCount = count;
      ties = 1;
    } else if (count === mostCount && random() * ++ties < 1) {
      // Reservoir choice among equally loaded workers, so that thieves spread over victims.
      mostLoaded = owner;
    }
  }
  if (mostLoaded === undefined || mostCount < target) return [];
  const overTarget = mostCount - target;
  let count = Math.min(needed, overTarget);
  if (count === 0 && needed > 1) count = 1;
  count = Math.min(count, maxToSteal);
  // A lease being handed over (checkpointOwner set) is still being finished by its holder: taking it
  // now would cut that short and re-deliver what it processed since its last checkpoint.
  const candidates = (liveByOwner.get(mostLoaded) ?? []).filter((l) => l.checkpointOwner === undefined);
  return shuffled(candidates, random).slice(0, count);
}
