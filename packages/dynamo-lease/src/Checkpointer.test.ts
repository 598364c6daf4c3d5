import { CheckpointOutOfRangeError, ExtendedSequenceNumber as ESN, InvalidArgumentError, LeaseLostError, ThrottledError } from '@shardline/core';
import { Checkpointer, type CheckpointChange, type CheckpointWriter } from './Checkpointer';
import { newLease, type Lease } from './Lease';

/** A writer that keeps one lease in memory and honours one token, as the coordinator does. */
class MemoryWriter implements CheckpointWriter {
  lease: Lease = { ...newLease({ leaseKey: 's-1', checkpoint: new ESN('100') }), leaseOwner: 'me', leaseCounter: 1 };
  token = 'token-1';
  writes: CheckpointChange[] = [];
  failNext: Error | undefined;

  async writeCheckpoint(leaseKey: string, token: string, change: CheckpointChange): Promise<Lease> {
    await new Promise((r) => setImmediate(r));
    if (token !== this.token) throw new LeaseLostError('not held', { leaseKey });
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    this.writes.push(change);
    this.lease =
      change.kind === 'checkpoint'
        ? { ...this.lease, checkpoint: change.position, pendingCheckpoint: undefined, pendingCheckpointState: undefined, leaseCounter: this.lease.leaseCounter + 1 }
        : { ...this.lease, pendingCheckpoint: change.position, pendingCheckpointState: change.state, leaseCounter: this.lease.leaseCounter + 1 };
    return this.lease;
  }
}

function setup(): { writer: MemoryWriter; cp: Checkpointer } {
  const writer = new MemoryWriter();
  return { writer, cp: new Checkpointer(writer, writer.lease, writer.token) };
}

describe('Checkpointer', () => {
  it('accepts positions between the last checkpoint and the largest permitted one', async () => {
    const { writer, cp } = setup();
    cp.setLargestPermittedCheckpoint(new ESN('200', 5));
    await cp.checkpoint(new ESN('100')); // equal to the last one is fine
    await cp.checkpoint(new ESN('200', 5));
    expect(cp.lastCheckpoint?.toString()).toBe('200:5');
    await expect(cp.checkpoint(new ESN('150'))).rejects.toThrow(CheckpointOutOfRangeError);
    await expect(cp.checkpoint(new ESN('200', 6))).rejects.toThrow('beyond the largest permitted position 200:5');
    expect(writer.writes).toHaveLength(2);
  });

  it('checkpoints at the largest permitted position by default, and needs one', async () => {
    const { cp } = setup();
    await expect(cp.checkpoint()).rejects.toThrow(InvalidArgumentError);
    cp.setLargestPermittedCheckpoint(new ESN('300'));
    cp.setLargestPermittedCheckpoint(new ESN('250')); // never moves back
    await cp.checkpoint();
    expect(cp.lastCheckpoint?.toString()).toBe('300');
    cp.setLargestPermittedCheckpoint(ESN.SHARD_END);
    await cp.checkpoint(ESN.SHARD_END);
    expect(cp.lastCheckpoint).toEqual(ESN.SHARD_END);
  });

  it('applies concurrent calls in order, so a later, smaller position cannot move the checkpoint back', async () => {
    const { writer, cp } = setup();
    const results = await Promise.allSettled([cp.checkpoint(new ESN('500')), cp.checkpoint(new ESN('400')), cp.checkpoint(new ESN('600'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(writer.writes.map((w) => w.position.toString())).toEqual(['500', '600']);
  });

  it('prepares a pending checkpoint with state and commits it later', async () => {
    const { writer, cp } = setup();
    const prepared = await cp.prepareCheckpoint(new ESN('150', 2), new Uint8Array([7]));
    expect(cp.pendingCheckpoint?.toString()).toBe('150:2');
    expect(cp.pendingCheckpointState).toEqual(new Uint8Array([7]));
    expect(cp.lastCheckpoint?.toString()).toBe('100');
    await prepared.checkpoint();
    expect(cp.lastCheckpoint?.toString()).toBe('150:2');
    expect(cp.pendingCheckpoint).toBeUndefined();
    expect(writer.writes.map((w) => w.kind)).toEqual(['prepare', 'checkpoint']);
    await expect(cp.prepareCheckpoint(new ESN('99'))).rejects.toThrow(CheckpointOutOfRangeError);
  });

  it('passes lease loss and retryable write errors through, and keeps working after a retryable one', async () => {
    const { writer, cp } = setup();
    writer.failNext = new ThrottledError('slow down');
    await expect(cp.checkpoint(new ESN('120'))).rejects.toThrow(ThrottledError);
    await cp.checkpoint(new ESN('120'));
    writer.token = 'token-2'; // re-acquired: this checkpointer's acquisition is over
    await expect(cp.checkpoint(new ESN('130'))).rejects.toThrow(LeaseLostError);
    expect(cp.lastCheckpoint?.toString()).toBe('120');
  });
});

describe('Checkpointer with a second copy of @shardline/core in the application', () => {
  /** The classes of another copy of core, as an application on a newer core than this package's has. */
  function otherCore(): typeof import('@shardline/core') {
    let copy: typeof import('@shardline/core') | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      copy = require('@shardline/core') as typeof import('@shardline/core');
    });
    return copy!;
  }

  it("takes the other copy's ExtendedSequenceNumber as a position, and its errors are instanceof the other copy's classes", async () => {
    const other = otherCore();
    expect(other.ExtendedSequenceNumber).not.toBe(ESN);
    const { writer, cp } = setup();
    cp.setLargestPermittedCheckpoint(new other.ExtendedSequenceNumber('300'));
    await cp.checkpoint(new other.ExtendedSequenceNumber('200', 1));
    expect(cp.lastCheckpoint?.toString()).toBe('200:1');
    await cp.prepareCheckpoint(new other.ExtendedSequenceNumber('250'));
    expect(writer.writes.map((w) => `${w.kind} ${w.position.toString()}`)).toEqual(['checkpoint 200:1', 'prepare 250']);
    const early = await cp.checkpoint(new other.ExtendedSequenceNumber('150')).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(other.CheckpointOutOfRangeError);
    writer.token = 'stolen';
    const lost = await cp.checkpoint().catch((e: unknown) => e);
    expect(lost instanceof other.LeaseLostError).toBe(true);
    // A look-alike is still refused.
    await expect(cp.checkpoint({ sequenceNumber: '260', subSequenceNumber: 0 } as unknown as ESN)).rejects.toThrow('checkpoint position must be an ExtendedSequenceNumber');
  });
});
