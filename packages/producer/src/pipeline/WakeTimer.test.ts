import { ManualClock } from '@shardline/core';
import { settle } from '../../test/stageKit';
import { WakeTimer } from './WakeTimer';

describe('WakeTimer', () => {
  it('fires once for the earliest time asked for', async () => {
    const clock = new ManualClock();
    let wakes = 0;
    const timer = new WakeTimer(
      clock,
      () => wakes++,
      () => fail('no error'),
      () => false,
    );
    timer.wakeAt(100);
    timer.wakeAt(50);
    timer.wakeAt(80);
    expect(clock.pendingSleeps).toBe(1);
    clock.advance(50);
    await settle();
    expect(wakes).toBe(1);
    clock.advance(100);
    await settle();
    expect(wakes).toBe(1);
  });

  it('arms nothing while idle, and nothing ever again once stopped', async () => {
    const clock = new ManualClock();
    let idle = true;
    const timer = new WakeTimer(
      clock,
      () => fail('must not fire'),
      () => fail('no error'),
      () => idle,
    );
    timer.wakeAt(10);
    expect(clock.pendingSleeps).toBe(0);
    idle = false;
    timer.wakeAt(10);
    timer.stop();
    expect(clock.pendingSleeps).toBe(0);
    timer.wakeAt(5);
    clock.advance(20);
    await settle();
    expect(clock.pendingSleeps).toBe(0);
  });

  it('reports a clock whose sleep rejects', async () => {
    const errors: unknown[] = [];
    const clock = { now: () => 0, monotonicNow: () => 0, sleep: () => Promise.reject(new Error('clock broke')) };
    const timer = new WakeTimer(
      clock,
      () => fail('must not fire'),
      (e) => errors.push(e),
      () => false,
    );
    timer.wakeAt(10);
    await settle();
    expect(String(errors[0])).toMatch(/clock broke/);
  });
});
