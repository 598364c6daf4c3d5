import { runChaos } from './chaos/chaos';
import { type ChaosResult, formatChaosResult } from './chaos/chaosResult';

// The short form of `pnpm --filter @shardline/kcl-consumer chaos`: every fault once, 3 s apart, once per retrieval.
describe.each(['polling', 'fanout'] as const)('chaos (%s): three worker processes through split, merge, SIGKILL, a new worker and SIGTERM', (retrieval) => {
  let result: ChaosResult;

  beforeAll(async () => {
    // SHARDLINE_CHAOS_RECORD=<file.jsonl> keeps every line the workers reported, to look into a failure.
    const recordingFile = process.env.SHARDLINE_CHAOS_RECORD?.replace(/(\.jsonl)?$/, `-${retrieval}$1`);
    result = await runChaos({ durationMs: 18_000, recordsPerSecond: 150, drainTimeoutMs: 30_000, retrieval, ...(recordingFile ? { recordingFile } : {}) });
    console.log([...formatChaosResult(result), ...result.steps.filter((s) => s.step === 'fan-out front').map((s) => `chaos: fanOutFront ${s.detail}`)].join('\n'));
  }, 110_000);

  if (retrieval === 'fanout') {
    it('fan-out: every worker read through SubscribeToShard, renewing subscriptions as they expired', () => {
      const detail = result.steps.find((s) => s.step === 'fan-out front')?.detail;
      expect(detail).toBeDefined();
      const stats = JSON.parse(detail!) as { subscribes: number; recordsSent: number; open: number };
      // 4 shards, 3 more after split and merge, several 5 s subscriptions each over the run.
      expect(stats.subscribes).toBeGreaterThan(14);
      expect(stats.recordsSent).toBeGreaterThan(0);
      expect(stats.open).toBe(0);
    });
  }

  it('processes every record, in sequence order per shard, children after parents', () => {
    expect(result.produced).toBeGreaterThan(2_000);
    expect(result.producedAggregated).toBeGreaterThan(0);
    expect(result.produceFailures).toBe(0);
    expect(result.missing).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.misplaced).toEqual([]);
    expect(result.orderViolations).toEqual([]);
    expect(result.lineageViolations).toEqual([]);
  });

  it("duplicates only records of the SIGKILLed worker's uncheckpointed batches: a rebalance hands leases over without re-delivering", () => {
    // Each entry names the record, the workers and when, to look into a failure.
    expect(result.leaseLossDuplicates).toEqual([]);
    expect(result.unexplainedDuplicates).toEqual([]);
    expect(result.duplicatesFromLeaseLoss).toBe(0);
    expect(result.duplicates).toBe(result.duplicatesFromKilledWorker);
    // The SIGKILL lands mid-batch, before its checkpoint, so the killed worker always leaves records to re-deliver.
    expect(result.killedMidBatch).toBe(true);
    expect(result.duplicatesFromKilledWorker).toBeGreaterThan(0);
  });

  it('fails over within 1.5 × failoverTimeMs after SIGKILL, and hands over within one taker interval plus margin after SIGTERM', () => {
    expect(result.failoverMs).toBeDefined();
    expect(result.failoverMs!).toBeLessThanOrEqual(result.failoverBoundMs);
    expect(result.handoverMs).toBeDefined();
    expect(result.handoverMs!).toBeLessThanOrEqual(result.handoverBoundMs);
  });

  it('ends with every open lease owned by a live worker, balanced, and every worker exiting by itself on SIGTERM', () => {
    const counts = Object.values(result.finalLeaseCounts);
    expect(counts).toHaveLength(2);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    for (const ms of Object.values(result.exitAfterSigtermMs)) expect(ms).toBeDefined();
    expect(result.failures).toEqual([]);
  });
});
