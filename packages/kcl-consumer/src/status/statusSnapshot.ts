import type { Clock } from '@shardline/core';
import { isFinishedLease, type Lease, type LeaseCoordinatorEvents } from '@shardline/dynamo-lease';
import type { EventEmitter } from 'node:events';
import { parentLeaseKey } from '../LineageView';
import type { ResolvedWorkerOptions } from '../resolveWorkerOptions';
import { shardIdOf, type TrackedStream } from '../streams';
import type { ShardStatus, WorkerLifecycle } from '../Worker';
import type { StatusEvent } from './WorkerEventLog';

/** A shard this worker processes, as `/status.json` shows it. @public */
export interface StatusShard {
  readonly leaseKey: string;
  readonly shardId: string;
  readonly streamName: string;
  readonly state: ShardStatus['state'];
  readonly recordsProcessed: number;
  readonly millisBehindLatest: number | null;
  /** Wall-clock time of the last batch, epoch milliseconds. */
  readonly lastBatchAt: number | null;
  readonly checkpoint: string | null;
}

/** One lease of the table, as `/status.json` shows it (no checkpoint state bytes). @public */
export interface StatusLease {
  readonly leaseKey: string;
  readonly shardId: string;
  /** The stream, when the lease belongs to one this worker consumes (or names it). */
  readonly streamName: string | null;
  readonly owner: string | null;
  readonly counter: number;
  readonly checkpoint: string | null;
  readonly pendingCheckpoint: string | null;
  readonly ownerSwitchesSinceCheckpoint: number;
  /** Graceful handoff in progress: the outgoing owner. */
  readonly checkpointOwner: string | null;
  readonly parentShardIds: readonly string[];
  readonly childShardIds: readonly string[];
  /** Checkpointed `SHARD_END`: nobody needs to hold it. */
  readonly finished: boolean;
  /** Held by this worker (in the table; see `shards` for what it processes). */
  readonly heldHere: boolean;
  /** Decimal strings. */
  readonly hashKeyRange: { readonly startingHashKey: string; readonly endingHashKey: string } | null;
}

/** A lease in the shard lineage; `generation` 0 has no parent with a lease. @public */
export interface StatusLineageNode {
  readonly leaseKey: string;
  readonly generation: number;
}

/** The shard lineage after splits and merges: parent → child edges between leases. @public */
export interface StatusLineage {
  readonly nodes: readonly StatusLineageNode[];
  readonly edges: readonly { readonly parent: string; readonly child: string }[];
}

/** A worker id seen as a lease owner, with its lease count. @public */
export interface StatusOwner {
  readonly workerId: string;
  readonly leases: number;
  /** This worker. */
  readonly self: boolean;
}

/**
 * The body of `GET /status.json`. It holds ids, counters, positions and timings only: no
 * credentials, client options, environment, record data or checkpoint state bytes.
 * @public
 */
export interface StatusSnapshot {
  readonly version: 1;
  /** Wall-clock time, epoch milliseconds. */
  readonly generatedAt: number;
  readonly worker: {
    readonly workerId: string;
    readonly applicationName: string;
    readonly tableName: string;
    readonly lifecycle: WorkerLifecycle;
    readonly multiStream: boolean;
    readonly failoverTimeMs: number;
    readonly streams: readonly { readonly streamName: string; readonly identifier: string | null }[];
  };
  /** The shards this worker processes now. */
  readonly shards: readonly StatusShard[];
  /** Every lease of the table, sorted by stream then hash key, as of `leasesReadAt`. */
  readonly leases: readonly StatusLease[];
  /** When the leases were read (wall clock, epoch ms); `null` before the first successful read. */
  readonly leasesReadAt: number | null;
  /** The error name of the last failed read, while reads fail; the previous leases are kept. */
  readonly leasesError: string | null;
  /** Lease owners in the table, this worker first. */
  readonly owners: readonly StatusOwner[];
  readonly lineage: StatusLineage;
  /** Recent events of this worker, oldest first. */
  readonly events: readonly StatusEvent[];
}

/** What a snapshot is built from: a {@link Worker}'s public status. @public */
export interface StatusSource {
  readonly workerId: string;
  readonly options: Pick<ResolvedWorkerOptions, 'applicationName' | 'tableName' | 'multiStream' | 'failoverTimeMs' | 'streams'>;
  readonly lifecycle: WorkerLifecycle;
  readonly shards: readonly ShardStatus[];
  readonly trackedStreams: readonly TrackedStream[];
}

/** The inputs of {@link buildStatusSnapshot}. @public */
export interface StatusSnapshotInput {
  readonly source: StatusSource;
  readonly leases: readonly Lease[];
  readonly leasesReadAt: number | null;
  readonly leasesError: string | null;
  readonly events: readonly StatusEvent[];
  /** Wall clock, epoch ms. */
  readonly now: number;
}

function streamsOf(source: StatusSource): { streamName: string; identifier: string | null }[] {
  const tracked = source.trackedStreams;
  // Before start() the identifiers are not known yet; the configured names are.
  if (tracked.length > 0) return tracked.map((s) => ({ streamName: s.streamName, identifier: s.identifier ?? null }));
  return source.options.streams.map((s) => ({ streamName: s.streamName, identifier: null }));
}

function streamNameOf(lease: Lease, source: StatusSource, streams: readonly { streamName: string; identifier: string | null }[]): string | null {
  if (!source.options.multiStream) return lease.leaseKey.includes(':') ? null : (streams[0]?.streamName ?? null);
  const known = streams.find((s) => s.identifier !== null && lease.leaseKey.startsWith(`${s.identifier}:`));
  if (known) return known.streamName;
  // `account:stream:creationEpoch`, as the KCL writes it.
  const parts = (lease.streamIdentifier ?? lease.leaseKey).split(':');
  return parts.length >= 3 ? (parts[1] ?? null) : null;
}

function compareLeases(a: StatusLease, b: StatusLease): number {
  const byStream = (a.streamName ?? '').localeCompare(b.streamName ?? '');
  if (byStream !== 0) return byStream;
  if (a.hashKeyRange && b.hashKeyRange) {
    const sa = BigInt(a.hashKeyRange.startingHashKey);
    const sb = BigInt(b.hashKeyRange.startingHashKey);
    if (sa !== sb) return sa < sb ? -1 : 1;
  }
  return a.leaseKey.localeCompare(b.leaseKey);
}

/** Parent → child edges between leases of the table, and each lease's generation (longest parent chain). */
export function buildLineage(leases: readonly Lease[]): StatusLineage {
  const keys = new Set(leases.map((l) => l.leaseKey));
  const parents = new Map<string, Set<string>>(leases.map((l) => [l.leaseKey, new Set<string>()]));
  for (const lease of leases) {
    // The child names its parents at creation; the parent names its children at its end. Either is enough.
    for (const p of lease.parentShardIds) {
      const parent = parentLeaseKey(lease.leaseKey, p);
      if (keys.has(parent) && parent !== lease.leaseKey) parents.get(lease.leaseKey)!.add(parent);
    }
    for (const c of lease.childShardIds) {
      const child = parentLeaseKey(lease.leaseKey, c);
      if (keys.has(child) && child !== lease.leaseKey) parents.get(child)!.add(lease.leaseKey);
    }
  }
  const generation = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (key: string): number => {
    const known = generation.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 0; // a malformed table with a cycle must not hang the page
    visiting.add(key);
    let d = 0;
    for (const p of parents.get(key) ?? []) d = Math.max(d, depth(p) + 1);
    visiting.delete(key);
    generation.set(key, d);
    return d;
  };
  const nodes = leases.map((l) => ({ leaseKey: l.leaseKey, generation: depth(l.leaseKey) }));
  const edges = [...parents].flatMap(([child, ps]) => [...ps].sort().map((parent) => ({ parent, child })));
  return { nodes, edges };
}

/** Builds the `/status.json` body from a worker's status and one read of its lease table. Pure. @public */
export function buildStatusSnapshot(input: StatusSnapshotInput): StatusSnapshot {
  const { source } = input;
  const self = source.workerId;
  const streams = streamsOf(source);
  const leases = input.leases
    .map((l): StatusLease => ({
      leaseKey: l.leaseKey,
      shardId: l.shardId ?? shardIdOf(l.leaseKey),
      streamName: streamNameOf(l, source, streams),
      owner: l.leaseOwner ?? null,
      counter: l.leaseCounter,
      checkpoint: l.checkpoint?.toString() ?? null,
      pendingCheckpoint: l.pendingCheckpoint?.toString() ?? null,
      ownerSwitchesSinceCheckpoint: l.ownerSwitchesSinceCheckpoint,
      checkpointOwner: l.checkpointOwner ?? null,
      parentShardIds: [...l.parentShardIds],
      childShardIds: [...l.childShardIds],
      finished: isFinishedLease(l),
      heldHere: l.leaseOwner === self,
      hashKeyRange: l.hashKeyRange ? { startingHashKey: l.hashKeyRange.startingHashKey.toString(), endingHashKey: l.hashKeyRange.endingHashKey.toString() } : null,
    }))
    .sort(compareLeases);
  const counts = new Map<string, number>([[self, 0]]);
  for (const l of leases) if (l.owner !== null) counts.set(l.owner, (counts.get(l.owner) ?? 0) + 1);
  const owners = [...counts].map(([workerId, n]) => ({ workerId, leases: n, self: workerId === self })).sort((a, b) => Number(b.self) - Number(a.self) || a.workerId.localeCompare(b.workerId));
  const order = new Map(leases.map((l, i) => [l.leaseKey, i]));
  const lineage = buildLineage(input.leases);
  return {
    version: 1,
    generatedAt: input.now,
    worker: {
      workerId: self,
      applicationName: source.options.applicationName,
      tableName: source.options.tableName,
      lifecycle: source.lifecycle,
      multiStream: source.options.multiStream,
      failoverTimeMs: source.options.failoverTimeMs,
      streams,
    },
    shards: source.shards
      .map((s) => ({
        leaseKey: s.leaseKey,
        shardId: s.shardId,
        streamName: s.streamName,
        state: s.state,
        recordsProcessed: s.recordsProcessed,
        millisBehindLatest: s.millisBehindLatest ?? null,
        lastBatchAt: s.lastBatchAt ?? null,
        checkpoint: s.checkpoint ?? null,
      }))
      .sort((a, b) => (order.get(a.leaseKey) ?? Infinity) - (order.get(b.leaseKey) ?? Infinity) || a.leaseKey.localeCompare(b.leaseKey)),
    leases,
    leasesReadAt: input.leasesReadAt,
    leasesError: input.leasesError,
    owners,
    lineage: { nodes: [...lineage.nodes].sort((a, b) => (order.get(a.leaseKey) ?? 0) - (order.get(b.leaseKey) ?? 0)), edges: lineage.edges },
    events: [...input.events],
  };
}

/** Options of {@link StatusSnapshotter}. @public */
export interface StatusSnapshotterOptions {
  /** How long one read of the lease table serves snapshots, in ms. Default 1,000. */
  readonly leaseCacheMs?: number;
  /** Default: the system clock. */
  readonly clock?: Pick<Clock, 'now' | 'monotonicNow'>;
  /** Reads every lease, e.g. one `listLeases()` scan of the table. */
  readonly listLeases: () => Promise<readonly Lease[]>;
  /** The recent events to include. Default none. */
  readonly events?: () => readonly StatusEvent[];
}

/**
 * Builds snapshots of a worker, reading the lease table at most once per `leaseCacheMs` however
 * many pages poll: concurrent requests share one scan, and the lease coordinator's own scans
 * (`leasesScanned`, each taker run) refresh the cache for free.
 * @public
 */
export class StatusSnapshotter {
  private readonly leaseCacheMs: number;
  private readonly clock: Pick<Clock, 'now' | 'monotonicNow'>;
  private readonly listLeases: () => Promise<readonly Lease[]>;
  private readonly events: () => readonly StatusEvent[];
  private leases: readonly Lease[] = [];
  private readAt: number | null = null;
  private readMonotonic = -Infinity;
  private error: string | null = null;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly source: StatusSource,
    options: StatusSnapshotterOptions,
  ) {
    this.leaseCacheMs = options.leaseCacheMs ?? 1_000;
    this.clock = options.clock ?? { now: () => Date.now(), monotonicNow: () => performance.now() };
    this.listLeases = options.listLeases;
    this.events = options.events ?? (() => []);
  }

  /** Uses a full scan read elsewhere (the coordinator's) as the latest state of the table. */
  observe(leases: readonly Lease[]): void {
    this.leases = leases;
    this.readAt = this.clock.now();
    this.readMonotonic = this.clock.monotonicNow();
    this.error = null;
  }

  /** Feeds {@link observe} from a coordinator's `leasesScanned` events; returns a function that stops. */
  attach(coordinator: Pick<EventEmitter<LeaseCoordinatorEvents>, 'on' | 'off'>): () => void {
    const listener = (leases: readonly Lease[]): void => this.observe(leases);
    coordinator.on('leasesScanned', listener);
    return () => void coordinator.off('leasesScanned', listener);
  }

  /** The current snapshot; reads the table when the cached read is older than `leaseCacheMs`. Never rejects on a failed read. */
  async snapshot(): Promise<StatusSnapshot> {
    if (this.clock.monotonicNow() - this.readMonotonic >= this.leaseCacheMs) await (this.inFlight ??= this.refresh());
    return buildStatusSnapshot({ source: this.source, leases: this.leases, leasesReadAt: this.readAt, leasesError: this.error, events: this.events(), now: this.clock.now() });
  }

  private async refresh(): Promise<void> {
    try {
      this.observe(await this.listLeases());
    } catch (error) {
      // Only the error's name: messages can carry endpoints, and the page is no place to debug them.
      this.error = error instanceof Error ? error.name : 'Error';
      // A failing table is not read again at every poll either.
      this.readMonotonic = this.clock.monotonicNow();
    } finally {
      this.inFlight = undefined;
    }
  }
}
