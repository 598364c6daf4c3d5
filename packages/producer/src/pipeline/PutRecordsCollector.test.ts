import { pendingRecord, shardQueue } from '../../test/stageKit';
import { PutRecordsCollector } from './PutRecordsCollector';
import type { OutboundRecord } from './ShardQueue';

function outbound(bytes: number, deadline = 100): OutboundRecord {
  const q = shardQueue('s', { maxAggregateRecords: 1 });
  q.add(pendingRecord('k', 'x'.repeat(bytes - 1)), deadline);
  return q.shiftReady()!;
}

describe('PutRecordsCollector', () => {
  it('gathers records up to the call limits and reports the earliest deadline', () => {
    const c = new PutRecordsCollector(3, 1_000);
    expect(c.deadline).toBe(Infinity);
    c.add(outbound(100, 50));
    c.add(outbound(100, 20));
    expect([c.size, c.deadline, c.full]).toEqual([2, 20, false]);
    expect(c.fits(outbound(900))).toBe(false);
    c.add(outbound(100));
    expect(c.full).toBe(true);
    expect(c.take()).toHaveLength(3);
    expect([c.size, c.deadline]).toEqual([0, Infinity]);
  });

  it('sends a record larger than a call alone', () => {
    const c = new PutRecordsCollector(500, 100);
    const big = outbound(200);
    expect(c.fits(big)).toBe(true);
    c.add(big);
    expect(c.full).toBe(true);
    expect(c.fits(outbound(1))).toBe(false);
  });
});
