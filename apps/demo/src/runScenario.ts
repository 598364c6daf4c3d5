/**
 * The demo's faults, one after another while the producer runs: split a shard, SIGKILL a worker
 * (timing the failover), start a new one, SIGTERM another (timing the graceful handover). Worker 1
 * serves the status page, so it is never the one killed or stopped.
 */
import type { Recorder } from './Recorder';
import { waitFor as poll } from './waitFor';
import type { Takeover } from './verifyRun';
import type { WorkerFleet, WorkerProcess } from './WorkerFleet';

/** What the scenario works with. */
export interface ScenarioContext {
  readonly fleet: WorkerFleet;
  readonly recorder: Recorder;
  /** Starts the next worker process. */
  readonly startWorker: () => WorkerProcess;
  readonly splitShard: () => Promise<{ parent: string; children: string[] }>;
  /** Waits; rejects when the run is interrupted. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Aborted when the run is interrupted. */
  readonly signal: AbortSignal | undefined;
  readonly event: (text: string) => void;
  /** Between two faults, in ms. */
  readonly pauseMs: number;
  readonly failoverTimeMs: number;
}

/** What the scenario measured and what went wrong, in words. */
export interface ScenarioResult {
  readonly failover: Takeover | undefined;
  readonly handover: Takeover | undefined;
  readonly problems: string[];
}

export async function runScenario(c: ScenarioContext): Promise<ScenarioResult> {
  const { recorder, fleet } = c;
  const problems: string[] = [];
  const stepTimeoutMs = Math.max(30_000, 10 * c.failoverTimeMs);
  const waitFor = <T>(probe: () => T | undefined | false, timeoutMs: number): Promise<T | undefined> => poll(probe, timeoutMs, c.sleep);
  const balanced = (): Promise<true | undefined> => waitFor(() => recorder.balanced(fleet.live().map((w) => w.workerId)) || undefined, stepTimeoutMs);
  const counts = (): string =>
    fleet
      .live()
      .map((w) => `${w.workerId} ${recorder.leasesOf(w.workerId).length}`)
      .join(', ');
  const mostLoaded = (candidates: WorkerProcess[]): WorkerProcess => candidates.sort((a, b) => recorder.leasesOf(b.workerId).length - recorder.leasesOf(a.workerId).length)[0]!;
  /** Waits until others reported acquiring every lease `w` held at `at`. */
  const takeover = async (w: WorkerProcess, leases: string[], at: number): Promise<Takeover> => ({
    workerId: w.workerId,
    at,
    leases,
    ms: await waitFor(() => recorder.acquiredAfter(leases, w.workerId, at), 6 * c.failoverTimeMs),
  });

  c.event((await balanced()) ? `leases balanced: ${counts()}` : `leases not balanced after ${stepTimeoutMs / 1000} s: ${counts()}`);

  await c.sleep(c.pauseMs);
  const split = await c.splitShard();
  c.event(`split ${split.parent} into ${split.children.join(' + ')}`);
  const splitDone = await waitFor(() => recorder.endedShards.has(split.parent) && split.children.every((s) => recorder.deliveriesByShard.has(s)), stepTimeoutMs);
  if (!splitDone) problems.push(`after the split, ${split.parent} did not end or its children were not consumed within ${stepTimeoutMs / 1000} s`);
  else c.event(`split followed: ${split.parent} read to its end, then its children consumed`);

  await c.sleep(c.pauseMs);
  await balanced();
  const victim = mostLoaded(fleet.live().filter((w) => w.workerId !== 'worker-1'));
  const held = recorder.leasesOf(victim.workerId);
  // Mid-batch: right after it reports a batch, while it works on it and before it checkpoints.
  const killedAt = await new Promise<number>((resolve) => {
    const kill = (): void => {
      off();
      clearTimeout(fallback);
      c.signal?.removeEventListener('abort', kill);
      resolve(victim.signal('SIGKILL'));
    };
    const off = recorder.onLine((l) => l.type === 'batch' && l.worker === victim.workerId && l.records.length > 0 && kill());
    const fallback = setTimeout(kill, 10_000);
    c.signal?.addEventListener('abort', kill, { once: true });
  });
  c.signal?.throwIfAborted();
  c.event(`SIGKILL ${victim.workerId} (mid-batch) holding ${held.join(', ') || 'no lease'}`);
  const failover = await takeover(victim, held, killedAt);
  c.event(
    failover.ms === undefined
      ? `failover: ${victim.workerId}'s leases were not taken over`
      : `failover: ${held.length} lease(s) taken over ${failover.ms} ms after SIGKILL (failoverTimeMs ${c.failoverTimeMs})`,
  );

  await c.sleep(c.pauseMs);
  const joiner = c.startWorker();
  c.event(`${joiner.workerId} starting`);
  if (!(await waitFor(() => recorder.isReady(joiner.workerId) || !joiner.alive, 60_000)) || !recorder.isReady(joiner.workerId))
    throw new Error(`${joiner.workerId} did not start: ${joiner.stderrTail.slice(-5).join(' | ')}`);
  c.event((await balanced()) ? `${joiner.workerId} joined; leases balanced: ${counts()}` : `${joiner.workerId} joined; leases not balanced: ${counts()}`);

  await c.sleep(c.pauseMs);
  const leaving = mostLoaded(fleet.live().filter((w) => w.workerId !== 'worker-1' && w !== joiner));
  const handed = recorder.leasesOf(leaving.workerId);
  const termAt = leaving.signal('SIGTERM');
  c.event(`SIGTERM ${leaving.workerId} (graceful stop) holding ${handed.join(', ') || 'no lease'}`);
  const handover = await takeover(leaving, handed, termAt);
  c.event(handover.ms === undefined ? `handover: ${leaving.workerId}'s leases were not taken over` : `handover: ${handed.length} lease(s) taken over ${handover.ms} ms after SIGTERM`);
  if (!(await leaving.waitForExit(20_000))) problems.push(`${leaving.workerId} did not exit within 20 s of SIGTERM`);
  else if (leaving.exit!.code !== 0) problems.push(`${leaving.workerId} exited with ${leaving.exit!.code ?? leaving.exit!.signal} after SIGTERM`);
  else c.event(`${leaving.workerId} exited cleanly ${leaving.exit!.at - termAt} ms after SIGTERM`);
  if (!held.length) problems.push(`the SIGKILLed ${victim.workerId} held no lease: failover not exercised`);
  if (!handed.length) problems.push(`the SIGTERMed ${leaving.workerId} held no lease: handover not exercised`);
  return { failover, handover, problems };
}
