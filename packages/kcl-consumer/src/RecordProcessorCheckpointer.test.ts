import { CheckpointOutOfRangeError, ExtendedSequenceNumber as ESN, InvalidArgumentError, LeaseLostError, ShutdownError } from '@shardline/core';
import { Checkpointer, type CheckpointChange, type CheckpointWriter, type Lease, newLease } from '@shardline/dynamo-lease';
import fc from 'fast-check';
import { RecordProcessorCheckpointer } from './RecordProcessorCheckpointer';

/**
 * Keeps one lease in memory and applies what the Checkpointer asks, honouring one concurrency
 * token, as the lease coordinator does (the CheckpointWriter seam).
 */
class MemoryCheckpointWriter implements CheckpointWriter {
  lease: Lease;
  token = 'token-1';
  readonly writes: CheckpointChange[] = [];

  constructor(checkpoint: ESN) {
    this.lease = { ...newLease({ leaseKey: 'shardId-000000000001', checkpoint }), leaseOwner: 'worker-1', leaseCounter: 1 };
  }

  async writeCheckpoint(leaseKey: string, token: string, change: CheckpointChange): Promise<Lease> {
    await new Promise((r) => setImmediate(r));
    if (leaseKey !== this.lease.leaseKey || token !== this.token) throw new LeaseLostError(`${leaseKey} is not held`, { leaseKey });
    this.writes.push(change);
    const counter = this.lease.leaseCounter + 1;
    this.lease =
      change.kind === 'checkpoint'
        ? { ...this.lease, checkpoint: change.position, pendingCheckpoint: undefined, pendingCheckpointState: undefined, leaseCounter: counter }
        : { ...this.lease, pendingCheckpoint: change.position, pendingCheckpointState: change.state, leaseCounter: counter };
    return this.lease;
  }

  get written(): string[] {
    return this.writes.map((w) => `${w.kind} ${w.position.toString()}`);
  }
}

function setup(checkpoint: ESN = new ESN('100')): { writer: MemoryCheckpointWriter; inner: Checkpointer; cp: RecordProcessorCheckpointer } {
  const writer = new MemoryCheckpointWriter(checkpoint);
  const inner = new Checkpointer(writer, writer.lease, writer.token);
  return { writer, inner, cp: new RecordProcessorCheckpointer(inner) };
}

const record = (sequenceNumber: string, subSequenceNumber = 0) => ({
  data: Buffer.from('x'),
  partitionKey: 'pk',
  explicitHashKey: undefined,
  sequenceNumber,
  subSequenceNumber,
  approximateArrivalTimestamp: undefined,
  aggregated: subSequenceNumber > 0,
});

describe('RecordProcessorCheckpointer', () => {
  it('checkpoint() with no argument commits the last record delivered', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('300', 2));
    await cp.checkpoint();
    expect(cp.lastCheckpoint).toEqual(new ESN('300', 2));
    expect(writer.written).toEqual(['checkpoint 300:2']);
    expect(cp.leaseKey).toBe('shardId-000000000001');
  });

  it('takes an ExtendedSequenceNumber, a record, a sequence number string, and a string with a sub-sequence number', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('900', 9));
    await cp.checkpoint(new ESN('200', 1));
    await cp.checkpoint(record('300', 4));
    await cp.checkpoint('400');
    await cp.checkpoint('500', 3);
    await cp.checkpoint({ sequenceNumber: '600' });
    await cp.checkpoint({ sequenceNumber: '700', subSequenceNumber: 5 });
    expect(writer.written).toEqual(['checkpoint 200:1', 'checkpoint 300:4', 'checkpoint 400', 'checkpoint 500:3', 'checkpoint 600', 'checkpoint 700:5']);
  });

  it.each([['abc'], [''], ['12 3'], ['-5'], ['1e5'], ['0x10'], ['TRIM HORIZON'], ['1'.repeat(129)]])('rejects the malformed sequence number %j with InvalidArgumentError', async (bad) => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('900'));
    await expect(cp.checkpoint(bad)).rejects.toThrow(InvalidArgumentError);
    await expect(cp.checkpoint({ sequenceNumber: bad })).rejects.toThrow('expected a sequence number or a sentinel checkpoint value');
    expect(writer.writes).toEqual([]);
  });

  it('rejects a sequence number that is not a string', async () => {
    const { cp } = setup();
    cp.permitUpTo(new ESN('900'));
    await expect(cp.checkpoint({ sequenceNumber: 200 as unknown as string })).rejects.toThrow(InvalidArgumentError);
    await expect(cp.checkpoint(null as unknown as string)).rejects.toThrow(InvalidArgumentError);
  });

  it('rejects a negative or fractional sub-sequence number with InvalidArgumentError', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('900'));
    await expect(cp.checkpoint('200', -1)).rejects.toThrow(InvalidArgumentError);
    await expect(cp.checkpoint({ sequenceNumber: '200', subSequenceNumber: -1 })).rejects.toThrow('subSequenceNumber must be a non-negative integer (got -1)');
    await expect(cp.checkpoint('200', 1.5)).rejects.toThrow(InvalidArgumentError);
    expect(writer.writes).toEqual([]);
  });

  it('rejects positions before the last checkpoint or beyond the last record delivered with CheckpointOutOfRangeError', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('300', 2));
    await expect(cp.checkpoint('99')).rejects.toThrow(CheckpointOutOfRangeError);
    await expect(cp.checkpoint('300', 3)).rejects.toThrow(CheckpointOutOfRangeError);
    await expect(cp.checkpoint('301')).rejects.toThrow(CheckpointOutOfRangeError);
    await expect(cp.checkpoint(ESN.SHARD_END)).rejects.toThrow(CheckpointOutOfRangeError);
    await expect(cp.prepareCheckpoint('301')).rejects.toThrow(CheckpointOutOfRangeError);
    expect(writer.writes).toEqual([]);
  });

  it('before any record is delivered, the bound is the lease checkpoint: checkpoint() writes nothing, a later position is out of range', async () => {
    // The KCL's InitializeTask sets largestPermittedCheckpointValue to the initial checkpoint.
    const { writer, cp } = setup(ESN.TRIM_HORIZON);
    await cp.checkpoint();
    await cp.checkpoint('TRIM_HORIZON');
    await expect(cp.checkpoint('12345')).rejects.toThrow(CheckpointOutOfRangeError);
    expect(writer.writes).toEqual([]);
    expect(cp.lastCheckpoint).toEqual(ESN.TRIM_HORIZON);
  });

  it('at shard end, the last record means SHARD_END, and checkpoint() commits SHARD_END', async () => {
    for (const position of [undefined, '300', record('300'), new ESN('300')] as const) {
      const { writer, cp } = setup();
      cp.permitUpTo(new ESN('300'));
      cp.permitShardEnd();
      expect(cp.largestPermittedCheckpoint).toEqual(ESN.SHARD_END);
      expect(cp.checkpointedShardEnd).toBe(false);
      await cp.checkpoint(position);
      expect(writer.written).toEqual(['checkpoint SHARD_END']);
      expect(cp.checkpointedShardEnd).toBe(true);
    }
  });

  it('at shard end, an earlier record is still an ordinary checkpoint', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('300'));
    cp.permitShardEnd();
    await cp.checkpoint('200');
    expect(cp.checkpointedShardEnd).toBe(false);
    await cp.checkpoint(ESN.SHARD_END);
    expect(writer.written).toEqual(['checkpoint 200', 'checkpoint SHARD_END']);
  });

  it('a repeat of the last checkpoint writes nothing, with or without an argument', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('300'));
    await cp.checkpoint('300');
    await cp.checkpoint('300');
    await cp.checkpoint(record('300'));
    await cp.checkpoint();
    await cp.checkpoint('100'.replace('1', '3')); // '300' again, another string
    expect(writer.written).toEqual(['checkpoint 300']);
    cp.permitUpTo(new ESN('400'));
    await cp.checkpoint();
    await cp.checkpoint();
    expect(writer.written).toEqual(['checkpoint 300', 'checkpoint 400']);
  });

  it('prepareCheckpoint writes a pending checkpoint with state, and its checkpoint() commits it', async () => {
    const { writer, inner, cp } = setup();
    cp.permitUpTo(new ESN('500', 7));
    const prepared = await cp.prepareCheckpoint('400', new Uint8Array([1, 2, 3]));
    expect(prepared.pendingCheckpoint).toEqual(new ESN('400'));
    expect(inner.pendingCheckpoint).toEqual(new ESN('400'));
    expect(inner.pendingCheckpointState).toEqual(new Uint8Array([1, 2, 3]));
    expect(cp.lastCheckpoint).toEqual(new ESN('100'));
    await prepared.checkpoint();
    expect(cp.lastCheckpoint).toEqual(new ESN('400'));
    expect(inner.pendingCheckpoint).toBeUndefined();
    expect(writer.written).toEqual(['prepare 400', 'checkpoint 400']);
    const latest = await cp.prepareCheckpoint();
    expect(latest.pendingCheckpoint).toEqual(new ESN('500', 7));
  });

  it('prepareCheckpoint of the shard’s last record at shard end prepares SHARD_END', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('300'));
    cp.permitShardEnd();
    const prepared = await cp.prepareCheckpoint(record('300'));
    expect(prepared.pendingCheckpoint).toEqual(ESN.SHARD_END);
    await prepared.checkpoint();
    expect(cp.checkpointedShardEnd).toBe(true);
    expect(writer.written).toEqual(['prepare SHARD_END', 'checkpoint SHARD_END']);
  });

  it('once revoked, every call rejects with the revoking error and writes nothing', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('300'));
    const prepared = await cp.prepareCheckpoint('200');
    const error = new ShutdownError('the worker gave up on this shard');
    cp.revoke(error);
    cp.revoke(new ShutdownError('a second reason is ignored'));
    await expect(cp.checkpoint()).rejects.toBe(error);
    await expect(cp.checkpoint('300')).rejects.toBe(error);
    await expect(cp.prepareCheckpoint('300')).rejects.toBe(error);
    await expect(prepared.checkpoint()).rejects.toBe(error);
    expect(writer.written).toEqual(['prepare 200']);
  });

  it('passes a lost lease through as LeaseLostError', async () => {
    const { writer, cp } = setup();
    cp.permitUpTo(new ESN('300'));
    writer.token = 'someone-else';
    await expect(cp.checkpoint()).rejects.toThrow(LeaseLostError);
    expect(cp.lastCheckpoint).toEqual(new ESN('100'));
  });

  it('property: every argument form names the same position, and exactly the positions in [last, delivered] are accepted', async () => {
    const digits = fc.stringMatching(/^[1-9]\d{0,39}$/);
    await fc.assert(
      fc.asyncProperty(digits, fc.nat(1000), digits, fc.nat(1000), async (seq, sub, maxSeq, maxSub) => {
        const expected = new ESN(seq, sub);
        const permitted = new ESN(maxSeq, maxSub);
        const inRange = expected.compareTo(new ESN('0')) >= 0 && expected.compareTo(permitted) <= 0;
        for (const position of [expected, record(seq, sub), { sequenceNumber: seq, subSequenceNumber: sub }] as const) {
          const { writer, cp } = setup(new ESN('0'));
          cp.permitUpTo(permitted);
          const attempt = cp.checkpoint(position);
          if (inRange) {
            await attempt;
            expect(writer.writes.map((w) => w.position)).toEqual([expected]);
          } else {
            await expect(attempt).rejects.toThrow(CheckpointOutOfRangeError);
          }
        }
        const { writer, cp } = setup(new ESN('0'));
        cp.permitUpTo(permitted);
        await cp.checkpoint(seq, sub).catch(() => undefined);
        expect(writer.writes.map((w) => w.position)).toEqual(inRange ? [expected] : []);
      }),
      { numRuns: 100 },
    );
  });
});
