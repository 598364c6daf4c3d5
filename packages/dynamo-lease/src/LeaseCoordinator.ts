import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, LeaseLostError, ResourceNotFoundError, ShutdownError, type ExtendedSequenceNumber, type Logger } from '@shardline/core';
import { EventEmitter } from 'node:events';
import { createCoordinatorInstruments, type CoordinatorInstruments } from './coordinatorMetrics';
import { Checkpointer, type CheckpointChange, type CheckpointWriter } from './Checkpointer';
import { newLease, type Lease, type LeaseSpec } from './Lease';
import { LeaseExpiryTracker } from './LeaseExpiryTracker';
import { LeaseAcquirer } from './LeaseAcquirer';
import { LeaseRenewer, lostReason, type HeldLease } from './LeaseRenewer';
import { LeaseTable } from './LeaseTable';
import { isFinishedLease, type LeaseCoordinatorEvents, type StopOptions, type StoredCheckpoint, type DuplicateWorkerId } from './LeaseCoordinatorEvents';
import { decideLeasesToTake, type LeaseTakerDecision } from './LeaseTaker';
import { resolveLeaseCoordinatorOptions, type LeaseCoordinatorOptions, type ResolvedLeaseCoordinatorOptions } from './resolveLeaseOptions';

/** Full scans (with takes in between) per taker run when takes lose races. */
const MAX_TAKER_ROUNDS = 3;
/** Parallel writes for bulk operations (lease creation, release on stop). */
const BULK_CONCURRENCY = 10;

/**
 * Pause after the `failures`-th failed taker run in a row (before jitter): `takerIntervalMs`,
 * doubled per failure, capped at `max(takerIntervalMs, failoverTimeMs)`. Never shorter than a
 * healthy run's pause, so a throttled or failing table gets fewer scans, not more; the cap bounds
 * how late the taker notices that the table is back.
 */
function takerRetryDelayMs(failures: number, takerIntervalMs: number, failoverTimeMs: number): number {
  return Math.min(Math.max(takerIntervalMs, failoverTimeMs), takerIntervalMs * 2 ** Math.min(30, failures - 1));
}

/**
 * One worker's side of KCL-style lease coordination over a DynamoDB lease table.
 *
 * - The **renewer** renews every held lease each `failoverTimeMs / 3 - epsilonMs` with one
 *   conditional UpdateItem per lease (no scan), and drops a lease the moment a renewal is rejected
 *   or none has succeeded for `failoverTimeMs`.
 * - The **taker** scans the table at most `takerIntervalMs` apart, and also right when a lease it
 *   watches is due to expire; it detects expiry by watching counters on this process's monotonic
 *   clock, and takes or steals leases to balance by count as the KCL 2.x does. After a failed scan
 *   it backs off (doubling from `takerIntervalMs` up to `failoverTimeMs`), never scanning faster
 *   than a healthy taker.
 * - {@link stop} releases held leases in DynamoDB so peers take them at once.
 *
 * Listen to `leaseAcquired`, `leaseLost` and `leaseReleased`; get a {@link Checkpointer} for a
 * held lease with {@link checkpointer}.
 * @public
 */
export class LeaseCoordinator extends EventEmitter<LeaseCoordinatorEvents> implements CheckpointWriter {
  /** This worker's id (the `leaseOwner` it writes). */
  readonly workerId: string;
  /** The lease table. */
  readonly table: LeaseTable;
  /** The resolved options, with derived intervals. */
  readonly options: ResolvedLeaseCoordinatorOptions;

  private readonly client: DynamoDBClient;
  private readonly ownsClient: boolean;
  private readonly logger: Logger;
  private readonly renewer: LeaseRenewer;
  private readonly tracker: LeaseExpiryTracker;
  private readonly metrics: CoordinatorInstruments;
  private readonly acquirer: LeaseAcquirer;
  private readonly checkpointers = new WeakMap<HeldLease, Checkpointer>();
  private readonly abort = new AbortController();
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private initPromise: Promise<void> | undefined;
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private loops: Promise<void>[] = [];
  private takerChain: Promise<unknown> = Promise.resolve();
  private lastObservedAt = -Infinity;
  private taking = true;

  constructor(options: LeaseCoordinatorOptions) {
    super();
    this.options = resolveLeaseCoordinatorOptions(options);
    const o = this.options;
    this.workerId = o.workerId;
    this.ownsClient = o.client === undefined;
    this.client = o.client ?? createDynamoDbClient(o.clientOptions);
    this.logger = o.logger.child({ component: 'LeaseCoordinator', workerId: o.workerId });
    this.table = new LeaseTable({
      tableName: o.tableName,
      client: this.client,
      billingMode: o.billingMode,
      tableActiveTimeoutMs: o.tableActiveTimeoutMs,
      consistentReads: o.consistentReads,
      clock: o.clock,
      logger: o.logger,
      metrics: o.metrics,
    });
    this.tracker = new LeaseExpiryTracker(o.failoverTimeMs);
    this.metrics = createCoordinatorInstruments(o.metrics);
    this.renewer = new LeaseRenewer({
      table: this.table,
      failoverTimeMs: o.failoverTimeMs,
      maxConcurrentRenewals: o.maxConcurrentRenewals,
      clock: o.clock,
      logger: this.logger,
      onLost: (lease, reason) => {
        this.metrics.lost.add(1, { reason });
        this.metrics.held.set(this.renewer.size);
        this.notify('leaseLost', lease, reason);
      },
      onRenewal: (result, error) => {
        this.metrics.renewals.add(1, { result });
        if (error !== undefined) this.reportError(error);
      },
      onHandoffRequested: (entry) => {
        this.metrics.takes.add(1, { kind: 'handoff-requested-from-us', result: 'ok' });
        if (entry.announced && this.listenerCount('leaseHandoffRequested') > 0) this.notify('leaseHandoffRequested', entry.lease);
        else void this.releaseEntry(entry);
      },
      onDuplicateWorkerId: (lease, current, operation) => this.duplicateWorkerId(lease, current, operation),
    });
    this.acquirer = new LeaseAcquirer({
      workerId: this.workerId,
      options: o,
      table: this.table,
      tracker: this.tracker,
      renewer: this.renewer,
      metrics: this.metrics,
      logger: this.logger,
      signal: this.abort.signal,
      onAcquired: (lease) => this.notify('leaseAcquired', lease),
      reportError: (error) => this.reportError(error),
      onDuplicateWorkerId: (expected, current, operation) => this.duplicateWorkerId(expected, current, operation),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Creates the table if needed (and allowed) and waits until it is ACTIVE. Idempotent. */
  init(): Promise<void> {
    this.initPromise ??= (async () => {
      if (this.options.createTableIfNotExists) await this.table.createTableIfNotExists(this.abort.signal);
      else await this.table.waitUntilActive(this.abort.signal);
    })();
    return this.initPromise;
  }

  /**
   * Initialises the table, takes back the leases this worker id already owns (a restart with a
   * stable `workerId` gets its shards back at once), then starts the renewer and the taker.
   * If it fails, the coordinator is stopped and the error rethrown.
   */
  start(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return Promise.reject(new ShutdownError('lease coordinator is stopped'));
    this.startPromise ??= (async () => {
      try {
        await this.init();
        if (this.state !== 'new') throw new ShutdownError('lease coordinator was stopped while starting');
        this.state = 'running';
        await this.serially(() => this.reclaimOwnLeases());
      } catch (error) {
        await this.stop({ release: true });
        throw error;
      }
      this.loops = [this.renewerLoop(), this.takerLoop()];
      this.logger.info({ failoverTimeMs: this.options.failoverTimeMs, renewIntervalMs: this.options.renewIntervalMs, takerIntervalMs: this.options.takerIntervalMs }, 'lease coordinator started');
    })();
    return this.startPromise;
  }

  /**
   * Stops the renewer and the taker, then (by default) releases every held lease in DynamoDB, and
   * destroys the client if the coordinator created it. Every timer is cleared. Idempotent.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopPromise ??= this.doStop(options.release ?? true);
    return this.stopPromise;
  }

  /** Same as `stop({ release: true })`. */
  close(): Promise<void> {
    return this.stop({ release: true });
  }

  /**
   * Stops taking and stealing leases while held ones are still renewed: the first step of a
   * worker's graceful shutdown, before its shards are asked to finish. Resolves once no taker run
   * is in progress. {@link stop} still releases what is held.
   */
  async stopTaking(): Promise<void> {
    this.taking = false;
    await this.takerChain;
  }

  private async doStop(release: boolean): Promise<void> {
    this.state = 'stopping';
    this.abort.abort();
    await Promise.allSettled(this.loops);
    await this.takerChain;
    await this.acquirer.settle();
    await this.renewer.settle();
    const entries = this.renewer.list();
    if (release) {
      await this.inBatches(entries, (entry) => this.releaseEntry(entry));
      // Only a granted handoff puts a lease under this id unheld; without one, stop needs no scan (and none that could hang).
      if (this.acquirer.hasRequestedHandoffs) {
        // Bounded: a table that stops answering must not hold stop() (a lease left over then expires as before).
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.releaseUnheld(), new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.failoverTimeMs)))]);
        clearTimeout(timer);
      }
    } else for (const entry of entries) this.renewer.drop(entry, 'stopped');
    this.metrics.held.set(this.renewer.size);
    this.state = 'stopped';
    if (this.ownsClient) this.client.destroy();
    this.logger.info({ released: release ? entries.length : 0 }, 'lease coordinator stopped');
  }

  /**
   * Releases the leases the table shows under this id that this worker does not hold: a graceful
   * handoff to it still pending (the requester is already `leaseOwner`), or one completed after its
   * last scan. Without this, a stopped worker would own them until they expire. Each release is
   * conditional; a lease that moved is read again (a few times, bounded) and released if still ours.
   */
  private async releaseUnheld(): Promise<void> {
    let leases: Lease[];
    try {
      leases = await this.table.listLeases({ maxAttempts: 2 });
    } catch (error) {
      this.reportError(error);
      return;
    }
    await this.inBatches(
      leases.filter((l) => l.leaseOwner === this.workerId),
      async (lease) => {
        let current: Lease | undefined = lease;
        try {
          for (let attempt = 0; attempt < 3 && current?.leaseOwner === this.workerId; attempt++) {
            const result = await this.table.releaseLease(current);
            if (result.ok) return;
            current = result.current;
          }
        } catch (error) {
          this.reportError(error);
        }
      },
    );
  }

  // ---------------------------------------------------------------- held leases and checkpoints

  /** The leases this worker holds and may process now (renewed within the failover time). */
  heldLeases(): Lease[] {
    return this.renewer
      .list()
      .filter((e) => this.renewer.isUsable(e))
      .map((e) => e.lease);
  }

  /** The held lease for `leaseKey`, or `undefined` when this worker does not (validly) hold it. */
  getHeldLease(leaseKey: string): Lease | undefined {
    const entry = this.renewer.get(leaseKey);
    return entry && this.renewer.isUsable(entry) ? entry.lease : undefined;
  }

  /**
   * The checkpointer of the current acquisition of a held lease (the same object until the lease
   * is lost; a later re-acquisition gets a new one, and the old one throws LeaseLostError).
   * @throws LeaseLostError when this worker does not hold the lease.
   */
  checkpointer(leaseKey: string): Checkpointer {
    const entry = this.renewer.get(leaseKey);
    if (!entry || !this.renewer.isUsable(entry)) throw new LeaseLostError(`lease ${leaseKey} is not held by worker ${this.workerId}`, { leaseKey });
    let checkpointer = this.checkpointers.get(entry);
    if (!checkpointer) this.checkpointers.set(entry, (checkpointer = new Checkpointer(this, entry.lease, entry.token)));
    return checkpointer;
  }

  /** Checkpoints a held lease at `position`. */
  async checkpoint(leaseKey: string, position: ExtendedSequenceNumber): Promise<void> {
    return this.checkpointer(leaseKey).checkpoint(position);
  }

  /** @internal The {@link CheckpointWriter} side used by {@link Checkpointer}. */
  async writeCheckpoint(leaseKey: string, concurrencyToken: string, change: CheckpointChange): Promise<Lease> {
    if (this.state === 'stopped') throw new ShutdownError('lease coordinator is stopped');
    try {
      const lease = await this.renewer.writeAsHolder(leaseKey, concurrencyToken, (current) =>
        change.kind === 'checkpoint' ? this.table.checkpoint(current, change.position) : this.table.prepareCheckpoint(current, change.position, change.state),
      );
      this.metrics.checkpoints.add(1, { kind: change.kind, result: 'ok' });
      return lease;
    } catch (error) {
      this.metrics.checkpoints.add(1, { kind: change.kind, result: error instanceof LeaseLostError ? 'lost' : 'error' });
      // Once stopping, a lease that is gone was released by the shutdown: say so, not "lost".
      if (error instanceof LeaseLostError && this.state !== 'running') throw new ShutdownError(`lease coordinator is stopping: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** Reads a lease's stored checkpoint; `undefined` when there is no lease. */
  async fetchCheckpoint(leaseKey: string): Promise<StoredCheckpoint | undefined> {
    const lease = await this.table.getLease(leaseKey);
    if (!lease) return undefined;
    return {
      checkpoint: lease.checkpoint,
      pendingCheckpoint: lease.pendingCheckpoint,
      pendingCheckpointState: lease.pendingCheckpointState,
      ownerSwitchesSinceCheckpoint: lease.ownerSwitchesSinceCheckpoint,
    };
  }

  // ---------------------------------------------------------------- lease management

  /**
   * Creates leases for shards that have none (conditional Put each), unowned with counter 0.
   * Initialises the table first if needed.
   * @returns the keys of the leases this call created.
   */
  async createLeasesIfNotExist(specs: readonly LeaseSpec[]): Promise<string[]> {
    const leases = specs.map(newLease);
    await this.init();
    const created: string[] = [];
    await this.inBatches(leases, async (lease) => {
      if (await this.table.createLeaseIfNotExists(lease)) created.push(lease.leaseKey);
    });
    return created;
  }

  /**
   * Records a shard's children on its lease (at SHARD_END) without bumping the counter.
   * @returns the updated lease, or `undefined` when the lease does not exist.
   */
  async updateChildShards(leaseKey: string, childShardIds: readonly string[]): Promise<Lease | undefined> {
    const updated = await this.table.updateMetaInfo(leaseKey, { childShardIds });
    const entry = this.renewer.get(leaseKey);
    if (updated && entry) entry.lease = { ...entry.lease, childShardIds: updated.childShardIds };
    return updated;
  }

  /**
   * Takes a lease if it is available: unowned, expired (as this worker has observed it), or owned
   * by this worker id without being held.
   * @returns the held lease, or `undefined` when a live worker holds it or another worker won the race.
   * @throws ResourceNotFoundError when no such lease exists.
   */
  acquireLease(leaseKey: string): Promise<Lease | undefined> {
    return this.serially(async () => {
      this.assertRunning();
      // Held already (perhaps a steal not yet announced): never take it a second time.
      if (this.renewer.get(leaseKey)) return this.getHeldLease(leaseKey);
      const lease = await this.readForTake(leaseKey);
      const available = lease.leaseOwner === undefined || lease.leaseOwner === this.workerId || this.tracker.isExpired(lease, this.options.clock.monotonicNow());
      if (!available) return undefined;
      return (await this.acquirer.take(lease, 'acquire')) === 'taken' ? this.getHeldLease(leaseKey) : undefined;
    });
  }

  /**
   * Takes a lease now, whoever holds it, without waiting for it to expire: the take is conditioned
   * on the counter just read, so it fails only if the lease moves in between, and is then retried twice. The previous holder's checkpoints fail at once; it learns of the
   * loss at its next renewal, at most one renew interval later, and the lease is announced
   * (`leaseAcquired`) and returned only then, so the two never process the shard at the same time.
   * @returns the held lease, or `undefined` when it kept moving or was lost again meanwhile.
   * @throws ResourceNotFoundError when no such lease exists.
   */
  async claimShard(leaseKey: string): Promise<Lease | undefined> {
    const taken = await this.serially(async () => {
      this.assertRunning();
      for (let attempt = 0; attempt < 3; attempt++) {
        if (this.renewer.get(leaseKey)) return true;
        const lease = await this.readForTake(leaseKey);
        if ((await this.acquirer.take(lease, 'claim')) === 'taken') return true;
      }
      return false;
    });
    if (!taken) return undefined;
    const entry = this.renewer.get(leaseKey);
    if (entry && !entry.announced) await entry.announcement;
    return this.getHeldLease(leaseKey);
  }

  /**
   * Gives one held lease back in DynamoDB (for example after its shard ended and was checkpointed),
   * so that any worker can take it at once.
   * @returns true when it was released; false when it was not held or had already been lost.
   */
  async releaseLease(leaseKey: string): Promise<boolean> {
    const entry = this.renewer.get(leaseKey);
    if (!entry) return false;
    return this.releaseEntry(entry);
  }

  /**
   * Workers that own live leases, with the keys of those leases.
   * One scan (eventually consistent unless `consistentReads`); leases this worker has seen expire are left out.
   */
  async listActiveWorkers(): Promise<Map<string, string[]>> {
    const leases = await this.table.listLeases();
    const now = this.options.clock.monotonicNow();
    this.tracker.observeAll(leases, now);
    const workers = new Map<string, string[]>();
    for (const lease of leases) {
      if (lease.leaseOwner === undefined || this.tracker.isExpired(lease, now)) continue;
      const keys = workers.get(lease.leaseOwner) ?? [];
      keys.push(lease.leaseKey);
      workers.set(lease.leaseOwner, keys);
    }
    for (const keys of workers.values()) keys.sort();
    return workers;
  }

  /** Runs one taker pass now (scan, then take or steal) and returns its decision. */
  takeLeases(): Promise<LeaseTakerDecision | undefined> {
    return this.serially(() => this.runTaker());
  }

  // ---------------------------------------------------------------- renewer and taker

  private async renewerLoop(): Promise<void> {
    const { clock, renewIntervalMs } = this.options;
    const signal = this.abort.signal;
    let nextRenewal = clock.monotonicNow();
    while (!signal.aborted) {
      this.renewer.dropExpired();
      const now = clock.monotonicNow();
      if (now >= nextRenewal) {
        this.renewer.renewAll();
        // Fixed rate, as the KCL's scheduleAtFixedRate, but without a burst of catch-up runs after a stall.
        nextRenewal += renewIntervalMs;
        if (nextRenewal <= now) nextRenewal = now + renewIntervalMs;
      }
      const expiry = this.renewer.nextLocalExpiryAt();
      const wakeAt = expiry === undefined ? nextRenewal : Math.min(nextRenewal, expiry + 1);
      await clock.sleep(Math.max(1, wakeAt - clock.monotonicNow()), signal);
    }
  }

  private async takerLoop(): Promise<void> {
    const { clock, takerIntervalMs, failoverTimeMs, epsilonMs, random } = this.options;
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      let failure: { error: unknown } | undefined;
      await this.serially(() => this.runTaker()).catch((error: unknown) => (failure = { error }));
      if (signal.aborted) break;
      const jitter = 1 - 0.2 * random();
      let wakeAt: number;
      if (failure) {
        // The scan saw nothing, so there is no expiry to wake for; back off instead of adding load to
        // a throttled or failing table (its last good view would otherwise keep "expiring" at once).
        failures++;
        const delayMs = Math.round(takerRetryDelayMs(failures, takerIntervalMs, failoverTimeMs) * jitter);
        this.metrics.takerFailures.add(1);
        this.logger.warn({ err: failure.error, failures, retryInMs: delayMs }, 'taker run failed; backing off');
        this.reportError(failure.error);
        wakeAt = clock.monotonicNow() + delayMs;
      } else {
        failures = 0;
        const regular = clock.monotonicNow() + takerIntervalMs * jitter;
        const expiry = this.tracker.nextExpiryAt(this.lastObservedAt, (key, owner) => owner === this.workerId && this.renewer.get(key) !== undefined);
        wakeAt = expiry === undefined ? regular : Math.min(regular, expiry + Math.max(epsilonMs, 5));
      }
      await clock.sleep(Math.max(1, wakeAt - clock.monotonicNow()), signal);
    }
  }

  private async runTaker(): Promise<LeaseTakerDecision | undefined> {
    const { clock } = this.options;
    let decision: LeaseTakerDecision | undefined;
    for (let round = 0; round < MAX_TAKER_ROUNDS && this.state === 'running'; round++) {
      const scanStartedAt = clock.monotonicNow();
      // One attempt: the taker loop retries on its own backoff, so retries do not multiply.
      const leases = await this.table.listLeases({ maxAttempts: 1 });
      const observedAt = clock.monotonicNow();
      this.metrics.takerRuns.add(1);
      this.metrics.scanMs.observe(observedAt - scanStartedAt);
      this.tracker.observeAll(leases, observedAt);
      this.lastObservedAt = observedAt;
      this.notify('leasesScanned', leases);
      if (!this.taking) break;
      const heldLeaseKeys = new Set(this.renewer.list().map((e) => e.lease.leaseKey));
      // A handoff to this worker still in progress counts as ours and is not taken early.
      const handoffs = this.acquirer.followHandoffs(leases, observedAt);
      for (const key of handoffs.pending) heldLeaseKeys.add(key);
      // Finished shards need no worker: they are neither taken nor counted when balancing.
      const open = leases.filter((l) => !isFinishedLease(l));
      decision = decideLeasesToTake(
        { workerId: this.workerId, leases: open, heldLeaseKeys, handedOverLeaseKeys: handoffs.handedOver, ageMs: (l) => this.tracker.ageMs(l, observedAt) },
        this.options,
        this.options.random,
      );
      this.metrics.totalLeases.set(decision.totalLeases);
      this.metrics.workers.set(decision.numWorkers);
      this.metrics.spillover.set(decision.spillover);
      this.metrics.duplicateIdLeases.set(decision.duplicateIdLeases);
      if (decision.spillover > 0)
        this.logger.warn({ spillover: decision.spillover, maxLeasesForWorker: this.options.maxLeasesForWorker }, 'maxLeasesForWorker is below the fair share: some shards may not be processed');
      if (this.state !== 'running' || !this.taking || decision.toTake.length + decision.toSteal.length === 0) break;
      const outcomes = await Promise.all([...decision.toTake.map((l) => this.acquirer.take(l, 'take')), ...decision.toSteal.map((l) => this.acquirer.take(l, 'steal'))]);
      // A lost race means someone else got that lease; look again for others while it is cheap.
      if (!outcomes.includes('conflict')) break;
    }
    return decision;
  }

  private async reclaimOwnLeases(): Promise<void> {
    const leases = await this.table.listLeases();
    const observedAt = this.options.clock.monotonicNow();
    this.tracker.observeAll(leases, observedAt);
    this.notify('leasesScanned', leases);
    // A lease handed to this id by another worker is not cut short: the taker takes it once handed over.
    const mine = leases.filter((l) => l.leaseOwner === this.workerId && l.checkpointOwner === undefined && !isFinishedLease(l) && this.renewer.get(l.leaseKey) === undefined);
    await Promise.all(mine.map((l) => this.acquirer.take(l, 'reclaim')));
  }

  private async readForTake(leaseKey: string): Promise<Lease> {
    const lease = await this.table.getLease(leaseKey);
    if (!lease) throw new ResourceNotFoundError(`no lease ${leaseKey} in table ${this.table.tableName}`);
    this.tracker.observe(lease, this.options.clock.monotonicNow());
    return lease;
  }

  private releaseEntry(entry: HeldLease): Promise<boolean> {
    return this.renewer.exclusive(entry, async () => {
      if (entry.state !== 'held') return false;
      entry.state = 'releasing';
      try {
        // During a handoff, giving the lease back hands it to the worker that asked for it.
        const result = entry.lease.checkpointOwner !== undefined ? await this.table.completeHandoff(entry.lease) : await this.table.releaseLease(entry.lease);
        if (result.ok) {
          this.renewer.drop(entry, 'stopped', true);
          this.metrics.released.add(1);
          this.metrics.held.set(this.renewer.size);
          if (entry.announced) this.notify('leaseReleased', result.lease);
          return true;
        }
        this.renewer.reportDuplicate(entry, result.current, 'release');
        this.renewer.drop(entry, lostReason(result.current));
      } catch (error) {
        // Not written: the lease stays ours in the table and peers take it when it expires.
        this.logger.warn({ err: error, leaseKey: entry.lease.leaseKey }, 'lease release failed; it will expire instead');
        this.reportError(error);
        this.renewer.drop(entry, 'stopped');
      }
      this.metrics.held.set(this.renewer.size);
      return false;
    });
  }

  /** Another process wrote `current` under this worker's id: say so loudly, count it, emit it. */
  private duplicateWorkerId(expected: Lease, current: Lease, operation: string): void {
    const duplicate: DuplicateWorkerId = { workerId: this.workerId, leaseKey: current.leaseKey, operation, expectedLeaseCounter: expected.leaseCounter, foundLeaseCounter: current.leaseCounter };
    this.metrics.duplicates.add(1, { operation });
    this.logger.error(
      { ...duplicate },
      `another process runs with the same worker id ${JSON.stringify(this.workerId)}: it wrote lease ${current.leaseKey} (counter ${expected.leaseCounter} → ${current.leaseCounter}), so both would process its shard; leaving the lease to it. Give every running process its own workerId`,
    );
    this.notify('duplicateWorkerId', duplicate);
  }

  // ---------------------------------------------------------------- plumbing

  private assertRunning(): void {
    if (this.state !== 'running') throw new ShutdownError(`lease coordinator is ${this.state === 'new' ? 'not started' : 'stopped'}`);
  }

  /** Taker runs, acquisitions and claims never overlap, so they never race each other. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.takerChain.then(fn, fn);
    this.takerChain = run.catch(() => undefined);
    return run;
  }

  private async inBatches<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
    for (let i = 0; i < items.length; i += BULK_CONCURRENCY) await Promise.all(items.slice(i, i + BULK_CONCURRENCY).map(fn));
  }

  private notify<K extends 'leaseAcquired' | 'leaseLost' | 'leaseReleased' | 'leasesScanned' | 'leaseHandoffRequested' | 'duplicateWorkerId'>(event: K, ...args: LeaseCoordinatorEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: LeaseCoordinatorEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.logger.error({ err: error, event }, 'a lease event listener threw');
    }
  }

  private reportError(error: unknown): void {
    if (this.listenerCount('error') === 0) return;
    try {
      this.emit('error', error);
    } catch (listenerError) {
      this.logger.error({ err: listenerError }, 'an error listener threw');
    }
  }
}
