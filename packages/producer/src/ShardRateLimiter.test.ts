import { ShardRateLimiter } from './ShardRateLimiter';

const settings = { recordsPerSecond: 1500, bytesPerSecond: 1.5 * 1024 * 1024, adaptive: true };

function drainCount(limiter: ShardRateLimiter, from: number, to: number, size: number): number {
  let n = 0;
  for (let t = from; t < to; t++) while (limiter.tryTake(size, t)) n++;
  return n;
}

describe('ShardRateLimiter', () => {
  it('limits records and bytes per second after the initial burst', () => {
    const limiter = new ShardRateLimiter(settings, 0);
    drainCount(limiter, 0, 1, 10);
    expect(drainCount(limiter, 1, 1001, 10)).toBeGreaterThan(1400);
    expect(drainCount(limiter, 1001, 2001, 10)).toBeLessThan(1600);
    const bytes = new ShardRateLimiter(settings, 0);
    drainCount(bytes, 0, 1, 50_000);
    // 1.5 MiB/s of 50 kB records is ~31 per second.
    expect(drainCount(bytes, 1, 1001, 50_000)).toBeLessThanOrEqual(32);
  });

  it('cuts the rate on a throttle, once per cooldown, and recovers additively', () => {
    const limiter = new ShardRateLimiter(settings, 0);
    expect(limiter.onThrottle(0)).toBe(true);
    expect(limiter.fraction(0)).toBe(0.5);
    expect(limiter.onThrottle(100)).toBe(false);
    expect(limiter.onThrottle(600)).toBe(true);
    expect(limiter.fraction(600)).toBeCloseTo(0.25 + 0.06 * 0.5, 1);
    expect(limiter.fraction(600 + 10_000)).toBe(1);
    for (let t = 700; t < 700 + 10 * 600; t += 600) limiter.onThrottle(t);
    expect(limiter.fraction(6700)).toBeGreaterThanOrEqual(0.05);
  });

  it('empties the buckets on a throttle so that the shard gets a pause', () => {
    const limiter = new ShardRateLimiter(settings, 0);
    limiter.onThrottle(0);
    expect(limiter.tryTake(10, 0)).toBe(false);
    expect(limiter.msUntil(10, 0)).toBeGreaterThan(0);
  });

  it('does not adapt when told not to (the KPL behaviour)', () => {
    const limiter = new ShardRateLimiter({ ...settings, adaptive: false }, 0);
    expect(limiter.onThrottle(0)).toBe(false);
    expect(limiter.fraction(0)).toBe(1);
    expect(limiter.tryTake(10, 0)).toBe(true);
  });
});
