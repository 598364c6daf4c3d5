/**
 * What the chaos worker processes report (`workerProcess.ts` writes one JSON line per event) and
 * the recording of every such line, in arrival order, that the run waits on and the verification
 * reads.
 */

/** One user record as a processor saw it: id, sequence number, sub-sequence number. */
export type ReportedRecord = readonly [id: string, sequenceNumber: string, subSequenceNumber: number];

/** One line of a worker process's stdout (`workerProcess.ts`); `t` is the child's `Date.now()`. */
export type ChaosLine = { readonly worker: string; readonly t: number } & (
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'failed'; readonly error: string; readonly message: string }
  | { readonly type: 'stopping'; readonly reason: string }
  | { readonly type: 'stopped' }
  | { readonly type: 'lease'; readonly event: 'acquired' | 'lost' | 'released'; readonly leaseKey: string; readonly reason?: string }
  | { readonly type: 'initialize'; readonly pi: number; readonly shardId: string; readonly checkpoint: string }
  | { readonly type: 'batch'; readonly pi: number; readonly shardId: string; readonly records: readonly ReportedRecord[] }
  | { readonly type: 'checkpointed'; readonly pi: number; readonly shardId: string; readonly during: string; readonly position: string | undefined }
  | { readonly type: 'checkpointFailed'; readonly pi: number; readonly shardId: string; readonly during: string; readonly error: string }
  | { readonly type: 'shardEnded'; readonly pi: number; readonly shardId: string }
  | { readonly type: 'shutdownRequested'; readonly pi: number; readonly shardId: string }
  | { readonly type: 'leaseLost'; readonly pi: number; readonly shardId: string }
);

/** A line with when this process saw it (`Date.now()`) and its arrival order. */
export type SeenLine = ChaosLine & { readonly seenAt: number; readonly index: number };

/** The recorded lines of one type. */
export type LineOf<T extends ChaosLine['type']> = Extract<SeenLine, { type: T }>;

/** Orders lines by the reporting process's clock (all on this machine), then by arrival. */
export function byTime(a: SeenLine, b: SeenLine): number {
  return a.t - b.t || a.index - b.index;
}

/** Every line from every worker process, in arrival order. */
export class Recorder {
  readonly lines: SeenLine[] = [];
  readonly unparsed: string[] = [];
  private readonly processedIds = new Set<string>();
  private readonly endedShards = new Set<string>();
  private readonly shardsWithBatches = new Set<string>();
  private readonly listeners = new Set<(line: SeenLine) => void>();

  /** Calls `listener` with every line from now on, synchronously; returns the unsubscribe. */
  onLine(listener: (line: SeenLine) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(text: string): void {
    let line: ChaosLine;
    try {
      line = JSON.parse(text) as ChaosLine;
    } catch {
      this.unparsed.push(text);
      return;
    }
    const seen = { ...line, seenAt: Date.now(), index: this.lines.length } as SeenLine;
    this.lines.push(seen);
    if (seen.type === 'batch') {
      if (seen.records.length) this.shardsWithBatches.add(seen.shardId);
      for (const r of seen.records) this.processedIds.add(r[0]);
    }
    if (seen.type === 'shardEnded') this.endedShards.add(seen.shardId);
    for (const listener of this.listeners) listener(seen);
  }

  of<T extends ChaosLine['type']>(type: T): LineOf<T>[] {
    return this.lines.filter((l): l is LineOf<T> => l.type === type);
  }

  hasProcessed(id: string): boolean {
    return this.processedIds.has(id);
  }

  get processedCount(): number {
    return this.processedIds.size;
  }

  shardEnded(shardId: string): boolean {
    return this.endedShards.has(shardId);
  }

  hasBatch(shardId: string): boolean {
    return this.shardsWithBatches.has(shardId);
  }

  /** True once `workerId` reported that its worker started. */
  isReady(workerId: string): boolean {
    return this.lines.some((l) => l.type === 'ready' && l.worker === workerId);
  }

  /** When workers other than `from` reported acquiring every one of `keys` at or after `at`; ms since `at`. */
  acquiredAfter(keys: readonly string[], from: string, at: number): number | undefined {
    const times = keys.map((k) => this.of('lease').find((l) => l.event === 'acquired' && l.leaseKey === k && l.worker !== from && l.t >= at)?.t);
    return times.every((t) => t !== undefined) ? Math.max(at, ...times) - at : undefined;
  }
}

/**
 * Lease moves by graceful handoff (pure): a lease released by a worker that was not stopping,
 * whose next lease event is its acquisition by another worker. A release at shard end is followed
 * by no acquisition; a failover has no release; a stop's releases follow its `stopping` line.
 */
export function countHandoffs(lines: readonly SeenLine[]): number {
  const leaseEvents = lines.filter((l): l is LineOf<'lease'> => l.type === 'lease').sort(byTime);
  const stoppingFrom = new Map<string, number>();
  for (const l of lines) if (l.type === 'stopping' && !stoppingFrom.has(l.worker)) stoppingFrom.set(l.worker, l.index);
  let handoffs = 0;
  leaseEvents.forEach((release, i) => {
    if (release.event !== 'released' || release.index > (stoppingFrom.get(release.worker) ?? Infinity)) return;
    const next = leaseEvents.slice(i + 1).find((l) => l.leaseKey === release.leaseKey);
    if (next?.event === 'acquired' && next.worker !== release.worker) handoffs++;
  });
  return handoffs;
}
