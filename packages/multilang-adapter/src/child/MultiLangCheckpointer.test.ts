import { ExtendedSequenceNumber, InvalidArgumentError, InvalidStateError, LeaseLostError, ShardlineError, ShutdownError, ThrottledError } from '@shardline/core';
import { kclExceptionName } from '@shardline/kcl-consumer';
import { MultiLangCheckpointer } from './MultiLangCheckpointer';

function setup(): { checkpointer: MultiLangCheckpointer; sent: unknown[] } {
  const sent: unknown[] = [];
  const checkpointer = new MultiLangCheckpointer((line) => sent.push(JSON.parse(line)), 'shardId-000000000001');
  checkpointer.initialized('shardId-000000000001', new ExtendedSequenceNumber('TRIM_HORIZON'));
  return { checkpointer, sent };
}

const reply = (sequenceNumber: string | null, subSequenceNumber: number | null, error: string | null = null) => ({ action: 'checkpoint' as const, sequenceNumber, subSequenceNumber, error });

describe('MultiLangCheckpointer', () => {
  it('sends null/null for checkpoint() and both numbers for a position, then settles with the reply', async () => {
    const { checkpointer, sent } = setup();
    checkpointer.open('processRecords');
    checkpointer.delivered(new ExtendedSequenceNumber('4959', 3));

    const all = checkpointer.checkpoint();
    expect(sent).toEqual([{ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null }]);
    expect(checkpointer.receive(reply(null, null))).toBe(true);
    await all;
    // "everything delivered" is the largest record handed over
    expect(checkpointer.lastCheckpoint).toEqual(new ExtendedSequenceNumber('4959', 3));

    const exact = checkpointer.checkpoint('4959', 2);
    expect(sent[1]).toEqual({ action: 'checkpoint', sequenceNumber: '4959', subSequenceNumber: 2 });
    expect(Object.keys(sent[1] as object)).toEqual(['action', 'sequenceNumber', 'subSequenceNumber']);
    checkpointer.receive(reply('4959', 2));
    await exact;
    expect(checkpointer.lastCheckpoint).toEqual(new ExtendedSequenceNumber('4959', 2));
  });

  it('takes a record, an ExtendedSequenceNumber or a bare sequence number (sub-sequence 0) as position', async () => {
    const { checkpointer, sent } = setup();
    checkpointer.open('processRecords');
    const record = { sequenceNumber: '49590338271490256608559692538361571095921575989136588898', subSequenceNumber: 5, partitionKey: 'pk', data: Buffer.alloc(0) };
    const a = checkpointer.checkpoint(record);
    checkpointer.receive(reply(record.sequenceNumber, 5));
    await a;
    const b = checkpointer.checkpoint(new ExtendedSequenceNumber('49590338271490256608559692538361571095921575989136588899', 7));
    checkpointer.receive(reply('49590338271490256608559692538361571095921575989136588899', 7));
    await b;
    const c = checkpointer.checkpoint('49590338271490256608559692538361571095921575989136588900');
    checkpointer.receive(reply('49590338271490256608559692538361571095921575989136588900', 0));
    await c;
    expect(sent).toEqual([
      { action: 'checkpoint', sequenceNumber: record.sequenceNumber, subSequenceNumber: 5 },
      { action: 'checkpoint', sequenceNumber: '49590338271490256608559692538361571095921575989136588899', subSequenceNumber: 7 },
      { action: 'checkpoint', sequenceNumber: '49590338271490256608559692538361571095921575989136588900', subSequenceNumber: 0 },
    ]);
  });

  it('rejects a malformed position locally with InvalidArgumentError', async () => {
    const { checkpointer, sent } = setup();
    checkpointer.open('processRecords');
    await expect(checkpointer.checkpoint('12ab')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(checkpointer.checkpoint('4959', -1)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(sent).toEqual([]);
  });

  it.each([
    ['ShutdownException', LeaseLostError, false],
    ['InvalidStateException', InvalidStateError, false],
    ['ThrottlingException', ThrottledError, true],
    ['IllegalArgumentException', InvalidArgumentError, false],
  ] as const)('turns the reply error %s into the matching typed error', async (name, type, retryable) => {
    const { checkpointer } = setup();
    checkpointer.open('processRecords');
    const pending = checkpointer.checkpoint('4959');
    checkpointer.receive(reply('4959', 0, name));
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect((error as ShardlineError).retryable).toBe(retryable);
    expect((error as Error).message).toContain(name);
    // the inverse of kcl-consumer's mapping, so a daemon built on it round-trips
    expect(kclExceptionName(error)).toBe(name);
    expect(checkpointer.lastCheckpoint).toEqual(ExtendedSequenceNumber.TRIM_HORIZON);
  });

  it.each(['KinesisClientLibDependencyException', 'NullPointerException'])('turns %s into a retryable ShardlineError that names it', async (name) => {
    const { checkpointer } = setup();
    checkpointer.open('processRecords');
    const pending = checkpointer.checkpoint();
    checkpointer.receive(reply(null, null, name));
    const error = (await pending.catch((e: unknown) => e)) as ShardlineError;
    expect(error).toBeInstanceOf(ShardlineError);
    expect(error.code).toBe('SHARDLINE_CHECKPOINT_FAILED');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(name);
  });

  it('keeps one checkpoint on the wire: a second call waits for the first reply', async () => {
    const { checkpointer, sent } = setup();
    checkpointer.open('processRecords');
    const first = checkpointer.checkpoint('1');
    const second = checkpointer.checkpoint('2');
    await Promise.resolve();
    expect(sent).toEqual([{ action: 'checkpoint', sequenceNumber: '1', subSequenceNumber: 0 }]);
    checkpointer.receive(reply('1', 0));
    await first;
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual({ action: 'checkpoint', sequenceNumber: '2', subSequenceNumber: 0 });
    checkpointer.receive(reply('2', 0));
    await second;
    expect(checkpointer.lastCheckpoint).toEqual(new ExtendedSequenceNumber('2'));
  });

  it('a failed checkpoint does not block the next one', async () => {
    const { checkpointer, sent } = setup();
    checkpointer.open('processRecords');
    const first = checkpointer.checkpoint('1');
    const second = checkpointer.checkpoint('2');
    checkpointer.receive(reply('1', 0, 'ThrottlingException'));
    await expect(first).rejects.toBeInstanceOf(ThrottledError);
    await new Promise((r) => setImmediate(r));
    expect(sent).toHaveLength(2);
    checkpointer.receive(reply('2', 0));
    await second;
  });

  it('rejects with InvalidStateError when another daemon message comes instead of the reply', async () => {
    const { checkpointer } = setup();
    checkpointer.open('processRecords');
    const pending = checkpointer.checkpoint('4959');
    checkpointer.interrupt('leaseLost');
    await expect(pending).rejects.toThrow(InvalidStateError);
    // the late reply, if any, is not mistaken for anyone's
    expect(checkpointer.receive(reply('4959', 0))).toBe(false);
  });

  it('checkpoint() during shardEnded commits SHARD_END', async () => {
    const { checkpointer } = setup();
    checkpointer.open('shardEnded');
    const pending = checkpointer.checkpoint();
    checkpointer.receive(reply(null, null));
    await pending;
    expect(checkpointer.lastCheckpoint).toEqual(ExtendedSequenceNumber.SHARD_END);
  });

  it('refuses checkpoints outside a call that has a checkpointer, and after it returned', async () => {
    const { checkpointer, sent } = setup();
    await expect(checkpointer.checkpoint()).rejects.toBeInstanceOf(InvalidStateError);
    checkpointer.open('processRecords');
    const inside = checkpointer.checkpoint('1');
    const settled = checkpointer.settle();
    await expect(checkpointer.checkpoint('2')).rejects.toBeInstanceOf(InvalidStateError);
    let done = false;
    void settled.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false); // status waits for the reply of the accepted call
    checkpointer.receive(reply('1', 0));
    await inside;
    await settled;
    expect(sent).toHaveLength(1);
  });

  it('prepareCheckpoint always rejects with InvalidStateError', async () => {
    const { checkpointer } = setup();
    checkpointer.open('processRecords');
    await expect(checkpointer.prepareCheckpoint()).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('fails the waiting and queued calls once closed', async () => {
    const { checkpointer, sent } = setup();
    checkpointer.open('processRecords');
    const first = checkpointer.checkpoint('1');
    const second = checkpointer.checkpoint('2');
    checkpointer.close(new ShutdownError('the daemon closed stdin'));
    await expect(first).rejects.toBeInstanceOf(ShutdownError);
    await expect(second).rejects.toBeInstanceOf(ShutdownError);
    await expect(checkpointer.checkpoint('3')).rejects.toBeInstanceOf(ShutdownError);
    expect(sent).toHaveLength(1);
  });

  it('tracks an initialize without checkpoint as unknown', () => {
    const checkpointer = new MultiLangCheckpointer(() => undefined);
    checkpointer.initialized('shardId-1', undefined);
    expect(checkpointer.lastCheckpoint).toBeUndefined();
  });
});
