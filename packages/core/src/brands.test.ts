import * as core from './index';

/** A second, independent copy of the package's modules, as an application with two versions of core has. */
function secondCopy(): typeof core {
  let copy: typeof core | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    copy = require('./index') as typeof core;
  });
  return copy!;
}

describe('brands across two copies of @shardline/core', () => {
  const other = secondCopy();

  it('loads really distinct classes', () => {
    expect(other.LeaseLostError).not.toBe(core.LeaseLostError);
    expect(other.ExtendedSequenceNumber).not.toBe(core.ExtendedSequenceNumber);
  });

  it('instanceof holds for an error of the other copy, for its class and its base class only', () => {
    const lost = new other.LeaseLostError('lease shard-1 lost', { leaseKey: 'shard-1' });
    expect(lost instanceof core.LeaseLostError).toBe(true);
    expect(lost instanceof core.ShardlineError).toBe(true);
    expect(lost instanceof Error).toBe(true);
    expect(lost instanceof core.ShutdownError).toBe(false);
    expect(lost instanceof core.InvalidArgumentError).toBe(false);
    expect(new core.ShutdownError('stopping') instanceof other.LeaseLostError).toBe(false);
    expect(new core.ThrottledError('slow down') instanceof other.ThrottledError).toBe(true);
    expect(new core.ProcessorTimeoutError('shard-1', 'processRecords', 10) instanceof other.ProcessorTimeoutError).toBe(true);
    expect(core.ShardlineError.isShardlineError(lost)).toBe(true);
    expect(core.classifyAwsError(lost)).toBe(lost);
  });

  it('every error class of core is branded', () => {
    const classes = Object.entries(core).filter(([name, value]) => typeof value === 'function' && /Error$/.test(name) && value.prototype instanceof Error);
    expect(classes.length).toBeGreaterThan(15);
    for (const [name] of classes) {
      const theirs = (other as unknown as Record<string, unknown>)[name] as typeof core.ShardlineError;
      const instance = Object.create(theirs.prototype) as object;
      expect([name, instance instanceof (core as unknown as Record<string, typeof core.ShardlineError>)[name]!]).toEqual([name, true]);
    }
  });

  it('rejects look-alikes: plain errors, objects, primitives', () => {
    const fake = Object.assign(new Error('x'), { code: 'SHARDLINE_LEASE_LOST', retryable: false });
    expect(fake instanceof core.LeaseLostError).toBe(false);
    expect({} instanceof core.ShardlineError).toBe(false);
    expect((null as unknown) instanceof core.ShardlineError).toBe(false);
    expect(('x' as unknown) instanceof core.ExtendedSequenceNumber).toBe(false);
    expect({ sequenceNumber: '1', subSequenceNumber: 0 } instanceof core.ExtendedSequenceNumber).toBe(false);
  });

  it('a subclass defined on top of one copy is recognised by that class, not by unrelated ones', () => {
    class MyLost extends other.LeaseLostError {}
    const mine = new MyLost('gone');
    expect(mine instanceof MyLost).toBe(true);
    expect(mine instanceof core.LeaseLostError).toBe(true);
    expect(new core.LeaseLostError('gone') instanceof MyLost).toBe(false);
  });

  it('an ExtendedSequenceNumber of the other copy is one, and compares with ours', () => {
    const theirs = new other.ExtendedSequenceNumber('49590338271490256608559692538361571095921575989136588898', 3);
    const ours = new core.ExtendedSequenceNumber('49590338271490256608559692538361571095921575989136588898', 2);
    expect(theirs instanceof core.ExtendedSequenceNumber).toBe(true);
    expect(ours instanceof other.ExtendedSequenceNumber).toBe(true);
    expect(ours.compareTo(theirs)).toBeLessThan(0);
    expect(theirs.compareTo(ours)).toBeGreaterThan(0);
    expect(core.ExtendedSequenceNumber.max(ours, theirs)).toBe(theirs);
    expect(other.ExtendedSequenceNumber.SHARD_END instanceof core.ExtendedSequenceNumber).toBe(true);
  });
});
