/** What the live progress shows, and its two renderings: a panel (TTY) and a progress line. */
import type { LoadGenerator } from './LoadGenerator';
import type { Recorder } from './Recorder';
import type { WorkerFleet, WorkerProcess } from './WorkerFleet';

/** One moment of the run. */
export interface DemoView {
  readonly elapsedMs: number;
  /** What the run is aiming for, e.g. `30 s` or `20000 records`. */
  readonly target: string;
  readonly statusUrl: string | undefined;
  readonly produced: number;
  readonly acknowledged: number;
  readonly failedPuts: number;
  readonly consumed: number;
  readonly deliveries: number;
  readonly shards: readonly { readonly shardId: string; readonly owner: string | undefined; readonly lagMs: number | undefined; readonly deliveries: number; readonly ended: boolean }[];
  readonly workers: readonly { readonly workerId: string; readonly state: string; readonly leases: number }[];
}

function stateOf(w: WorkerProcess, recorder: Recorder): string {
  if (w.fate === 'killed') return 'killed';
  if (w.fate === 'terminated') return w.alive ? 'stopping' : 'stopped';
  if (!w.alive) return `exited (${w.exit?.code ?? w.exit?.signal})`;
  return recorder.isReady(w.workerId) ? 'running' : 'starting';
}

/** The view of the run now. */
export function demoView(run: { recorder: Recorder; fleet: WorkerFleet | undefined; loads: readonly LoadGenerator[]; startedAt: number; target: string; statusUrl: string | undefined }): DemoView {
  const { recorder, fleet, loads } = run;
  const sum = (of: (l: LoadGenerator) => number): number => loads.reduce((total, l) => total + of(l), 0);
  const shardIds = [...new Set([...recorder.owners.keys(), ...recorder.deliveriesByShard.keys()])].sort();
  // A lease stays with a killed worker until it expires and a peer takes it: show that it is gone.
  const gone = new Set((fleet?.workers ?? []).filter((w) => !w.alive || w.fate === 'killed').map((w) => w.workerId));
  const ownerOf = (shardId: string): string | undefined => {
    const owner = recorder.owners.get(shardId);
    return owner && gone.has(owner) ? `${owner} (gone)` : owner;
  };
  return {
    elapsedMs: Date.now() - run.startedAt,
    target: run.target,
    statusUrl: run.statusUrl,
    produced: sum((l) => l.produced),
    acknowledged: sum((l) => l.results.size),
    failedPuts: sum((l) => l.failures.size),
    consumed: recorder.consumedCount,
    deliveries: recorder.deliveries,
    shards: shardIds.map((shardId) => ({
      shardId,
      owner: ownerOf(shardId),
      lagMs: recorder.lagMs.get(shardId),
      deliveries: recorder.deliveriesByShard.get(shardId) ?? 0,
      ended: recorder.endedShards.has(shardId),
    })),
    workers: (fleet?.workers ?? []).map((w) => ({ workerId: w.workerId, state: stateOf(w, recorder), leases: w.alive && w.fate === 'running' ? recorder.leasesOf(w.workerId).length : 0 })),
  };
}

const n = (value: number): string => value.toLocaleString('en-US');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The panel redrawn in place on a terminal, each line cut to `columns`. */
export function panelLines(v: DemoView, columns: number): string[] {
  const lines = [
    `shardline demo  ${seconds(v.elapsedMs)} (target ${v.target})  status page: ${v.statusUrl ?? 'n/a'}`,
    `produced ${n(v.produced)} (acknowledged ${n(v.acknowledged)}, failed ${n(v.failedPuts)})   consumed ${n(v.consumed)} distinct, ${n(v.deliveries)} deliveries`,
    `  ${'shard'.padEnd(22)}${'owner'.padEnd(16)}${'lag ms'.padStart(8)}${'consumed'.padStart(11)}`,
    ...v.shards.map(
      (s) => `  ${s.shardId.padEnd(22)}${(s.ended ? '(ended)' : (s.owner ?? '-')).padEnd(16)}${(s.ended || s.lagMs === undefined ? '-' : n(s.lagMs)).padStart(8)}${n(s.deliveries).padStart(11)}`,
    ),
    `workers: ${v.workers.map((w) => `${w.workerId} ${w.state}${w.state === 'running' ? ` (${w.leases})` : ''}`).join(', ')}`,
  ];
  return lines.map((l) => (l.length > columns ? l.slice(0, Math.max(columns - 1, 1)) : l));
}

/** One plain line of progress (no terminal control), for logs and pipes. */
export function progressLine(v: DemoView): string {
  const shards = v.shards.filter((s) => !s.ended).map((s) => `${s.shardId} ${s.owner ?? 'unowned'} lag ${s.lagMs === undefined ? '-' : `${s.lagMs} ms`}`);
  return `progress: produced ${v.acknowledged}/${v.produced}, consumed ${v.consumed} (${v.deliveries} deliveries); ${shards.join('; ')}`;
}
