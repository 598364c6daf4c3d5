import { AgeTracker } from './AgeTracker';

describe('AgeTracker', () => {
  it('reports the oldest unsettled record to its resolution', () => {
    const t = new AgeTracker(10);
    expect(t.oldestMs()).toBeUndefined();
    const a = t.add(100);
    const b = t.add(105);
    const c = t.add(130);
    expect(a).toBe(b);
    expect(t.oldestMs()).toBe(100);
    t.remove(a);
    expect(t.oldestMs()).toBe(100);
    t.remove(b);
    expect(t.oldestMs()).toBe(130);
    t.remove(c);
    expect(t.oldestMs()).toBeUndefined();
  });

  it('does not keep empty slices forever', () => {
    const t = new AgeTracker(1);
    const first = t.add(0);
    for (let i = 1; i < 10_000; i++) t.remove(t.add(i));
    expect(t.oldestMs()).toBe(0);
    t.remove(first);
    expect(t.oldestMs()).toBeUndefined();
    expect((t as unknown as { buckets: unknown[] }).buckets.length).toBeLessThan(5000);
  });
});
