import { TokenBucket } from './TokenBucket';

describe('TokenBucket', () => {
  it('starts full, refills continuously and never exceeds its capacity', () => {
    const b = new TokenBucket(100, 50, 0);
    expect(b.available(0)).toBe(100);
    b.take(100, 0);
    expect(b.available(0)).toBe(0);
    expect(b.available(500)).toBeCloseTo(25);
    expect(b.available(10_000)).toBe(100);
  });

  it('tells how long until a request fits', () => {
    const b = new TokenBucket(10, 10, 0);
    b.take(10, 0);
    expect(b.canTake(5, 0)).toBe(false);
    expect(b.msUntil(5, 0)).toBe(500);
    expect(b.canTake(5, 500)).toBe(true);
    expect(b.msUntil(5, 500)).toBe(0);
  });

  it('lets a request larger than the capacity through once full, and charges it in full', () => {
    const b = new TokenBucket(10, 10, 0);
    expect(b.canTake(25, 0)).toBe(true);
    b.take(25, 0);
    expect(b.available(0)).toBe(-15);
    expect(b.msUntil(1, 0)).toBe(1600);
  });

  it('drains and changes rate', () => {
    const b = new TokenBucket(100, 100, 0);
    b.drain(0);
    b.setRate(10, 0);
    expect(b.available(1000)).toBeCloseTo(10);
    expect(b.rate).toBe(10);
  });
});
