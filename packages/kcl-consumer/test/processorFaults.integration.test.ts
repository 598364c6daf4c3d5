import { createDynamoDbClient, createKinesisClient } from '@shardline/core';
import { type Lease, LeaseTable } from '@shardline/dynamo-lease';
import { createStream, injectFaults, networkError, serviceError, uniqueName } from '@shardline/testkit';
import {
  CheckpointOutOfRangeError,
  InvalidArgumentError,
  kclExceptionName,
  type KinesisClientRecord,
  MemoryMetrics,
  PollingRetrieval,
  type RecordProcessor,
  type ShardCheckpointer,
  type ShardContext,
  ShutdownError,
  Worker,
  type WorkerOptions,
} from '../src';
import { Ledger, putRecords, splitShard, testWorkerOptions, useEmulators, waitFor } from './helpers';

const t = useEmulators();

/** Small timings, so that every fault plays out in a second or two. */
const FAST = {
  failoverTimeMs: 1_500,
  processingTimeoutMs: 1_000,
  shutdownTimeoutMs: 1_000,
  maxProcessingAttempts: 3,
  processingRetryBackoff: { baseDelayMs: 20, maxDelayMs: 100 },
} as const;

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

async function startWorker(options: Partial<WorkerOptions> & Pick<WorkerOptions, 'streamName'>): Promise<Worker> {
  const worker = new Worker(testWorkerOptions(t, { applicationName: uniqueName('faults-app'), ...FAST, ...options }));
  workers.push(worker);
  await worker.start();
  return worker;
}

/** Every `processorFailed` event of a worker, in order. */
function failuresOf(worker: Worker): [leaseKey: string, outcome: 'failed' | 'hung'][] {
  const failures: [string, 'failed' | 'hung'][] = [];
  worker.on('processorFailed', (key, outcome) => void failures.push([key, outcome]));
  return failures;
}

async function leasesOf(worker: Worker): Promise<Lease[]> {
  const client = createDynamoDbClient({ env: t.env });
  try {
    return await new LeaseTable({ tableName: worker.options.tableName, client }).listLeases();
  } finally {
    client.destroy();
  }
}

async function leaseOf(worker: Worker, leaseKey: string): Promise<Lease> {
  const lease = (await leasesOf(worker)).find((l) => l.leaseKey === leaseKey);
  if (!lease) throw new Error(`no lease ${leaseKey}`);
  return lease;
}

/** The ledger's processor, with some calls replaced per shard. */
function processorWith(ledger: Ledger, overrides: (shard: ShardContext, base: RecordProcessor) => Partial<RecordProcessor>): (shard: ShardContext) => RecordProcessor {
  const factory = ledger.processor();
  return (shard) => {
    const base = factory(shard);
    return { ...base, ...overrides(shard, base) };
  };
}

const ids = (records: readonly KinesisClientRecord[]): string[] => records.map((r) => r.data.toString());
const forever = (): Promise<never> => new Promise<never>(() => undefined);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sortedShards = (byShard: Map<string, string[]>): [string, string[]][] => [...byShard].sort(([a], [b]) => a.localeCompare(b));

describe('processor faults against kinesalite + dynalite', () => {
  it('a batch whose processRecords throws fewer than maxProcessingAttempts times is re-delivered unchanged, then processing goes on: nothing lost, in order', async () => {
    const streamName = uniqueName('faults');
    await createStream(t.kinesis, streamName, 1);
    const expected = await putRecords(t.kinesis, streamName, 300);
    const [[shardId, shardIds]] = sortedShards(expected) as [[string, string[]]];
    const ledger = new Ledger();
    const metrics = new MemoryMetrics();
    const batchFirsts: string[] = [];
    const deliveriesOfThird: string[][] = [];
    const worker = await startWorker({
      streamName,
      maxRecords: 50,
      maxProcessingAttempts: 5,
      metrics,
      processor: processorWith(ledger, (_shard, base) => ({
        processRecords: async (input) => {
          const first = input.records[0]!.data.toString();
          if (!batchFirsts.includes(first)) batchFirsts.push(first);
          if (first === batchFirsts[2]) {
            deliveriesOfThird.push(ids(input.records));
            if (deliveriesOfThird.length <= 3) throw new Error(`injected failure ${deliveriesOfThird.length}`);
          }
          await base.processRecords(input);
        },
      })),
    });
    const failures = failuresOf(worker);
    await waitFor(() => (ledger.byShard.get(shardId)?.length ?? 0) >= shardIds.length, 30_000, 'every record');

    expect(ledger.byShard.get(shardId)).toEqual(shardIds);
    expect(deliveriesOfThird).toHaveLength(4);
    for (const delivery of deliveriesOfThird) expect(delivery).toEqual(shardIds.slice(100, 150));
    expect(metrics.total('kcl_processor_errors_total')).toBe(3);
    expect(failures).toEqual([]);
    expect(ledger.calls.filter((c) => c.startsWith('initialize'))).toHaveLength(1);
    await waitFor(async () => (await leaseOf(worker, shardId)).checkpoint?.sequenceNumber !== 'TRIM_HORIZON', 5_000, 'a checkpoint');
  });

  it('processRecords that always throws on one shard: after maxProcessingAttempts its lease is released (processorFailed), other shards go on, and once the fault stops the shard resumes from its checkpoint', async () => {
    const streamName = uniqueName('faults');
    await createStream(t.kinesis, streamName, 2);
    const expected = await putRecords(t.kinesis, streamName, 400);
    const [[target, targetIds], [other, otherIds]] = sortedShards(expected) as [[string, string[]], [string, string[]]];
    const ledger = new Ledger();
    const metrics = new MemoryMetrics();
    let faulty = true;
    let throws = 0;
    let throwsAtFirstFailure: number | undefined;
    const worker = await startWorker({
      streamName,
      maxRecords: 50,
      metrics,
      processor: processorWith(ledger, (shard, base) => ({
        processRecords: async (input) => {
          // The first batch goes through (and is checkpointed); every later one fails while `faulty`.
          if (shard.shardId === target && faulty && input.records[0]!.data.toString() !== targetIds[0]) {
            throws++;
            throw new Error('poison batch');
          }
          await base.processRecords(input);
        },
      })),
    });
    const failures = failuresOf(worker);
    worker.on('processorFailed', () => void (throwsAtFirstFailure ??= throws));

    await waitFor(() => failures.length >= 2, 20_000, 'two processorFailed events');
    await waitFor(() => (ledger.byShard.get(other)?.length ?? 0) >= otherIds.length, 20_000, 'the other shard');
    expect(faulty).toBe(true);
    expect(ledger.byShard.get(target)).toEqual(targetIds.slice(0, 50));
    expect(failures.every(([key, outcome]) => key === target && outcome === 'failed')).toBe(true);
    expect(throwsAtFirstFailure).toBe(FAST.maxProcessingAttempts);
    expect(metrics.total('kcl_processor_errors_total')).toBeGreaterThanOrEqual(2 * FAST.maxProcessingAttempts);
    expect(metrics.value('kcl_shard_releases_total', { reason: 'failed' })).toBeGreaterThanOrEqual(2);

    faulty = false;
    await waitFor(() => (ledger.byShard.get(target)?.length ?? 0) >= targetIds.length, 20_000, 'the failing shard once healed');
    expect(ledger.byShard.get(target)).toEqual(targetIds);
    expect(ledger.byShard.get(other)).toEqual(otherIds);
    // Every processor after the first started from the checkpoint after the first batch, not from the start.
    const inits = ledger.calls.filter((c) => c.startsWith(`initialize ${target} `));
    expect(inits.length).toBeGreaterThanOrEqual(3);
    expect(inits[0]).toBe(`initialize ${target} TRIM_HORIZON`);
    for (const init of inits.slice(1)) expect(init).toMatch(new RegExp(`^initialize ${target} \\d+$`));
    expect(ledger.calls.filter((c) => c.startsWith(`initialize ${other} `))).toHaveLength(1);
  });

  it('processRecords that hangs: after processingTimeoutMs processorFailed(hung), other shards unaffected, a fresh processor takes the shard over, and the hung call’s checkpointer is revoked', async () => {
    const streamName = uniqueName('faults');
    await createStream(t.kinesis, streamName, 2);
    const expected = await putRecords(t.kinesis, streamName, 200);
    const [[target, targetIds], [other, otherIds]] = sortedShards(expected) as [[string, string[]], [string, string[]]];
    const ledger = new Ledger();
    const metrics = new MemoryMetrics();
    let processors = 0;
    let hung: { checkpointer: ShardCheckpointer; signal: AbortSignal; records: readonly KinesisClientRecord[]; at: number } | undefined;
    const worker = await startWorker({
      streamName,
      metrics,
      processor: processorWith(ledger, (shard, base) => {
        const instance = shard.shardId === target ? ++processors : 0;
        return {
          processRecords: async (input) => {
            if (instance === 1) {
              hung = { checkpointer: input.checkpointer, signal: input.signal, records: input.records, at: performance.now() };
              return forever();
            }
            await base.processRecords(input);
          },
        };
      }),
    });
    const failures = failuresOf(worker);
    let hungReportedAt: number | undefined;
    worker.on('processorFailed', (_key, outcome) => void (outcome === 'hung' && (hungReportedAt ??= performance.now())));

    await waitFor(() => failures.length > 0, 10_000, 'processorFailed');
    expect(failures[0]).toEqual([target, 'hung']);
    expect(hungReportedAt! - hung!.at).toBeGreaterThanOrEqual(FAST.processingTimeoutMs - 50);
    expect(hung!.signal.aborted).toBe(true);
    expect(metrics.value('kcl_processor_timeouts_total', { stream: streamName, shard_id: target, call: 'processRecords' })).toBe(1);

    await waitFor(() => (ledger.byShard.get(target)?.length ?? 0) >= targetIds.length, 20_000, 'the hung shard, by a fresh processor');
    await waitFor(() => (ledger.byShard.get(other)?.length ?? 0) >= otherIds.length, 10_000, 'the other shard');
    expect(processors).toBe(2);
    expect(ledger.byShard.get(target)).toEqual(targetIds);
    expect(ledger.byShard.get(other)).toEqual(otherIds);
    expect(failures).toEqual([[target, 'hung']]);

    // The hung call wakes up much later and checkpoints: refused, and nothing is written.
    await waitFor(async () => /^\d+$/.test((await leaseOf(worker, target)).checkpoint?.sequenceNumber ?? ''), 5_000, 'the new processor’s checkpoint');
    const before = await leaseOf(worker, target);
    const lastHung = hung!.records[hung!.records.length - 1]!;
    for (const attempt of [() => hung!.checkpointer.checkpoint(), () => hung!.checkpointer.checkpoint(lastHung), () => hung!.checkpointer.prepareCheckpoint()]) {
      const error = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ShutdownError);
      expect(kclExceptionName(error)).toBe('ShutdownException');
    }
    const after = await leaseOf(worker, target);
    expect(after.checkpoint).toEqual(before.checkpoint);
    expect(after.pendingCheckpoint).toBeUndefined();
    expect(after.leaseOwner).toBe(worker.workerId);
  });

  it('shardEnded that never checkpoints SHARD_END is retried loudly and the children wait; once it checkpoints, the children are processed', async () => {
    const streamName = uniqueName('faults');
    await createStream(t.kinesis, streamName, 1);
    const parent = 'shardId-000000000000';
    const parentIds = (await putRecords(t.kinesis, streamName, 100, 'p')).get(parent)!;
    await splitShard(t.kinesis, streamName, parent);
    const childExpected = await putRecords(t.kinesis, streamName, 100, 'c');
    expect([...childExpected.keys()].sort()).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    const ledger = new Ledger();
    const metrics = new MemoryMetrics();
    let refuse = true;
    let parentCheckpointedAt: number | undefined;
    const violations: string[] = [];
    const worker = await startWorker({
      streamName,
      metrics,
      processor: processorWith(ledger, (shard, base) =>
        shard.shardId === parent
          ? {
              shardEnded: async (input) => {
                if (refuse) return void ledger.calls.push(`shardEnded ${parent} (no checkpoint)`);
                await base.shardEnded!(input);
                parentCheckpointedAt = performance.now();
              },
            }
          : {
              processRecords: async (input) => {
                if (parentCheckpointedAt === undefined) violations.push(`${shard.shardId} got ${input.records.length} records before ${parent} was checkpointed`);
                await base.processRecords(input);
              },
            },
      ),
    });
    const failures = failuresOf(worker);
    const ended: string[] = [];
    worker.on('shardEnded', (key) => void ended.push(key));

    // More refusals than one consumer's attempts: the lease was released and the shard retried.
    await waitFor(() => metrics.total('kcl_shard_end_not_checkpointed_total') > FAST.maxProcessingAttempts, 20_000, 'retried shardEnded');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.every(([key, outcome]) => key === parent && outcome === 'failed')).toBe(true);
    await waitFor(() => worker.shards.filter((s) => s.shardId !== parent).length === 2, 10_000, 'the child leases held');
    await sleep(500);
    expect(worker.shards.filter((s) => s.shardId !== parent).map((s) => s.state)).toEqual(['waiting-on-parents', 'waiting-on-parents']);
    expect([...childExpected.keys()].map((c) => ledger.byShard.get(c) ?? [])).toEqual([[], []]);
    expect(ended).toEqual([]);
    expect((await leaseOf(worker, parent)).checkpoint?.sequenceNumber).not.toBe('SHARD_END');

    refuse = false;
    await waitFor(() => [...childExpected].every(([c, expectedIds]) => (ledger.byShard.get(c)?.length ?? 0) >= expectedIds.length), 20_000, 'the children');
    expect(violations).toEqual([]);
    expect(ended).toContain(parent);
    expect(ledger.byShard.get(parent)).toEqual(parentIds);
    for (const [c, expectedIds] of childExpected) {
      expect(ledger.byShard.get(c)).toEqual(expectedIds);
      expect(ledger.firstRecordAt.get(c)!).toBeGreaterThan(parentCheckpointedAt!);
    }
    expect((await leaseOf(worker, parent)).checkpoint?.sequenceNumber).toBe('SHARD_END');
  });

  it('stop() while processRecords hangs: resolves within shutdownTimeoutMs, gives up on the call, and leaves every lease unowned', async () => {
    const streamName = uniqueName('faults');
    await createStream(t.kinesis, streamName, 2);
    const expected = await putRecords(t.kinesis, streamName, 100);
    const [[target], [other, otherIds]] = sortedShards(expected) as [[string, string[]], [string, string[]]];
    const ledger = new Ledger();
    let hung: { checkpointer: ShardCheckpointer; signal: AbortSignal } | undefined;
    const worker = await startWorker({
      streamName,
      processingTimeoutMs: 60_000,
      processor: processorWith(ledger, (shard, base) => ({
        processRecords: async (input) => {
          if (shard.shardId === target) {
            hung = { checkpointer: input.checkpointer, signal: input.signal };
            return forever();
          }
          await base.processRecords(input);
        },
      })),
    });
    await waitFor(() => hung !== undefined && (ledger.byShard.get(other)?.length ?? 0) >= otherIds.length, 20_000, 'a hung call and the other shard');

    const startedAt = performance.now();
    await worker.stop();
    const elapsed = performance.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(FAST.shutdownTimeoutMs - 50);
    expect(elapsed).toBeLessThan(FAST.shutdownTimeoutMs + 1_500);

    expect(hung!.signal.aborted).toBe(true);
    const error = await hung!.checkpointer.checkpoint().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ShutdownError);
    expect(ledger.calls).toContain(`shutdownRequested ${other}`);
    const leases = await leasesOf(worker);
    expect(leases).toHaveLength(2);
    for (const lease of leases) expect(lease.leaseOwner).toBeUndefined();
    expect((await leaseOf(worker, other)).checkpoint?.sequenceNumber).toMatch(/^\d+$/);
  });

  it('stop() while shutdownRequested hangs: resolves within shutdownTimeoutMs and leaves every lease unowned; the hung call’s checkpointer is revoked', async () => {
    const streamName = uniqueName('faults');
    await createStream(t.kinesis, streamName, 2);
    const expected = await putRecords(t.kinesis, streamName, 100);
    const ledger = new Ledger();
    const hungCheckpointers: ShardCheckpointer[] = [];
    const worker = await startWorker({
      streamName,
      processingTimeoutMs: 60_000,
      processor: processorWith(ledger, () => ({
        shutdownRequested: ({ checkpointer }) => {
          hungCheckpointers.push(checkpointer);
          return forever();
        },
      })),
    });
    await waitFor(() => ledger.distinct().size >= 100, 20_000, 'every record');

    const startedAt = performance.now();
    await worker.stop();
    const elapsed = performance.now() - startedAt;
    expect(hungCheckpointers).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(FAST.shutdownTimeoutMs - 50);
    expect(elapsed).toBeLessThan(FAST.shutdownTimeoutMs + 1_500);

    for (const checkpointer of hungCheckpointers) {
      const error = await checkpointer.checkpoint().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ShutdownError);
    }
    const leases = await leasesOf(worker);
    expect(leases).toHaveLength(2);
    for (const lease of leases) {
      expect(lease.leaseOwner).toBeUndefined();
      expect(expected.get(lease.leaseKey)?.length).toBeGreaterThan(0);
      expect(lease.checkpoint?.sequenceNumber).toMatch(/^\d+$/);
    }
  });

  describe('stop() while a processRecords retry is backing off (a long processingRetryBackoff)', () => {
    /** One shard; its first batch of 50 is processed (not checkpointed), every later batch throws. */
    async function backingOff(shutdownRequested: RecordProcessor['shutdownRequested'], options: Partial<WorkerOptions> = {}) {
      const streamName = uniqueName('faults');
      await createStream(t.kinesis, streamName, 1);
      const expected = await putRecords(t.kinesis, streamName, 100);
      const [[shardId, shardIds]] = sortedShards(expected) as [[string, string[]]];
      const ledger = new Ledger();
      const state: { lastProcessed?: KinesisClientRecord; throws: number } = { throws: 0 };
      const worker = await startWorker({
        streamName,
        maxRecords: 50,
        maxProcessingAttempts: 5,
        processingRetryBackoff: { baseDelayMs: 4_000, maxDelayMs: 4_000 },
        ...options,
        processor: processorWith(ledger, () => ({
          processRecords: ({ records }) => {
            if (records[0]!.data.toString() !== shardIds[0]) {
              state.throws++;
              throw new Error('poison batch');
            }
            ledger.record(shardId, records);
            state.lastProcessed = records[records.length - 1];
          },
          shutdownRequested,
        })),
      });
      const failures = failuresOf(worker);
      await waitFor(() => state.throws > 0, 10_000, 'a failed attempt');
      await sleep(50);
      return { worker, failures, state, shardId };
    }

    it('the backoff is cut short: shutdownRequested is called at once, with a checkpointer that still works', async () => {
      let checkpointed: unknown = 'not called';
      let position: KinesisClientRecord | undefined;
      const { worker, failures, state, shardId } = await backingOff(async ({ checkpointer }) => {
        position = state.lastProcessed;
        checkpointed = await checkpointer.checkpoint(position).then(
          () => 'ok',
          (e: unknown) => e,
        );
      });
      const startedAt = performance.now();
      await worker.stop();
      const elapsed = performance.now() - startedAt;
      expect(checkpointed).toBe('ok');
      expect(elapsed).toBeLessThan(FAST.shutdownTimeoutMs);
      expect(state.throws).toBe(1);
      expect(failures).toEqual([]);
      const lease = await leaseOf(worker, shardId);
      expect(lease.leaseOwner).toBeUndefined();
      expect(lease.checkpoint?.sequenceNumber).toBe(position!.sequenceNumber);
    });

    it('shutdownRequested hangs: stop() still resolves within shutdownTimeoutMs, with no processorFailed, and leaves the lease unowned', async () => {
      const { worker, failures, shardId } = await backingOff(() => forever(), { processingTimeoutMs: 5_000 });
      const startedAt = performance.now();
      await worker.stop();
      const elapsed = performance.now() - startedAt;
      expect(elapsed).toBeLessThan(FAST.shutdownTimeoutMs + 1_500);
      expect(failures).toEqual([]);
      expect((await leaseOf(worker, shardId)).leaseOwner).toBeUndefined();
    });
  });

  it('stop() while an automatic checkpoint write is slow past shutdownTimeoutMs and shutdownRequested hangs: once the worker gave up on the shard, no processor call is waited for', async () => {
    const streamName = uniqueName('faults');
    await createStream(t.kinesis, streamName, 1);
    await putRecords(t.kinesis, streamName, 50, 'a');
    const dynamoDbClient = createDynamoDbClient({ env: t.env, maxAttempts: 1 });
    const slowWriteMs = 1_200;
    let slow = false;
    let slowWrites = 0;
    const faults = injectFaults(dynamoDbClient, {
      before: async ({ commandName, input }) => {
        if (!slow || commandName !== 'UpdateItemCommand' || !String(input.UpdateExpression).includes('#checkpoint =')) return;
        slowWrites++;
        await sleep(slowWriteMs);
      },
    });
    try {
      const ledger = new Ledger();
      let shutdownRequestedCalls = 0;
      const worker = await startWorker({
        streamName,
        dynamoDbClient,
        failoverTimeMs: 5_000,
        processingTimeoutMs: 5_000,
        autoCheckpoint: true,
        processor: processorWith(ledger, (shard) => ({
          processRecords: ({ records }) => ledger.record(shard.shardId, records),
          shutdownRequested: () => {
            shutdownRequestedCalls++;
            return forever();
          },
        })),
      });
      await waitFor(() => ledger.distinct().size >= 50, 10_000, 'the first records');
      await waitFor(async () => /^\d+$/.test((await leasesOf(worker))[0]?.checkpoint?.sequenceNumber ?? ''), 5_000, 'their checkpoint');
      slow = true;
      await putRecords(t.kinesis, streamName, 10, 'b');
      await waitFor(() => slowWrites > 0, 10_000, 'a slow checkpoint write');

      const startedAt = performance.now();
      await worker.stop();
      const elapsed = performance.now() - startedAt;
      expect(elapsed).toBeLessThan(Math.max(FAST.shutdownTimeoutMs, slowWriteMs) + 1_000);
      // Called, perhaps, after the worker gave up on the shard, but not waited for.
      expect(shutdownRequestedCalls).toBeLessThanOrEqual(1);
      for (const lease of await leasesOf(worker)) expect(lease.leaseOwner).toBeUndefined();
    } finally {
      faults.remove();
      dynamoDbClient.destroy();
    }
  });

  it('checkpoints out of range reject with CheckpointOutOfRangeError, malformed ones with InvalidArgumentError; both are IllegalArgumentException and write nothing', async () => {
    const streamName = uniqueName('faults');
    await createStream(t.kinesis, streamName, 1);
    const expected = await putRecords(t.kinesis, streamName, 60);
    const [[shardId, shardIds]] = sortedShards(expected) as [[string, string[]]];
    const ledger = new Ledger();
    const metrics = new MemoryMetrics();
    const errors: Record<string, unknown> = {};
    let firstBatch: readonly KinesisClientRecord[] | undefined;
    let finalCheckpoint: KinesisClientRecord | undefined;
    const attempt = async (name: string, call: () => Promise<unknown>): Promise<void> => {
      errors[name] = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
    };
    const worker = await startWorker({
      streamName,
      maxRecords: 30,
      metrics,
      processor: processorWith(ledger, () => ({
        processRecords: async ({ records, checkpointer }) => {
          ledger.record(shardId, records);
          const last = records[records.length - 1]!;
          if (!firstBatch) {
            firstBatch = records;
            await attempt('beyondLastRecord', () => checkpointer.checkpoint((BigInt(last.sequenceNumber) + 1n).toString()));
            await attempt('beyondLastSubRecord', () => checkpointer.checkpoint(last.sequenceNumber, last.subSequenceNumber + 1));
            await attempt('shardEndTooEarly', () => checkpointer.checkpoint('SHARD_END'));
            await attempt('malformed', () => checkpointer.checkpoint('12abc'));
            await attempt('malformedObject', () => checkpointer.checkpoint({ sequenceNumber: 'not-a-number' }));
            await attempt('negativeSub', () => checkpointer.checkpoint(last.sequenceNumber, -1));
            await checkpointer.checkpoint(last);
          } else {
            await attempt('beforeLastCheckpoint', () => checkpointer.checkpoint(firstBatch![0]));
            await checkpointer.checkpoint();
            finalCheckpoint = last;
          }
        },
      })),
    });
    await waitFor(() => finalCheckpoint !== undefined, 20_000, 'both batches');
    expect(ledger.byShard.get(shardId)).toEqual(shardIds);

    for (const name of ['beyondLastRecord', 'beyondLastSubRecord', 'shardEndTooEarly', 'beforeLastCheckpoint']) {
      expect([name, errors[name]]).toEqual([name, expect.any(CheckpointOutOfRangeError)]);
      expect(kclExceptionName(errors[name])).toBe('IllegalArgumentException');
    }
    for (const name of ['malformed', 'malformedObject', 'negativeSub']) {
      expect([name, errors[name]]).toEqual([name, expect.any(InvalidArgumentError)]);
      expect(kclExceptionName(errors[name])).toBe('IllegalArgumentException');
    }
    // Refused before any write: only the two good checkpoints reached DynamoDB.
    expect(metrics.value('dynamo_lease_checkpoints_total', { kind: 'checkpoint', result: 'ok' })).toBe(2);
    expect(metrics.value('dynamo_lease_checkpoints_total', { kind: 'checkpoint', result: 'error' })).toBe(0);
    const lease = await leaseOf(worker, shardId);
    expect(lease.checkpoint?.sequenceNumber).toBe(finalCheckpoint!.sequenceNumber);
    expect(lease.checkpoint?.subSequenceNumber).toBe(0);
  });

  describe('a transient Kinesis outage on GetRecords (InternalFailure, ECONNRESET)', () => {
    async function outageTest(retrieval: (client: ReturnType<typeof createKinesisClient>) => Partial<WorkerOptions>): Promise<{ injected: number; iterators: number }> {
      const streamName = uniqueName('faults');
      await createStream(t.kinesis, streamName, 2);
      const before = await putRecords(t.kinesis, streamName, 200, 'a');
      const kinesisClient = createKinesisClient({ env: t.env, maxAttempts: 1 });
      let outage = false;
      let injected = 0;
      const faults = injectFaults(kinesisClient, {
        before: ({ commandName }) => {
          if (!outage || commandName !== 'GetRecordsCommand') return;
          injected++;
          throw injected % 2 ? serviceError('InternalFailure', 'injected outage', { fault: 'server' }) : networkError('ECONNRESET');
        },
      });
      try {
        const ledger = new Ledger();
        const worker = await startWorker({ streamName, kinesisClient, processor: ledger.processor(), ...retrieval(kinesisClient) });
        await waitFor(() => ledger.distinct().size >= 200, 20_000, 'the records before the outage');

        outage = true;
        await sleep(100); // a GetRecords already past the fault rule has answered by now
        const during = await putRecords(t.kinesis, streamName, 200, 'b');
        await sleep(1_500);
        expect(injected).toBeGreaterThanOrEqual(4);
        expect(ledger.distinct().size).toBe(200);
        outage = false;

        await waitFor(() => ledger.distinct().size >= 400, 30_000, 'the records put during the outage');
        for (const [shardId, first] of before) expect(ledger.byShard.get(shardId)).toEqual([...first, ...(during.get(shardId) ?? [])]);
        expect(worker.shards.map((s) => s.state)).toEqual(['processing', 'processing']);
        await worker.stop();
        return { injected, iterators: faults.calls.get('GetShardIteratorCommand') ?? 0 };
      } finally {
        faults.remove();
        kinesisClient.destroy();
      }
    }

    it('the shard reader retries through it: every record processed once, in order', async () => {
      await outageTest(() => ({}));
    });

    it('a reader that gives up is restarted by the consumer from the last processed record: every record processed once, in order', async () => {
      const { iterators } = await outageTest((client) => ({
        retrieval: new PollingRetrieval({ client, idleTimeBetweenReadsMs: 200, maxAttempts: 2, retryBackoff: { baseDelayMs: 20, maxDelayMs: 50 } }),
      }));
      // One iterator per shard at start; more only when the consumer restarted retrieval.
      expect(iterators).toBeGreaterThan(2);
    });
  });
});
