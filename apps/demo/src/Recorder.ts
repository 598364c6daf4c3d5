/**
 * Everything the worker processes reported, in arrival order, and what the demo reads from it
 * while running: who owns each lease, each shard's lag, which records were consumed.
 */
import type { LineOf, WorkerLine } from './workerLine';

/** A line with its arrival order. */
export type SeenLine = WorkerLine & { readonly index: number };

/** Orders lines by the reporting process's clock (all on this machine), then by arrival. */
export function byTime(a: SeenLine, b: SeenLine): number {
  return a.t - b.t || a.index - b.index;
}

/** Every line from every worker process, and the state they add up to. */
export class Recorder {
  /** The lines the verification reads (periodic status lines are not kept). */
  readonly lines: SeenLine[] = [];
  readonly unparsed: string[] = [];
  /** Current owner of each lease key (a shard id), `undefined` once released or lost. */
  readonly owners = new Map<string, string | undefined>();
  /** Lag per shard, as its owner last reported it. */
  readonly lagMs = new Map<string, number | undefined>();
  /** Deliveries per shard. */
  readonly deliveriesByShard = new Map<string, number>();
  readonly endedShards = new Set<string>();
  readonly statusUrls = new Map<string, string>();
  private readonly ready = new Set<string>();
  private readonly consumed = new Set<string>();
  private deliveryCount = 0;
  private readonly listeners = new Set<(line: SeenLine) => void>();

  /** Calls `listener` with every line from now on; returns the unsubscribe. */
  onLine(listener: (line: SeenLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(text: string): void {
    let parsed: WorkerLine;
    try {
      parsed = JSON.parse(text) as WorkerLine;
    } catch {
      this.unparsed.push(text);
      return;
    }
    const line = { ...parsed, index: this.lines.length } as SeenLine;
    switch (line.type) {
      case 'shards':
        for (const s of line.shards) if (this.owners.get(s.shardId) === line.worker) this.lagMs.set(s.shardId, s.lagMs);
        break;
      case 'ready':
        this.ready.add(line.worker);
        if (line.statusUrl) this.statusUrls.set(line.worker, line.statusUrl);
        break;
      case 'lease':
        if (line.event === 'acquired') this.owners.set(line.leaseKey, line.worker);
        else if (this.owners.get(line.leaseKey) === line.worker) this.owners.set(line.leaseKey, undefined);
        break;
      case 'batch':
        this.deliveryCount += line.records.length;
        this.deliveriesByShard.set(line.shardId, (this.deliveriesByShard.get(line.shardId) ?? 0) + line.records.length);
        for (const r of line.records) this.consumed.add(r[0]);
        break;
      case 'shardEnded':
        this.endedShards.add(line.shardId);
        break;
    }
    if (line.type !== 'shards') this.lines.push(line);
    for (const listener of this.listeners) listener(line);
  }

  of<T extends WorkerLine['type']>(type: T): (LineOf<T> & { readonly index: number })[] {
    return this.lines.filter((l): l is LineOf<T> & { readonly index: number } => l.type === type);
  }

  isReady(workerId: string): boolean {
    return this.ready.has(workerId);
  }

  hasConsumed(id: string): boolean {
    return this.consumed.has(id);
  }

  get consumedCount(): number {
    return this.consumed.size;
  }

  get deliveries(): number {
    return this.deliveryCount;
  }

  /** Open leases `workerId` owns now. */
  leasesOf(workerId: string): string[] {
    return [...this.owners].filter(([key, owner]) => owner === workerId && !this.endedShards.has(key)).map(([key]) => key);
  }

  /** True when every open lease is owned by one of `live` and their counts differ by at most one. */
  balanced(live: readonly string[]): boolean {
    const open = [...this.owners].filter(([key]) => !this.endedShards.has(key));
    if (!open.length || open.some(([, owner]) => owner === undefined || !live.includes(owner))) return false;
    const counts = live.map((w) => this.leasesOf(w).length);
    return Math.max(...counts) - Math.min(...counts) <= 1;
  }

  /** Ms from `at` until workers other than `from` reported acquiring every one of `keys`, if they all did. */
  acquiredAfter(keys: readonly string[], from: string, at: number): number | undefined {
    const acquired = this.of('lease').filter((l) => l.event === 'acquired' && l.worker !== from && l.t >= at);
    const times = keys.map((k) => acquired.find((l) => l.leaseKey === k)?.t);
    return times.every((t) => t !== undefined) ? Math.max(at, ...times) - at : undefined;
  }
}
