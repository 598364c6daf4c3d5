import { ExtendedSequenceNumber, InvalidStateError, LeaseLostError, ShutdownError } from '@shardline/core';
import { type InitializationInput, type KinesisClientRecord, ProcessorFailedError, type ProcessRecordsInput, type ShardCheckpointer, type ShardContext } from '@shardline/kcl-consumer';
import { parseChildLine } from '../protocol/parseLine';
import { CLIENT, DAEMON, expectSameMessage, FakeDaemon, recordingProcessor, SEQ } from '../../test/childHarness';

describe('runMultiLangProcessor', () => {
  it("answers the Java daemon's lines as aws-kcl and amazon_kclpy do, and resolves at end of stdin", async () => {
    const processor = recordingProcessor({
      async processRecords(input) {
        processor.calls.push('processRecords');
        processor.inputs.push(input);
        await input.checkpointer.checkpoint(input.records[0]);
      },
    });
    const daemon = new FakeDaemon(processor);

    daemon.send(DAEMON.initialize);
    expectSameMessage(await daemon.nextLine(), CLIENT.nodeStatusInitialize);
    const init = processor.inputs[0] as InitializationInput;
    expect(init).toEqual({
      shardId: 'shardId-000000000001',
      streamName: '',
      leaseKey: 'shardId-000000000001',
      checkpoint: ExtendedSequenceNumber.TRIM_HORIZON,
      pendingCheckpoint: undefined,
      pendingCheckpointState: undefined,
      signal: expect.any(AbortSignal),
    });

    daemon.send(DAEMON.processRecords);
    const checkpoint = await daemon.nextLine();
    expect(JSON.parse(checkpoint)).toEqual({ action: 'checkpoint', sequenceNumber: SEQ, subSequenceNumber: 0 });
    expect(Object.keys(JSON.parse(checkpoint) as object)).toEqual(['action', 'sequenceNumber', 'subSequenceNumber']);
    expect(await daemon.silent()).toBe(true); // no status before the reply
    daemon.send(`{"action":"checkpoint","sequenceNumber":"${SEQ}","subSequenceNumber":0,"error":null}`);
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });

    const batch = processor.inputs[1] as ProcessRecordsInput;
    expect(batch.records).toEqual<KinesisClientRecord[]>([
      {
        data: Buffer.from('hello'),
        partitionKey: 'pk1',
        explicitHashKey: undefined,
        sequenceNumber: SEQ,
        subSequenceNumber: 0,
        approximateArrivalTimestamp: new Date(1700000000000),
        aggregated: false,
      },
    ]);
    expect(batch.millisBehindLatest).toBe(0);
    expect(batch.isAtShardEnd).toBe(false);
    expect(batch.signal.aborted).toBe(false);
    expect(batch.checkpointer.lastCheckpoint).toEqual(new ExtendedSequenceNumber(SEQ));

    daemon.send(DAEMON.shardEnded);
    const all = await daemon.nextLine();
    expectSameMessage(all, CLIENT.pythonCheckpointAll);
    // aws-kcl omits subSequenceNumber; the daemon reads both as "no position"
    expect(parseChildLine(all)).toEqual(parseChildLine(CLIENT.nodeCheckpointAll));
    daemon.send('{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}');
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'shardEnded' });
    expect(batch.checkpointer.lastCheckpoint).toEqual(ExtendedSequenceNumber.SHARD_END);

    daemon.end();
    await daemon.done;
    expect(processor.calls).toEqual(['initialize', 'processRecords', 'shardEnded']);
    // one JSON object per line, nothing else
    expect(daemon.bytes).toBe(
      [
        '{"action":"status","responseFor":"initialize"}',
        `{"action":"checkpoint","sequenceNumber":"${SEQ}","subSequenceNumber":0}`,
        '{"action":"status","responseFor":"processRecords"}',
        '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}',
        '{"action":"status","responseFor":"shardEnded"}',
        '',
      ].join('\n'),
    );
  });

  it('sends the sub-sequence number of a checkpoint inside an aggregate', async () => {
    const daemon = new FakeDaemon(
      recordingProcessor({
        async processRecords({ checkpointer }) {
          await checkpointer.checkpoint('4959', 2);
        },
      }),
    );
    daemon.send(DAEMON.initialize);
    await daemon.next();
    daemon.send(DAEMON.processRecords);
    expectSameMessage(await daemon.nextLine(), CLIENT.pythonCheckpointSub);
    daemon.send('{"action":"checkpoint","sequenceNumber":"4959","subSequenceNumber":2,"error":null}');
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    daemon.end();
    await daemon.done;
  });

  it('turns error replies into typed errors the processor can handle', async () => {
    const errors: unknown[] = [];
    const daemon = new FakeDaemon(
      recordingProcessor({
        async processRecords({ checkpointer }) {
          await checkpointer.checkpoint('4959').catch((e: unknown) => errors.push(e));
          await checkpointer.checkpoint().catch((e: unknown) => errors.push(e));
        },
      }),
    );
    daemon.send(DAEMON.initialize);
    await daemon.next();
    daemon.send(DAEMON.processRecords);
    await daemon.next();
    daemon.send(DAEMON.checkpointShutdown);
    await daemon.next();
    daemon.send(DAEMON.checkpointIllegal);
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    expect(errors[0]).toBeInstanceOf(LeaseLostError);
    expect((errors[0] as LeaseLostError).leaseKey).toBe('shardId-000000000001');
    expect((errors[1] as Error).name).toBe('InvalidArgumentError');
    daemon.end();
    await daemon.done;
  });

  it('maps an initialize without checkpoint to TRIM_HORIZON and a real one to its position', async () => {
    const inputs: InitializationInput[] = [];
    const checkpointers: ShardCheckpointer[] = [];
    const daemon = new FakeDaemon(
      recordingProcessor({
        initialize: (input) => void inputs.push(input),
        processRecords: ({ checkpointer }) => void checkpointers.push(checkpointer),
      }),
    );
    daemon.send(DAEMON.initializeNulls);
    await daemon.next();
    expect(inputs[0]!.checkpoint).toEqual(ExtendedSequenceNumber.TRIM_HORIZON);
    daemon.send('{"action":"processRecords","records":[],"millisBehindLatest":null}');
    await daemon.next();
    expect(checkpointers[0]!.lastCheckpoint).toBeUndefined();
    daemon.end();
    await daemon.done;

    const again = new FakeDaemon(recordingProcessor({ initialize: (input) => void inputs.push(input) }));
    again.send('{"action":"initialize","shardId":"shardId-000000000002","sequenceNumber":"4959","subSequenceNumber":3}');
    await again.next();
    expect(inputs[1]!.checkpoint).toEqual(new ExtendedSequenceNumber('4959', 3));
    again.end();
    await again.done;
  });

  it('calls a factory once with the shard context', async () => {
    const contexts: ShardContext[] = [];
    const daemon = new FakeDaemon(
      (shard) => {
        contexts.push(shard);
        return recordingProcessor();
      },
      { streamName: 'orders' },
    );
    daemon.send(DAEMON.initialize, DAEMON.processRecords, DAEMON.leaseLost);
    await daemon.next();
    await daemon.next();
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'leaseLost' });
    expect(contexts).toEqual([{ shardId: 'shardId-000000000001', streamName: 'orders', leaseKey: 'shardId-000000000001' }]);
    daemon.end();
    await daemon.done;
  });

  it('converts KCL 1.x records: subSequenceNumber null → 0; a shared sequence number marks an aggregate', async () => {
    const batches: ProcessRecordsInput[] = [];
    const daemon = new FakeDaemon(recordingProcessor({ processRecords: (input) => void batches.push(input) }));
    daemon.send(DAEMON.initialize);
    await daemon.next();
    daemon.send(
      JSON.stringify({
        action: 'processRecords',
        records: [
          { data: '+//+', partitionKey: 'a', sequenceNumber: '100', approximateArrivalTimestamp: 1700000000000, subSequenceNumber: null, action: 'record' },
          { data: 'AA==', partitionKey: 'b', sequenceNumber: '200', approximateArrivalTimestamp: 1700000000001, subSequenceNumber: 0, action: 'record' },
          { data: 'AQ==', partitionKey: 'c', sequenceNumber: '200', approximateArrivalTimestamp: 1700000000001, subSequenceNumber: 1, action: 'record' },
          { data: null, partitionKey: 'd', sequenceNumber: '300', approximateArrivalTimestamp: null, subSequenceNumber: null, action: 'record' },
        ],
        millisBehindLatest: 1234,
      }),
    );
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    const [batch] = batches;
    expect(batch!.millisBehindLatest).toBe(1234);
    expect(batch!.records.map((r) => [r.partitionKey, r.sequenceNumber, r.subSequenceNumber, r.aggregated, r.data.toString('hex'), r.approximateArrivalTimestamp?.getTime()])).toEqual([
      ['a', '100', 0, false, 'fbfffe', 1700000000000],
      ['b', '200', 0, true, '00', 1700000000001],
      ['c', '200', 1, true, '01', 1700000000001],
      ['d', '300', 0, false, '', undefined],
    ]);
    daemon.end();
    await daemon.done;
  });

  it('reads non-ASCII partition keys as UTF-8, even split across chunks', async () => {
    const keys: string[] = [];
    const daemon = new FakeDaemon(recordingProcessor({ processRecords: ({ records }) => void keys.push(...records.map((r) => r.partitionKey)) }));
    daemon.send(DAEMON.initialize);
    await daemon.next();
    const line = Buffer.from(`${DAEMON.processRecords.replace('"pk1"', '"pé中😀"')}\n`, 'utf8');
    const cut = line.indexOf(Buffer.from('中')) + 1; // inside the 3-byte character
    daemon.input.write(line.subarray(0, cut));
    await new Promise((r) => setImmediate(r));
    daemon.input.write(line.subarray(cut));
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    expect(keys).toEqual(['pé中😀']);
    daemon.end();
    await daemon.done;
  });

  it('ignores lines that are not protocol messages, and logs them to stderr', async () => {
    const processor = recordingProcessor();
    const daemon = new FakeDaemon(processor);
    daemon.send('', 'hello daemon', 'null', '{', '{"action":"bogus"}', '[1,2]', '{"action":"checkpoint","sequenceNumber":"1","subSequenceNumber":0,"error":null}', DAEMON.initialize);
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'initialize' });
    expect(processor.calls).toEqual(['initialize']);
    expect(daemon.stderr).toContain('hello daemon');
    expect(daemon.stderr).toContain('not a MultiLang message');
    expect(daemon.stderr).toContain('no checkpoint was waiting for');
    daemon.end();
    await daemon.done;
    expect(daemon.bytes).toBe('{"action":"status","responseFor":"initialize"}\n');
  });

  it('answers shutdownRequested with status alone when the processor lacks it, and calls it otherwise', async () => {
    const bare = new FakeDaemon(recordingProcessor());
    bare.send(DAEMON.initialize, DAEMON.shutdownRequested);
    await bare.next();
    expectSameMessage(await bare.nextLine(), CLIENT.nodeStatusShutdownRequested);
    bare.end();
    await bare.done;

    const calls: string[] = [];
    const withIt = new FakeDaemon(
      recordingProcessor({
        async shutdownRequested({ checkpointer }) {
          calls.push('shutdownRequested');
          await checkpointer.checkpoint();
        },
      }),
    );
    withIt.send(DAEMON.initialize, DAEMON.shutdownRequested);
    await withIt.next();
    expect(await withIt.next()).toEqual({ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null });
    withIt.send('{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}');
    expect(await withIt.next()).toEqual({ action: 'status', responseFor: 'shutdownRequested' });
    expect(calls).toEqual(['shutdownRequested']);
    withIt.end();
    await withIt.done;
  });

  it('maps the KCL 1.x shutdown: TERMINATE → shardEnded with a checkpointer, ZOMBIE → leaseLost', async () => {
    const terminate = recordingProcessor();
    const daemon = new FakeDaemon(terminate);
    daemon.send(DAEMON.initialize, '{"action":"shutdown","reason":"TERMINATE"}');
    await daemon.next();
    expect(await daemon.next()).toEqual({ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null });
    daemon.send('{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}');
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'shutdown' });
    expect(terminate.calls).toEqual(['initialize', 'shardEnded']);
    daemon.end();
    await daemon.done;

    const zombie = recordingProcessor();
    const other = new FakeDaemon(zombie);
    other.send(DAEMON.initialize, '{"action":"shutdown","reason":"ZOMBIE"}');
    await other.next();
    expect(await other.next()).toEqual({ action: 'status', responseFor: 'shutdown' });
    expect(zombie.calls).toEqual(['initialize', 'leaseLost']);
    other.end();
    await other.done;
  });

  it('checkpoints SHARD_END itself for a processor without shardEnded, as the worker does', async () => {
    const daemon = new FakeDaemon({ processRecords: () => undefined });
    daemon.send(DAEMON.initialize, DAEMON.shardEnded);
    await daemon.next();
    expect(await daemon.next()).toEqual({ action: 'checkpoint', sequenceNumber: null, subSequenceNumber: null });
    daemon.send('{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}');
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'shardEnded' });
    daemon.end();
    await daemon.done;
  });

  it('logs a shardEnded that did not checkpoint SHARD_END', async () => {
    const daemon = new FakeDaemon(recordingProcessor({ shardEnded: () => undefined }));
    daemon.send(DAEMON.initialize, DAEMON.shardEnded);
    await daemon.next();
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'shardEnded' });
    expect(daemon.stderr).toContain('without checkpointing SHARD_END');
    daemon.end();
    await daemon.done;
  });

  it('waits for a checkpoint the processor did not await before answering status', async () => {
    let checkpoint: Promise<void> | undefined;
    const daemon = new FakeDaemon(
      recordingProcessor({
        processRecords: ({ checkpointer }) => {
          checkpoint = checkpointer.checkpoint();
        },
      }),
    );
    daemon.send(DAEMON.initialize, DAEMON.processRecords);
    await daemon.next();
    expect((await daemon.next()).action).toBe('checkpoint');
    expect(await daemon.silent()).toBe(true);
    daemon.send('{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}');
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    await checkpoint;
    daemon.end();
    await daemon.done;
  });

  it('refuses a checkpoint made after the call returned, without writing it', async () => {
    let kept: ShardCheckpointer | undefined;
    const daemon = new FakeDaemon(recordingProcessor({ processRecords: ({ checkpointer }) => void (kept = checkpointer) }));
    daemon.send(DAEMON.initialize, DAEMON.processRecords);
    await daemon.next();
    await daemon.next();
    await expect(kept!.checkpoint()).rejects.toBeInstanceOf(InvalidStateError);
    await expect(kept!.prepareCheckpoint()).rejects.toBeInstanceOf(InvalidStateError);
    expect(await daemon.silent()).toBe(true);
    daemon.end();
    await daemon.done;
  });

  it('fails a waiting checkpoint with InvalidStateError when another action arrives, and still runs that action', async () => {
    const seen: unknown[] = [];
    const processor = recordingProcessor({
      async processRecords({ checkpointer }) {
        await checkpointer.checkpoint().catch((e: unknown) => seen.push(e));
      },
    });
    const daemon = new FakeDaemon(processor);
    daemon.send(DAEMON.initialize, DAEMON.processRecords);
    await daemon.next();
    await daemon.next();
    daemon.send(DAEMON.leaseLost);
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'leaseLost' });
    expect(seen[0]).toBeInstanceOf(InvalidStateError);
    expect(processor.calls).toEqual(['initialize', 'leaseLost']);
    daemon.end();
    await daemon.done;
  });

  it('by default stops without a status when processRecords throws, so the batch is not skipped', async () => {
    const daemon = new FakeDaemon(
      recordingProcessor({
        processRecords: () => {
          throw new Error('boom');
        },
      }),
    );
    daemon.send(DAEMON.initialize, DAEMON.processRecords, DAEMON.leaseLost);
    await daemon.next();
    const error = await daemon.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProcessorFailedError);
    expect((error as ProcessorFailedError).call).toBe('processRecords');
    expect(((error as Error).cause as Error).message).toBe('boom');
    expect(daemon.stderr).toContain('boom');
    expect(await daemon.silent()).toBe(true);
    expect(daemon.bytes).toBe('{"action":"status","responseFor":"initialize"}\n');
  });

  it.each(['initialize', 'shardEnded'] as const)('also stops when %s throws', async (method) => {
    const daemon = new FakeDaemon(
      recordingProcessor({
        [method]: () => {
          throw new Error(`${method} failed`);
        },
      }),
    );
    daemon.send(DAEMON.initialize, DAEMON.shardEnded);
    await expect(daemon.done).rejects.toBeInstanceOf(ProcessorFailedError);
    expect(daemon.stderr).toContain(`${method} failed`);
  });

  it("with onProcessorError 'skip' answers status anyway, as amazon_kclpy does", async () => {
    const daemon = new FakeDaemon(
      recordingProcessor({
        processRecords: () => {
          throw new Error('boom');
        },
      }),
      { onProcessorError: 'skip' },
    );
    daemon.send(DAEMON.initialize, DAEMON.processRecords);
    await daemon.next();
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'processRecords' });
    expect(daemon.stderr).toContain('boom');
    daemon.end();
    await daemon.done;
  });

  it('answers leaseLost and shutdownRequested even when they throw', async () => {
    const daemon = new FakeDaemon(
      recordingProcessor({
        leaseLost: () => {
          throw new Error('leaseLost failed');
        },
        shutdownRequested: () => {
          throw new Error('shutdownRequested failed');
        },
      }),
    );
    daemon.send(DAEMON.initialize, DAEMON.shutdownRequested, DAEMON.leaseLost);
    await daemon.next();
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'shutdownRequested' });
    expect(await daemon.next()).toEqual({ action: 'status', responseFor: 'leaseLost' });
    daemon.end();
    await daemon.done;
    expect(daemon.stderr).toContain('leaseLost failed');
    expect(daemon.stderr).toContain('shutdownRequested failed');
  });

  it('aborts the batch signal and fails the waiting checkpoint when stdin ends mid-batch', async () => {
    let signal: AbortSignal | undefined;
    let checkpointError: unknown;
    const daemon = new FakeDaemon(
      recordingProcessor({
        async processRecords(input) {
          signal = input.signal;
          await input.checkpointer.checkpoint().catch((e: unknown) => (checkpointError = e));
        },
      }),
    );
    daemon.send(DAEMON.initialize, DAEMON.processRecords);
    await daemon.next();
    await daemon.next();
    daemon.end();
    await daemon.done;
    expect(signal!.aborted).toBe(true);
    expect(signal!.reason).toBeInstanceOf(ShutdownError);
    expect(checkpointError).toBeInstanceOf(ShutdownError);
  });

  it('aborts the signal of a lifecycle call too when stdin ends during it', async () => {
    let signal: AbortSignal | undefined;
    let release: () => void = () => undefined;
    const daemon = new FakeDaemon(
      recordingProcessor({
        shutdownRequested: (input) => {
          signal = input.signal;
          return new Promise<void>((resolve) => (release = resolve));
        },
      }),
    );
    daemon.send(DAEMON.initialize, DAEMON.shutdownRequested);
    await daemon.next();
    await new Promise((r) => setImmediate(r));
    expect(signal!.aborted).toBe(false);
    daemon.end();
    await new Promise((r) => setImmediate(r));
    expect(signal!.aborted).toBe(true);
    release();
    await daemon.done;
  });

  it('stops with a ProtocolError on a daemon line over maxLineBytes, since it cannot be answered', async () => {
    const daemon = new FakeDaemon(recordingProcessor(), { maxLineBytes: 64 });
    daemon.send(DAEMON.processRecords);
    await expect(daemon.done).rejects.toMatchObject({ name: 'ProtocolError' });
  });
});
