import type { DemoSummary } from '../src/formatSummary';
import { parseDemoArgs } from '../src/parseDemoArgs';
import { runDemo } from '../src/runDemo';

// The short mode of `npm run demo`, in this process (worker processes run from sources under tsx).
describe('the demo, short mode', () => {
  const lines: string[] = [];
  let summary: DemoSummary;

  beforeAll(async () => {
    const saved = { ...process.env };
    for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_KINESIS', 'AWS_ENDPOINT_URL_DYNAMODB']) delete process.env[k];
    try {
      summary = await runDemo(parseDemoArgs(['--duration', '8', '--rate', '300']), (l) => lines.push(l));
    } finally {
      process.env = saved;
    }
  }, 100_000);

  it('consumes every record produced, in order per shard, children after parents, through a split, a SIGKILL, a new worker and a graceful stop', () => {
    expect(summary.failures).toEqual([]);
    expect(summary.passed).toBe(true);
    expect(summary.produced).toBeGreaterThan(2_000);
    expect(summary.consumed).toBe(summary.produced);
    expect(summary.missing).toEqual([]);
    expect(summary.orderViolations).toEqual([]);
    expect(summary.lineage).toHaveLength(2);
    expect(summary.lineageViolations).toEqual([]);
  });

  it('measures the failover after the SIGKILL and the graceful handover, and explains every duplicate', () => {
    expect(summary.failoverMs).toBeDefined();
    expect(summary.failoverMs!).toBeLessThanOrEqual(1.5 * summary.failoverTimeMs);
    expect(summary.handoverMs).toBeDefined();
    expect(summary.handoverMs!).toBeLessThanOrEqual(summary.failoverTimeMs);
    expect(summary.killedMidBatch).toBe(true);
    expect(summary.duplicates.fromKilledWorker).toBeGreaterThan(0);
    expect(summary.duplicates.unexplained).toEqual([]);
  });

  it('prints the status page at the start, the faults as they happen, and the verification summary', () => {
    const at = (re: RegExp): number => lines.findIndex((l) => re.test(l));
    expect(at(/status page: http:\/\/127\.0\.0\.1:\d+\//)).toBeGreaterThan(-1);
    expect(at(/status page:/)).toBeLessThan(at(/ split shardId-/));
    expect(at(/ split shardId-/)).toBeLessThan(at(/ SIGKILL worker-/));
    expect(at(/ SIGKILL worker-/)).toBeLessThan(at(/ worker-4 starting/));
    expect(at(/ worker-4 starting/)).toBeLessThan(at(/ SIGTERM worker-/));
    expect(lines).toContain(`  failover     ${summary.failoverMs!.toLocaleString('en-US')} ms after SIGKILL of ${summary.killedWorker} (bound 4,500 ms = 1.5 × failoverTimeMs 3,000)`);
    expect(at(/^verification: PASSED/)).toBeGreaterThan(at(/ SIGTERM worker-/));
    expect(lines.at(-1)).toMatch(/^cleaned up: 4 worker processes ended, emulators stopped$/);
  });
});
