import type { Shard } from '@aws-sdk/client-kinesis';
import type { PutResult } from '@shardline/producer';
import { type RunEvidence, verifyRun } from './verifyRun';
import type { SeenRecord, WorkerLine } from './workerLine';

const put = (shardId: string, sub: number): PutResult => ({ shardId, sequenceNumber: '100', subSequenceNumber: sub, aggregated: true, attempts: [] });
const rec = (id: string, sub: number): SeenRecord => [id, '100', sub];
const shard = (id: string, parent?: string): Shard => ({ ShardId: id, ParentShardId: parent, HashKeyRange: undefined, SequenceNumberRange: undefined });

/** w1 reads r1–r2 and checkpoints, reads r3–r4 and is SIGKILLed before checkpointing; w2 reads r3–r4 again; then child B. */
function evidence(change: (lines: WorkerLine[]) => WorkerLine[] = (l) => l): RunEvidence {
  const lines: WorkerLine[] = [
    { type: 'batch', worker: 'w1', t: 10, pi: 1, shardId: 'A', records: [rec('r1', 0), rec('r2', 1)] },
    { type: 'checkpointed', worker: 'w1', t: 11, pi: 1, shardId: 'A', position: '100:1' },
    { type: 'batch', worker: 'w1', t: 20, pi: 1, shardId: 'A', records: [rec('r3', 2), rec('r4', 3)] },
    { type: 'batch', worker: 'w2', t: 30, pi: 1, shardId: 'A', records: [rec('r3', 2), rec('r4', 3)] },
    { type: 'shardEnded', worker: 'w2', t: 31, pi: 1, shardId: 'A' },
    { type: 'checkpointed', worker: 'w2', t: 32, pi: 1, shardId: 'A', position: 'SHARD_END' },
    { type: 'batch', worker: 'w2', t: 40, pi: 2, shardId: 'B', records: [rec('r5', 0)] },
  ];
  return {
    lines: change(lines).map((l, index) => ({ ...l, index })),
    produced: new Map([
      ['r1', put('A', 0)],
      ['r2', put('A', 1)],
      ['r3', put('A', 2)],
      ['r4', put('A', 3)],
      ['r5', put('B', 0)],
    ]),
    failedPuts: new Map(),
    shards: [shard('A'), shard('B', 'A')],
    failover: { workerId: 'w1', at: 21, leases: ['A'], ms: 3_200 },
    handover: { workerId: 'w3', at: 50, leases: ['B'], ms: 400 },
    failoverTimeMs: 3_000,
    producing: { startedAt: 0, lastAckAt: 1_000 },
    problems: [],
  };
}

describe('verifyRun', () => {
  it("passes a run whose only duplicates re-deliver the SIGKILLed worker's uncheckpointed batch", () => {
    const v = verifyRun(evidence());
    expect(v.failures).toEqual([]);
    expect(v).toMatchObject({ passed: true, produced: 5, consumed: 5, deliveries: 7, killedMidBatch: true, lineage: ['B after A'], failoverMs: 3_200, handoverMs: 400 });
    expect(v.duplicates).toEqual({ total: 2, fromKilledWorker: 2, fromLeaseLoss: 0, fromProducer: 0, unexplained: [] });
  });

  it('fails on a record never consumed, naming it', () => {
    const v = verifyRun(evidence((lines) => lines.filter((l) => !(l.type === 'batch' && l.shardId === 'B'))));
    expect(v.passed).toBe(false);
    expect(v.failures).toEqual(['1 records never consumed, e.g. r5']);
  });

  it('fails on a duplicate nothing explains, on records out of order, and on a child consumed before its parent ended', () => {
    const v = verifyRun(evidence((lines) => [...lines.filter((l) => l.type !== 'shardEnded'), { type: 'batch', worker: 'w2', t: 41, pi: 2, shardId: 'B', records: [rec('r5', 0)] }]));
    expect(v.duplicates.unexplained).toEqual(['r5 at B/100: w2/2, w2/2']);
    expect(v.orderViolations).toEqual(['B: w2/2 delivered r5 at 100 after 100']);
    expect(v.lineageViolations).toEqual(['B was consumed before its parent A ended']);
    expect(v.passed).toBe(false);
  });

  it('fails when the failover took longer than 1.5 × failoverTimeMs, or a takeover was not measured', () => {
    const slow = verifyRun({ ...evidence(), failover: { workerId: 'w1', at: 21, leases: ['A'], ms: 4_600 }, handover: undefined });
    expect(slow.failures).toEqual(['failover after SIGKILL took 4600 ms (bound 4500 ms)', 'no worker was stopped gracefully: handover not measured']);
  });
});
