import { ShardlineError, TimeoutError } from '@shardline/core';
import * as producer from './index';

/** A second, independent copy of the producer (and of the core it loads), as an application with two versions has. */
function secondCopy(): typeof producer {
  let copy: typeof producer | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    copy = require('./index') as typeof producer;
  });
  return copy!;
}

describe("the producer's errors across two copies of the package", () => {
  const other = secondCopy();

  it('loads really distinct classes', () => {
    expect(other.BufferFullError).not.toBe(producer.BufferFullError);
    expect(other.RecordExpiredError).not.toBe(producer.RecordExpiredError);
  });

  it('instanceof holds for its class and its bases, and not for the other class', () => {
    const full = new other.BufferFullError('full');
    const expired = new other.RecordExpiredError(1_000);
    expect([full instanceof producer.BufferFullError, full instanceof ShardlineError, full instanceof producer.RecordExpiredError]).toEqual([true, true, false]);
    expect([expired instanceof producer.RecordExpiredError, expired instanceof TimeoutError, expired instanceof producer.BufferFullError]).toEqual([true, true, false]);
    // A plain TimeoutError is not an expiry.
    expect(new TimeoutError('slow') instanceof other.RecordExpiredError).toBe(false);
  });
});
