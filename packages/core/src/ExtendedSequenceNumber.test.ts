import fc from 'fast-check';
import { compareSequenceNumbers, ExtendedSequenceNumber } from './ExtendedSequenceNumber';

const seqArb = fc.bigInt({ min: 0n, max: (1n << 200n) - 1n });

describe('ExtendedSequenceNumber', () => {
  it('compares sequence numbers longer than 2^53 numerically (property)', () => {
    fc.assert(
      fc.property(seqArb, seqArb, fc.nat(1000), fc.nat(1000), (a, b, sa, sb) => {
        const x = new ExtendedSequenceNumber(a.toString(), sa);
        const y = new ExtendedSequenceNumber(b.toString(), sb);
        const expected = a === b ? Math.sign(sa - sb) : a < b ? -1 : 1;
        expect(Math.sign(x.compareTo(y))).toBe(expected);
        expect(Math.sign(y.compareTo(x))).toBe(-expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('distinguishes numbers that collide as doubles', () => {
    const a = '49590338271490256608559692538361571095921575989136588898';
    const b = '49590338271490256608559692538361571095921575989136588899';
    expect(Number(a)).toBe(Number(b));
    expect(compareSequenceNumbers(a, b)).toBeLessThan(0);
    expect(compareSequenceNumbers('007', '7')).toBe(0);
  });

  it('orders sentinels as the KCL: AT_TIMESTAMP < TRIM_HORIZON < LATEST < numbers < SHARD_END', () => {
    const order = [
      ExtendedSequenceNumber.AT_TIMESTAMP,
      ExtendedSequenceNumber.TRIM_HORIZON,
      ExtendedSequenceNumber.LATEST,
      new ExtendedSequenceNumber('1'),
      new ExtendedSequenceNumber('1', 5),
      new ExtendedSequenceNumber('99999999999999999999999999999999999999999'),
      ExtendedSequenceNumber.SHARD_END,
    ];
    const shuffled = [...order].reverse().sort((p, q) => p.compareTo(q));
    expect(shuffled).toEqual(order);
    expect(ExtendedSequenceNumber.SHARD_END.isSentinel).toBe(true);
    expect(ExtendedSequenceNumber.max(order[3]!, order[4]!).toString()).toBe('1:5');
  });

  it('rejects malformed input', () => {
    expect(() => new ExtendedSequenceNumber('12a')).toThrow(/decimal digits or a sentinel/);
    expect(() => new ExtendedSequenceNumber('12', -1)).toThrow(/non-negative/);
  });
});
