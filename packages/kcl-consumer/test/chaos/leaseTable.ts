/**
 * The chaos run's view of the lease table, read directly (not through the workers): who owns the
 * open leases, whether they are balanced over the live workers, and how long a takeover took.
 */
import type { Shard } from '@aws-sdk/client-kinesis';
import { isFinishedLease, type Lease, type LeaseTable } from '@shardline/dynamo-lease';

/** The shards not closed by a split or merge. */
export function openShards(shards: readonly Shard[]): Shard[] {
  return shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
}

/** Open (not `SHARD_END`) leases by key, with their owners. */
export async function openLeases(table: LeaseTable): Promise<Lease[]> {
  return (await table.listLeases()).filter((l) => !isFinishedLease(l));
}

/** Open leases per worker of `workers` (those owned by anyone else are not counted). */
export function countsOf(leases: readonly Lease[], workers: readonly string[]): Map<string, number> {
  const counts = new Map(workers.map((w) => [w, 0]));
  for (const l of leases) if (l.leaseOwner !== undefined && counts.has(l.leaseOwner)) counts.set(l.leaseOwner, counts.get(l.leaseOwner)! + 1);
  return counts;
}

/** Why the open leases are not balanced over `live` workers, or an empty list when they are. */
export function balanceProblems(leases: readonly Lease[], live: readonly string[]): string[] {
  const problems: string[] = [];
  for (const l of leases) if (l.leaseOwner === undefined || !live.includes(l.leaseOwner)) problems.push(`${l.leaseKey} is owned by ${l.leaseOwner ?? 'nobody'}, not a live worker`);
  const counts = [...countsOf(leases, live).values()];
  if (counts.length && Math.max(...counts) - Math.min(...counts) > 1) problems.push(`open-lease counts differ by more than one: ${JSON.stringify(Object.fromEntries(countsOf(leases, live)))}`);
  return problems;
}

/** Polls one lease table; `sleep` is the run's (it rejects when the run is aborted). */
export class LeaseWatch {
  constructor(
    private readonly table: LeaseTable,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  /** True when there are open leases and each is owned by one of `live`, counts within one of each other. */
  async balanced(live: readonly string[]): Promise<boolean> {
    const leases = await openLeases(this.table);
    return leases.length > 0 && balanceProblems(leases, live).length === 0;
  }

  /** Open leases per worker of `live`, as an object (for printing). */
  async counts(live: readonly string[]): Promise<Record<string, number>> {
    return Object.fromEntries(countsOf(await openLeases(this.table), live));
  }

  /** The one of `candidates` owning the most open leases (the first on a tie), and their keys. */
  async mostLoaded<W extends { readonly workerId: string }>(candidates: readonly W[]): Promise<{ worker: W; leases: string[] }> {
    const leases = await openLeases(this.table);
    const ranked = candidates.map((w) => ({ worker: w, leases: leases.filter((l) => l.leaseOwner === w.workerId).map((l) => l.leaseKey) })).sort((a, b) => b.leases.length - a.leases.length);
    return ranked[0]!;
  }

  /** Polls every 100 ms until none of `keys` is owned by `from` or nobody, up to `deadline` (`Date.now()`); ms since `at`. */
  async takeover(keys: readonly string[], from: string, at: number, deadline: number): Promise<number | undefined> {
    while (Date.now() < deadline) {
      const byKey = new Map((await this.table.listLeases()).map((l) => [l.leaseKey, l]));
      if (keys.every((k) => byKey.get(k)?.leaseOwner !== undefined && byKey.get(k)?.leaseOwner !== from)) return Date.now() - at;
      await this.sleep(100);
    }
    return undefined;
  }

  /**
   * The final ownership: what is wrong with it, in words (leases not owned by a live worker,
   * unbalanced counts, open shards without an open lease), the open leases per live worker, and
   * the shards `listShards` found just after the leases were read.
   */
  async final(live: readonly string[], listShards: () => Promise<Shard[]>): Promise<{ problems: string[]; counts: Record<string, number>; shards: Shard[] }> {
    const leases = await openLeases(this.table);
    const shards = await listShards();
    const problems = balanceProblems(leases, live).map((p) => `at the end, ${p}`);
    const leaseKeys = new Set(leases.map((l) => l.leaseKey));
    for (const s of openShards(shards)) if (!leaseKeys.has(s.ShardId!)) problems.push(`at the end, open shard ${s.ShardId} has no open lease`);
    return { problems, counts: Object.fromEntries(countsOf(leases, live)), shards };
  }
}
