import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordCommand,
  PutRecordsCommand,
  type PutRecordsResultEntry,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  createStream,
  type Emulators,
  fetchLimitsStats,
  type LimitsFront,
  listAllShards,
  type ShardLimits,
  startEmulatorProcess,
  startEmulators,
  startLimitsFront,
  stopEmulatorProcess,
  uniqueName,
  waitForStreamActive,
} from '../src';

const PTEE = 'ProvisionedThroughputExceededException';

function client(endpoint: string): KinesisClient {
  // The stock client, SDK retries off so that each throttle is seen.
  return new KinesisClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, requestHandler: new NodeHttpHandler(), maxAttempts: 1 });
}

async function readShard(kinesis: KinesisClient, streamName: string, shardId: string): Promise<{ PartitionKey?: string; Data?: Uint8Array }[]> {
  const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  return (await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }))).Records ?? [];
}

function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('limits front in front of kinesalite', () => {
  let emulators: Emulators;
  let raw: KinesisClient;
  const fronts: LimitsFront[] = [];
  const clients: KinesisClient[] = [];

  async function front(limits?: Partial<ShardLimits>): Promise<{ kinesis: KinesisClient; front: LimitsFront }> {
    const f = await startLimitsFront({ kinesisEndpoint: emulators.kinesisEndpoint!, limits });
    fronts.push(f);
    const kinesis = client(f.endpoint);
    clients.push(kinesis);
    return { kinesis, front: f };
  }

  beforeAll(async () => {
    emulators = await startEmulators({ dynamodb: false });
    raw = client(emulators.kinesisEndpoint!);
  });
  afterAll(async () => {
    for (const c of [raw, ...clients]) c.destroy();
    await Promise.all(fronts.map((f) => f.close()));
    await emulators.stop();
  });

  it('a single-shard burst beyond 1 MiB/s gets per-entry ProvisionedThroughputExceededExceptions; the admitted entries are written', async () => {
    const { kinesis, front: f } = await front();
    const streamName = uniqueName('lim');
    await createStream(kinesis, streamName, 1);
    // 8 × 250,002 B in one call: 4 fit in the shard's 1 MiB, the other 4 do not.
    const data = Array.from({ length: 8 }, (_, i) => Buffer.alloc(250_000, 0x30 + i));
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: data.map((Data, i) => ({ PartitionKey: `k${i}`, Data })) }));
    expect(out.FailedRecordCount).toBe(4);
    const records = out.Records!;
    for (const r of records.slice(0, 4)) expect(r).toMatchObject({ ShardId: 'shardId-000000000000', SequenceNumber: expect.stringMatching(/^\d+$/) });
    for (const r of records.slice(4)) {
      expect(r).toEqual({ ErrorCode: PTEE, ErrorMessage: `Rate exceeded for shard shardId-000000000000 in stream ${streamName} under account 000000000000.` });
    }
    const read = await readShard(raw, streamName, 'shardId-000000000000');
    expect(read.map((r) => r.PartitionKey)).toEqual(['k0', 'k1', 'k2', 'k3']);
    read.forEach((r, i) => expect(Buffer.from(r.Data!).equals(data[i]!)).toBe(true));
    expect(f.stats()).toMatchObject({ throttledPutEntries: 4, admittedPutEntries: 4, admittedPutBytes: 4 * 250_002 });
  });

  it('more than 1,000 records/s on a shard: the excess entries are refused in place, never written', async () => {
    const { kinesis } = await front();
    const streamName = uniqueName('lim');
    await createStream(kinesis, streamName, 1);
    // 3,000 records at once, far beyond the limit; the bound allows for the refill while they arrive.
    const started = performance.now();
    const outs = await Promise.all(
      Array.from({ length: 6 }, (_, c) =>
        kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 500 }, (_, i) => ({ PartitionKey: `p${c}-${i}`, Data: Buffer.from('x') })) })),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    const entries: PutRecordsResultEntry[] = outs.flatMap((o) => o.Records!);
    const written = entries.filter((r) => r.SequenceNumber);
    const refused = entries.filter((r) => r.ErrorCode);
    expect(written.length + refused.length).toBe(3000);
    expect(refused.every((r) => r.ErrorCode === PTEE && r.ErrorMessage!.includes('shardId-000000000000'))).toBe(true);
    expect(outs.reduce((n, o) => n + o.FailedRecordCount!, 0)).toBe(refused.length);
    expect(written.length).toBeGreaterThanOrEqual(1000);
    expect(written.length).toBeLessThanOrEqual(1000 + Math.ceil(1000 * seconds));
    expect((await readShard(raw, streamName, 'shardId-000000000000')).length).toBe(written.length);
  });

  it('six GetRecords in one second on one shard: exactly one typed ProvisionedThroughputExceededException', async () => {
    const { kinesis, front: f } = await front();
    const streamName = uniqueName('lim');
    await createStream(kinesis, streamName, 1);
    await kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'a', Data: Buffer.from('hello') }));
    const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const results = await Promise.all(Array.from({ length: 6 }, () => rejection(kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator })))));
    const errors = results.filter((e) => e !== undefined);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(errors[0]).toMatchObject({ name: PTEE, message: `Rate exceeded for shard shardId-000000000000 in stream ${streamName} under account 000000000000.`, $metadata: { httpStatusCode: 400 } });
    expect(f.stats()).toMatchObject({ getRecordsCalls: 6, throttledGetRecords: 1 });
  });

  it('PutRecord over the budget fails whole with a typed ProvisionedThroughputExceededException (limits configurable)', async () => {
    const { kinesis, front: f } = await front({ writeRecordsPerSecond: 2 });
    const streamName = uniqueName('lim');
    await createStream(kinesis, streamName, 1);
    const put = (): Promise<unknown> => kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'same', Data: Buffer.from('d') }));
    const results = await Promise.all(Array.from({ length: 6 }, () => rejection(put())));
    const errors = results.filter((e) => e !== undefined);
    expect(errors.length).toBeGreaterThanOrEqual(3); // 2 fit, 6 arrive at once: at most one more refills in time
    for (const e of errors) expect(e).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(f.stats().throttledPutRecordCalls).toBe(errors.length);
    expect((await readShard(raw, streamName, 'shardId-000000000000')).length).toBe(6 - errors.length);
  });

  it('scale: a hundredth of the limits throttles a 100-record call down to 10', async () => {
    const { kinesis } = await front({ scale: 0.01 });
    const streamName = uniqueName('lim');
    await createStream(kinesis, streamName, 1);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 100 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('x') })) }));
    expect(out.FailedRecordCount).toBe(90);
    expect(out.Records!.slice(0, 10).every((r) => r.SequenceNumber)).toBe(true);
  });

  it('reads: an answer is cut at maxGetRecordsBytes, the shard then owes the bytes, and the next iterator continues after the cut', async () => {
    const { kinesis, front: f } = await front({ readBytesPerSecond: 100_000, maxGetRecordsBytes: 300_000 });
    const streamName = uniqueName('lim');
    await createStream(kinesis, streamName, 1);
    await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 5 }, (_, i) => ({ PartitionKey: `${i}`, Data: Buffer.alloc(99_999, i) })) }));
    const it = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const first = await kinesis.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
    expect(first.Records!.map((r) => r.PartitionKey)).toEqual(['0', '1', '2']);
    // 300,000 B at 100,000 B/s: the shard refuses reads for 3 s.
    await expect(kinesis.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator }))).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    let second;
    for (let i = 0; i < 150 && !second; i++) {
      second = await kinesis.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator })).catch((e: Error) => {
        if (e.name !== PTEE) throw e;
        return new Promise<undefined>((r) => setTimeout(() => r(undefined), 100));
      });
    }
    if (!second) throw new Error('the shard kept refusing reads');
    expect(second.Records!.map((r) => r.PartitionKey)).toEqual(['3', '4']);
    expect(f.stats()).toMatchObject({ truncatedGetRecords: 1, readBytes: 500_000 });
  });

  it('after a split through the front, writes are charged to the children', async () => {
    const { kinesis, front: f } = await front({ writeRecordsPerSecond: 10 });
    const streamName = uniqueName('lim');
    await createStream(kinesis, streamName, 1);
    await kinesis.send(new PutRecordCommand({ StreamName: streamName, PartitionKey: 'warm', Data: Buffer.from('x') }));
    await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (1n << 127n).toString() }));
    await waitForStreamActive(kinesis, streamName);
    const children = (await listAllShards(raw, streamName)).filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).map((s) => s.ShardId);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 200 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('x') })) }));
    const written = out.Records!.filter((r) => r.SequenceNumber);
    expect(written).toHaveLength(20); // 10 per child; the closed parent takes nothing
    for (const id of children) expect(written.filter((r) => r.ShardId === id)).toHaveLength(10);
    expect(out.Records!.filter((r) => r.ErrorCode).every((r) => children.some((id) => r.ErrorMessage!.includes(id!)))).toBe(true);
    expect(f.stats().shardMapLoads).toBe(2);
  });
});

describe('startEmulatorProcess with limits', () => {
  it('runs kinesalite and its limits front in a child process; counters over HTTP', async () => {
    const p = await startEmulatorProcess('kinesis', { limits: { writeRecordsPerSecond: 5 } });
    const kinesis = client(p.endpoint);
    try {
      expect(p.unlimitedEndpoint).not.toBe(p.endpoint);
      const streamName = uniqueName('lim');
      await createStream(kinesis, streamName, 1);
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('x') })) }));
      expect(out.FailedRecordCount).toBe(15);
      expect(await fetchLimitsStats(p.endpoint)).toMatchObject({ putRecordsCalls: 1, admittedPutEntries: 5, throttledPutEntries: 15 });
    } finally {
      kinesis.destroy();
      await stopEmulatorProcess(p);
    }
  });

  it('rejects limits for dynalite and invalid limits before starting anything', async () => {
    await expect(startEmulatorProcess('dynamodb', { limits: true })).rejects.toThrow('emulatorProcess.limits applies to the kinesis emulator only');
    await expect(startEmulatorProcess('kinesis', { limits: { scale: -1 } })).rejects.toThrow('emulatorProcess.limits.scale must be greater than 0 (got -1)');
  });
});
