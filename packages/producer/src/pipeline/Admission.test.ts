import { ManualClock } from '@shardline/core';
import { outcome, pendingRecord, settle, settlementKit } from '../../test/stageKit';
import { BufferFullError } from '../BufferFullError';
import type { PendingRecord } from '../PendingRecord';
import { Admission } from './Admission';

function admission(options: { maxBufferedRecords?: number; maxWaitingPuts?: number; onBackpressure?: 'wait' | 'reject' } = {}) {
  const routed: { record: PendingRecord; now: number; sendBy: number }[] = [];
  const clock = new ManualClock();
  const wired: { stage?: Admission } = {};
  const kit = settlementKit({ maxRecords: options.maxBufferedRecords ?? 2, onRoom: (r) => wired.stage!.roomFor(r) });
  const stage = (wired.stage = new Admission({
    options: {
      maxBufferedRecords: options.maxBufferedRecords ?? 2,
      maxBufferedBytes: 1_000_000,
      maxWaitingPuts: options.maxWaitingPuts ?? 10,
      onBackpressure: options.onBackpressure ?? 'wait',
      recordTtlMs: 1_000,
      maxBufferedTimeMs: 100,
    },
    clock,
    budget: kit.budget,
    ages: kit.ages,
    counters: kit.counters,
    settlement: kit.settlement,
    next: { route: (record, now, sendBy) => routed.push({ record, now, sendBy }) },
    internalFailure: () => fail('no internal failure expected'),
  }));
  return { stage, kit, routed, clock };
}

describe('Admission', () => {
  it('accepts while there is room: stamps arrival, expiry and send-by, and routes', () => {
    const { stage, kit, routed, clock } = admission();
    clock.advance(7.6);
    const r = pendingRecord();
    expect(stage.tryAccept(r)).toBe(true);
    expect(routed).toEqual([{ record: r, now: 7, sendBy: 107 }]);
    expect([r.arrivalMs, r.expiresAt]).toEqual([7, 1_007]);
    expect(kit.settlement.outstanding).toBe(1);
  });

  it('makes a record wait for room, in call order, and accepts it once a record settles', async () => {
    const { stage, kit, routed } = admission();
    const [a, b, c] = [pendingRecord('a'), pendingRecord('b'), pendingRecord('c')];
    stage.tryAccept(a);
    stage.tryAccept(b);
    let accepted = false;
    stage.admit(
      c,
      undefined,
      () => (accepted = true),
      () => fail('not refused'),
    );
    expect(accepted).toBe(false);
    expect(kit.budget.waiting).toBe(1);
    kit.settlement.succeed(a, 's', '1', 0, false, 0, 0);
    await settle();
    expect(accepted).toBe(true);
    expect(routed.map((x) => x.record.partitionKey)).toEqual(['a', 'b', 'c']);
  });

  it("refuses with BufferFullError when full and onBackpressure is 'reject'", () => {
    const { stage, kit } = admission({ maxBufferedRecords: 1, onBackpressure: 'reject' });
    stage.tryAccept(pendingRecord());
    const refused: unknown[] = [];
    stage.admit(pendingRecord(), undefined, undefined, (e) => refused.push(e));
    expect(refused[0]).toBeInstanceOf(BufferFullError);
    expect(kit.settlement.unsettled).toBe(1);
  });

  it('refuses beyond maxWaitingPuts', () => {
    const { stage } = admission({ maxBufferedRecords: 1, maxWaitingPuts: 1 });
    stage.tryAccept(pendingRecord());
    stage.admit(pendingRecord(), undefined, undefined, () => fail('the first waiter waits'));
    const refused: unknown[] = [];
    stage.admit(pendingRecord(), undefined, undefined, (e) => refused.push(e));
    expect(String(refused[0])).toMatch(/maxWaitingPuts \(1\)/);
  });

  it('stops waiting when the signal aborts, and lets the next waiter have the room', async () => {
    const { stage, kit, routed } = admission({ maxBufferedRecords: 1 });
    const first = pendingRecord('first');
    stage.tryAccept(first);
    const abort = new AbortController();
    const refused: unknown[] = [];
    stage.admit(pendingRecord('aborted'), abort.signal, undefined, (e) => refused.push(e));
    stage.admit(pendingRecord('next'), undefined, undefined, () => fail('not refused'));
    abort.abort(new Error('caller gave up'));
    expect(String(refused[0])).toMatch(/caller gave up/);
    kit.settlement.succeed(first, 's', '1', 0, false, 0, 0);
    await settle();
    expect(routed.map((x) => x.record.partitionKey)).toEqual(['first', 'next']);
  });

  it('refuses every waiter on close, each with its own error', () => {
    const { stage } = admission({ maxBufferedRecords: 1 });
    stage.tryAccept(pendingRecord());
    const w1 = outcome(new Promise<void>((resolve, reject) => stage.admit(pendingRecord(), undefined, resolve, reject)));
    const w2 = outcome(new Promise<void>((resolve, reject) => stage.admit(pendingRecord(), undefined, resolve, reject)));
    let n = 0;
    stage.refuseWaiting(() => Object.assign(new BufferFullError('closed'), { n: ++n }));
    return settle().then(() => {
      expect(w1.error).toBeInstanceOf(BufferFullError);
      expect(w1.error).not.toBe(w2.error);
    });
  });
});
