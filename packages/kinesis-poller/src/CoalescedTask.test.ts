import { CoalescedTask } from './CoalescedTask';

describe('CoalescedTask', () => {
  it('never overlaps runs, and calls during a run share the next one', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const gates: (() => void)[] = [];
    const task = new CoalescedTask(async () => {
      runs++;
      maxActive = Math.max(maxActive, ++active);
      await new Promise<void>((r) => gates.push(r));
      active--;
    });
    const first = task.run();
    const second = task.run();
    const third = task.run();
    expect(second).toBe(third);
    expect(runs).toBe(1);
    gates.shift()!();
    await first;
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    gates.shift()!();
    await Promise.all([second, third]);
    await task.idle();
    expect(maxActive).toBe(1);
  });

  it('a failed run rejects its callers only; the queued run still happens', async () => {
    let calls = 0;
    let release!: () => void;
    const task = new CoalescedTask(async () => {
      if (++calls === 1) {
        await new Promise<void>((r) => (release = r));
        throw new Error('first failed');
      }
    });
    const first = task.run();
    const second = task.run();
    release();
    await expect(first).rejects.toThrow('first failed');
    await expect(second).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
