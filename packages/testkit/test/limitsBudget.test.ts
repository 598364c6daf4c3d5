import { AWS_SHARD_LIMITS, resolveShardLimits, ShardBudget } from '../src';
import { CallWindow, TokenBucket } from '../src/limits/budgets';

const MiB = 1_048_576;
const aws = resolveShardLimits();

describe('ShardBudget (time injected)', () => {
  it('writes: one second of bytes in a burst, then 1 MiB/s; a record over budget takes nothing', () => {
    const b = new ShardBudget(aws, 0);
    // 4 × 250,010 B fit in 1 MiB, the 5th does not.
    const admitted = Array.from({ length: 8 }, () => b.tryWrite(250_010, 0));
    expect(admitted).toEqual([true, true, true, true, false, false, false, false]);
    // 48,536 B left; 100 ms add 104,858 B.
    expect(b.tryWrite(150_000, 0)).toBe(false);
    expect(b.tryWrite(150_000, 100)).toBe(true);
    expect(b.tryWrite(10_000, 100)).toBe(false);
    // Refills to one second's worth, never more.
    const later = Array.from({ length: 6 }, () => b.tryWrite(250_000, 60_000));
    expect(later.filter(Boolean)).toHaveLength(4);
  });

  it('writes: 1,000 records per second, whatever their size', () => {
    const b = new ShardBudget(aws, 0);
    let n = 0;
    while (b.tryWrite(10, 0)) n++;
    expect(n).toBe(1000);
    expect(b.tryWrite(10, 0.9)).toBe(false);
    expect(b.tryWrite(10, 1)).toBe(true);
    let more = 0;
    while (b.tryWrite(10, 501)) more++;
    expect(more).toBe(500);
  });

  it('a refused record gives its record token back, and a refund restores both budgets', () => {
    const b = new ShardBudget(resolveShardLimits({ writeRecordsPerSecond: 2 }), 0);
    expect(b.tryWrite(MiB, 0)).toBe(true);
    expect(b.tryWrite(1, 0)).toBe(false); // bytes exhausted: the record token is returned
    b.refundWrite(MiB, 0);
    expect(b.tryWrite(100, 0)).toBe(true);
    expect(b.tryWrite(100, 0)).toBe(true);
    expect(b.tryWrite(100, 0)).toBe(false); // 2 records/s
  });

  it('reads: six GetRecords in one second get exactly one refusal, however they are spaced', () => {
    for (const spacing of [0, 10, 150, 199]) {
      const b = new ShardBudget(aws, 0);
      const results = Array.from({ length: 6 }, (_, i) => b.tryRead(i * spacing));
      expect(results.filter((ok) => !ok)).toHaveLength(1);
      expect(results[5]).toBe(false);
    }
    // A slot comes back one second after its call.
    const b = new ShardBudget(aws, 0);
    for (let i = 0; i < 5; i++) expect(b.tryRead(i)).toBe(true);
    expect(b.tryRead(999)).toBe(false);
    expect(b.tryRead(1000)).toBe(true);
    expect(b.tryRead(1000.5)).toBe(false);
    expect(b.tryRead(1001)).toBe(true);
  });

  it('reads: a 10 MiB answer blocks the shard for the next 5 s at 2 MiB/s (AWS: "subsequent calls made within the next 5 seconds throw")', () => {
    const b = new ShardBudget(aws, 0);
    expect(b.tryRead(0)).toBe(true);
    b.chargeRead(10 * MiB, 0);
    for (const t of [1, 1000, 2500, 4000, 4999]) expect(b.tryRead(t)).toBe(false);
    expect(b.tryRead(5001)).toBe(true);
    // 1 MiB → half a second at 2 MiB/s.
    b.chargeRead(MiB, 5001);
    expect(b.tryRead(5499)).toBe(false);
    expect(b.tryRead(5502)).toBe(true);
  });

  it('scale multiplies every rate', () => {
    const tenth = resolveShardLimits({ scale: 0.1 });
    expect(tenth.writeRecordsPerSecond).toBe(100);
    expect(tenth.writeBytesPerSecond).toBeCloseTo(MiB / 10);
    expect(tenth.readCallsPerSecond).toBe(0.5);
    expect(tenth.readBytesPerSecond).toBeCloseTo((2 * MiB) / 10);
    expect(tenth.maxGetRecordsBytes).toBe(10 * MiB);
    const b = new ShardBudget(tenth, 0);
    let n = 0;
    while (b.tryWrite(1, 0)) n++;
    expect(n).toBe(100);
    // 0.5 calls/s: one call per 2 s.
    expect(b.tryRead(0)).toBe(true);
    expect(b.tryRead(1999)).toBe(false);
    expect(b.tryRead(2000)).toBe(true);
    // A 1 MiB record on a limit scaled below 1 MiB/s still goes through once the bucket is full.
    const small = new ShardBudget(tenth, 0);
    expect(small.tryWrite(MiB, 0)).toBe(true);
    expect(small.tryWrite(1, 9_000)).toBe(false);
    expect(small.tryWrite(1, 10_001)).toBe(true);
  });

  it('rejects invalid limits naming the field', () => {
    expect(() => resolveShardLimits({ writeBytesPerSecond: 0 })).toThrow(new RangeError('limits.writeBytesPerSecond must be greater than 0 (got 0)'));
    expect(() => resolveShardLimits({ scale: Number.NaN })).toThrow(TypeError);
    expect(() => resolveShardLimits({ writeRecordsPerSec: 5 } as never)).toThrow(/limits.writeRecordsPerSec is not a limit/);
    expect(AWS_SHARD_LIMITS).toMatchObject({ writeRecordsPerSecond: 1000, writeBytesPerSecond: MiB, readCallsPerSecond: 5, readBytesPerSecond: 2 * MiB });
  });
});

describe('TokenBucket and CallWindow', () => {
  it('a bucket refills continuously up to its capacity and can go into debt by charge', () => {
    const t = new TokenBucket(10, 10, 0);
    expect(t.tryTake(10, 0)).toBe(true);
    expect(t.level(500)).toBeCloseTo(5);
    t.charge(20, 500);
    expect(t.level(500)).toBeCloseTo(-15);
    expect(t.level(3000)).toBeCloseTo(10);
  });

  it('a window of 5 calls per second admits at most 5 in any second', () => {
    const w = new CallWindow(5);
    const times = [0, 100, 200, 300, 400, 500, 900, 1000, 1050, 1100, 1200, 1300, 1400, 1999];
    const admitted = times.filter((t) => w.tryTake(t));
    for (const start of admitted) expect(admitted.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
    expect(admitted).toEqual([0, 100, 200, 300, 400, 1000, 1100, 1200, 1300, 1400]);
  });
});
