import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { ExtendedSequenceNumber, LeaseLostError, ManualClock, MemoryMetrics, ResourceNotFoundError, ShutdownError } from '@shardline/core';
import { injectFaults, pollUntil, serviceError, uniqueName } from '@shardline/testkit';
import { LeaseCoordinator, type Lease, type LeaseCoordinatorOptions, type LeaseLostReason } from '../src';
import { advanceClock, DynamoHarness, RecordingLogger } from './helpers';

let dynamo: DynamoHarness;
const running: LeaseCoordinator[] = [];
const clients = new Map<LeaseCoordinator, ReturnType<DynamoHarness['client']>>();

beforeAll(async () => {
  dynamo = await DynamoHarness.start();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await dynamo.stop();
});

/** A coordinator on its own client (the harness destroys it), not started. */
function coordinator(tableName: string, workerId: string, options: Partial<LeaseCoordinatorOptions> = {}): LeaseCoordinator {
  const client = dynamo.client();
  const c = new LeaseCoordinator({ tableName, workerId, failoverTimeMs: 1500, client, ...options });
  running.push(c);
  clients.set(c, client);
  return c;
}

function events(c: LeaseCoordinator): { acquired: Lease[]; lost: [Lease, LeaseLostReason, number][]; released: Lease[] } {
  const log = { acquired: [] as Lease[], lost: [] as [Lease, LeaseLostReason, number][], released: [] as Lease[] };
  c.on('leaseAcquired', (l) => log.acquired.push(l));
  c.on('leaseLost', (l, reason) => log.lost.push([l, reason, Date.now()]));
  c.on('leaseReleased', (l) => log.released.push(l));
  return log;
}

/** Workers a and b on a new table with one unowned lease `s-0`; their takers wait a minute. */
async function twoWorkersOneLease(): Promise<[LeaseCoordinator, LeaseCoordinator]> {
  const tableName = uniqueName('coord');
  const manual = { takerIntervalMs: 60_000 };
  const a = coordinator(tableName, 'a', manual);
  const b = coordinator(tableName, 'b', manual);
  await a.init();
  await a.createLeasesIfNotExist([{ leaseKey: 's-0' }]);
  await Promise.all([a.start(), b.start()]);
  return [a, b];
}

describe('LeaseCoordinator', () => {
  it('creates the table, takes unowned leases, renews them with UpdateItem only, and releases them on close', async () => {
    const tableName = uniqueName('coord');
    const a = coordinator(tableName, 'a', { takerIntervalMs: 60_000 });
    await a.init();
    expect(await a.createLeasesIfNotExist([{ leaseKey: 's-0' }, { leaseKey: 's-1', parentShardIds: ['s-0'] }])).toEqual(['s-0', 's-1']);
    expect(await a.createLeasesIfNotExist([{ leaseKey: 's-0' }])).toEqual([]);
    const faults = injectFaults(clients.get(a)!, {});
    const log = events(a);
    await a.start();
    expect(await pollUntil(() => a.heldLeases().length === 2, 5_000)).toBe(true);
    const scansAfterStart = faults.calls.get('ScanCommand') ?? 0;
    const updatesAfterStart = faults.calls.get('UpdateItemCommand') ?? 0;
    // Three renew intervals later: ~3 renewals per lease, and not a single extra scan.
    await new Promise((r) => setTimeout(r, 3 * a.options.renewIntervalMs + 100));
    expect((faults.calls.get('UpdateItemCommand') ?? 0) - updatesAfterStart).toBeGreaterThanOrEqual(2 * 2);
    expect(faults.calls.get('ScanCommand') ?? 0).toBe(scansAfterStart);
    expect(log.acquired.map((l) => l.leaseKey).sort()).toEqual(['s-0', 's-1']);

    const cp = a.checkpointer('s-0');
    await a.close();
    expect(log.released.map((l) => l.leaseKey).sort()).toEqual(['s-0', 's-1']);
    expect(log.lost).toEqual([]);
    const stored = await a.table.listLeases();
    expect(stored.every((l) => l.leaseOwner === undefined)).toBe(true);
    await expect(cp.checkpoint(new ExtendedSequenceNumber('5'))).rejects.toThrow(ShutdownError);
    await expect(a.claimShard('s-0')).rejects.toThrow(ShutdownError);
  });

  it("rejects a stale owner's checkpoint, in DynamoDB and locally by the acquisition token", async () => {
    const [a, b] = await twoWorkersOneLease();
    const logA = events(a);
    const logB = events(b);
    expect(await a.acquireLease('s-0')).toMatchObject({ leaseOwner: 'a' });
    expect(await b.acquireLease('s-0')).toBeUndefined(); // held by a live worker
    const staleCheckpointer = a.checkpointer('s-0');
    await staleCheckpointer.checkpoint(new ExtendedSequenceNumber('100'));

    // Another worker (here a raw table write, as a Java KCL worker would do) takes the lease:
    // a's next write is rejected by the counter fence, and a reports the loss.
    let stolen = false;
    for (let attempt = 0; attempt < 10 && !stolen; attempt++) {
      // a renews every few hundred ms: retry if a renewal slipped between our read and our take.
      stolen = (await b.table.takeLease((await b.table.getLease('s-0'))!, 'java-worker')).ok;
    }
    expect(stolen).toBe(true);
    await expect(staleCheckpointer.checkpoint(new ExtendedSequenceNumber('200'))).rejects.toThrow(LeaseLostError);
    expect(logA.lost.map(([l, reason]) => [l.leaseKey, reason])).toEqual([['s-0', 'taken']]);
    expect((await a.fetchCheckpoint('s-0'))?.checkpoint?.sequenceNumber).toBe('100');
    expect(() => a.checkpointer('s-0')).toThrow(LeaseLostError);

    // b claims it, then a claims it back: each claim is announced only after the previous holder
    // had a renewal rejected, so b's loss is reported before a is told it holds the lease again.
    expect(await b.claimShard('s-0')).toMatchObject({ leaseOwner: 'b', ownerSwitchesSinceCheckpoint: 2 });
    let aReacquiredAt = 0;
    a.on('leaseAcquired', () => (aReacquiredAt = Date.now()));
    expect(await a.claimShard('s-0')).toMatchObject({ leaseOwner: 'a' });
    expect(logB.lost.map(([l, reason]) => [l.leaseKey, reason])).toEqual([['s-0', 'taken']]);
    // The announcement waits one renew interval plus a round-trip margin; allow for late timers on a busy machine.
    expect(logB.lost[0]![2]).toBeLessThanOrEqual(aReacquiredAt + 250);

    // The old checkpointer belongs to a's first acquisition: refused locally, without a write.
    const faults = injectFaults(clients.get(a)!, {});
    await expect(staleCheckpointer.checkpoint(new ExtendedSequenceNumber('300'))).rejects.toThrow(LeaseLostError);
    expect(faults.calls.get('UpdateItemCommand') ?? 0).toBe(0);
    faults.remove();
    const fresh = a.checkpointer('s-0');
    expect(fresh).not.toBe(staleCheckpointer);
    await fresh.checkpoint(new ExtendedSequenceNumber('300'));
    await expect(b.checkpoint('s-0', new ExtendedSequenceNumber('400'))).rejects.toThrow(LeaseLostError);
    expect((await b.fetchCheckpoint('s-0'))?.checkpoint?.sequenceNumber).toBe('300');
  });

  it('lets exactly one of two coordinators acquire the same lease, round after round', async () => {
    const [a, b] = await twoWorkersOneLease();
    const winners: string[] = [];
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([a.acquireLease('s-0'), b.acquireLease('s-0')]);
      const won = results.filter((r) => r !== undefined);
      expect(won).toHaveLength(1);
      const stored = await a.table.getLease('s-0');
      expect(stored?.leaseOwner).toBe(won[0]!.leaseOwner);
      expect([a, b].filter((c) => c.getHeldLease('s-0') !== undefined).map((c) => c.workerId)).toEqual([won[0]!.leaseOwner]);
      winners.push(won[0]!.leaseOwner!);
      expect(await (won[0]!.leaseOwner === 'a' ? a : b).releaseLease('s-0')).toBe(true);
    }
    expect(winners).toHaveLength(10);
  });

  it('hands a prepared checkpoint and its state to the next owner', async () => {
    const [a, b] = await twoWorkersOneLease();
    await a.acquireLease('s-0');
    const cp = a.checkpointer('s-0');
    cp.setLargestPermittedCheckpoint(new ExtendedSequenceNumber('50', 4));
    await cp.checkpoint(new ExtendedSequenceNumber('50', 1));
    const prepared = await cp.prepareCheckpoint(undefined, new TextEncoder().encode('{"offset":4}'));
    expect(prepared.pendingCheckpoint.toString()).toBe('50:4');
    await expect(cp.checkpoint(new ExtendedSequenceNumber('49'))).rejects.toMatchObject({ code: 'SHARDLINE_CHECKPOINT_OUT_OF_RANGE' });
    await a.releaseLease('s-0');

    await b.acquireLease('s-0');
    const next = b.checkpointer('s-0');
    expect(next.lastCheckpoint?.toString()).toBe('50:1');
    expect(next.pendingCheckpoint?.toString()).toBe('50:4');
    expect(new TextDecoder().decode(next.pendingCheckpointState)).toBe('{"offset":4}');
    await next.checkpoint(new ExtendedSequenceNumber('60'));
    expect(await b.fetchCheckpoint('s-0')).toMatchObject({ pendingCheckpoint: undefined, pendingCheckpointState: undefined, ownerSwitchesSinceCheckpoint: 0 });
  });

  it('drops a lease within failoverTimeMs when renewals keep failing, before a peer can take it', async () => {
    const tableName = uniqueName('coord');
    const a = coordinator(tableName, 'a', { takerIntervalMs: 60_000 });
    const b = coordinator(tableName, 'b', { takerIntervalMs: 200 });
    await a.init();
    await a.createLeasesIfNotExist([{ leaseKey: 's-0' }]);
    await a.start();
    expect(await pollUntil(() => a.heldLeases().length === 1, 5_000)).toBe(true);
    const logA = events(a);
    const errors: unknown[] = [];
    a.on('error', (e) => errors.push(e));
    let acquiredByB = 0;
    b.on('leaseAcquired', () => (acquiredByB = Date.now()));
    await b.start();
    const cutAt = Date.now();
    injectFaults(clients.get(a)!, {
      before(ctx) {
        if (ctx.commandName === 'UpdateItemCommand') throw serviceError('InternalServerError', 'down', { fault: 'server' });
      },
    });
    expect(await pollUntil(() => acquiredByB > 0, 10_000)).toBe(true);
    expect(logA.lost.map(([l, reason]) => [l.leaseKey, reason])).toEqual([['s-0', 'expired']]);
    const lostAt = logA.lost[0]![2];
    expect(lostAt).toBeLessThanOrEqual(acquiredByB);
    expect(lostAt - cutAt).toBeLessThanOrEqual(a.options.failoverTimeMs + 500); // timers may run late on a busy machine
    expect(errors.length).toBeGreaterThan(0);
    expect(() => a.checkpointer('s-0')).toThrow(LeaseLostError);
  });

  it('takes back its own leases at start when restarted with the same workerId', async () => {
    const tableName = uniqueName('coord');
    const first = coordinator(tableName, 'stable', { failoverTimeMs: 60_000 });
    await first.init();
    await first.createLeasesIfNotExist([0, 1, 2].map((i) => ({ leaseKey: `s-${i}` })));
    await first.start();
    expect(await pollUntil(() => first.heldLeases().length === 3, 5_000)).toBe(true);
    await first.stop({ release: false });
    expect((await first.table.listLeases()).every((l) => l.leaseOwner === 'stable')).toBe(true);

    const second = coordinator(tableName, 'stable', { failoverTimeMs: 60_000 });
    const log = events(second);
    await second.start();
    // Right away, not after the 60 s failover time.
    expect(
      second
        .heldLeases()
        .map((l) => l.leaseKey)
        .sort(),
    ).toEqual(['s-0', 's-1', 's-2']);
    expect(log.acquired).toHaveLength(3);
  });

  it('lists active workers, records child shards, and reports metrics', async () => {
    const tableName = uniqueName('coord');
    const metrics = new MemoryMetrics();
    const a = coordinator(tableName, 'a', { metrics, maxLeasesForWorker: 2 });
    const b = coordinator(tableName, 'b');
    await a.init();
    await a.createLeasesIfNotExist([0, 1, 2, 3].map((i) => ({ leaseKey: `s-${i}` })));
    await a.start();
    await b.start();
    expect(await pollUntil(() => a.heldLeases().length === 2 && b.heldLeases().length === 2, 10_000)).toBe(true);
    const workers = await a.listActiveWorkers();
    expect([...workers.keys()].sort()).toEqual(['a', 'b']);
    expect(workers.get('a')).toEqual(
      a
        .heldLeases()
        .map((l) => l.leaseKey)
        .sort(),
    );

    const key = a.heldLeases()[0]!.leaseKey;
    const counter = a.getHeldLease(key)!.leaseCounter;
    const updated = await b.updateChildShards(key, ['s-9', 's-8']);
    expect(updated?.childShardIds).toEqual(['s-8', 's-9']);
    expect(updated!.leaseCounter).toBeLessThanOrEqual(counter + 1); // no bump of its own
    expect(await b.updateChildShards('nope', ['x'])).toBeUndefined();
    await expect(b.acquireLease('nope')).rejects.toThrow(ResourceNotFoundError);

    expect(metrics.value('dynamo_lease_held')).toBe(2);
    expect(metrics.value('dynamo_lease_takes_total', { kind: 'take', result: 'ok' })).toBe(2);
    expect(metrics.total('dynamo_lease_taker_runs_total')).toBeGreaterThan(0);
    expect(await pollUntil(() => metrics.value('dynamo_lease_renewals_total', { result: 'ok' }) > 0, 5_000)).toBe(true);
  });

  it('can be stopped while starting, or without ever starting, and then refuses to start', async () => {
    const tableName = uniqueName('coord');
    const a = coordinator(tableName, 'a');
    await a.init();
    await a.createLeasesIfNotExist([{ leaseKey: 's-0' }]);
    const starting = a.start();
    await a.close();
    await expect(starting).rejects.toThrow(ShutdownError);
    expect(a.heldLeases()).toEqual([]);
    expect((await a.table.getLease('s-0'))?.leaseOwner).toBeUndefined();
    await expect(a.start()).rejects.toThrow(ShutdownError);

    const owning = new LeaseCoordinator({ tableName, clientOptions: { env: dynamo.env } });
    await owning.close(); // destroys the client it created; nothing else to do
  });

  it('with createTableIfNotExists false, says what it waits for: at once, then every 10 s, then when the table is ready', async () => {
    const tableName = uniqueName('absent');
    const clock = new ManualClock();
    const logger = new RecordingLogger();
    const client = dynamo.client();
    const c = new LeaseCoordinator({ tableName, workerId: 'a', createTableIfNotExists: false, client, clock, logger });
    running.push(c);
    let started = false;
    const starting = c.start().then(() => (started = true));
    await advanceClock(clock, 25_000, { stepMs: 250 });
    const waiting = logger.find('warn', 'waiting for lease table');
    // At once, at 10 s and at 20 s: what, which table, in what state, for how long so far.
    expect(waiting.map((l) => Math.round((l.fields.waitedMs as number) / 1000))).toEqual([0, 10, 20]);
    expect(waiting[0]!.fields).toMatchObject({ tableName, status: 'missing', timeoutMs: 300_000 });
    expect(waiting[0]!.msg).toContain(tableName);
    expect(started).toBe(false);

    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        KeySchema: [{ AttributeName: 'leaseKey', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'leaseKey', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await advanceClock(clock, 2_000, { stepMs: 250 });
    expect(await pollUntil(() => started, 5_000)).toBe(true);
    await starting;
    expect(logger.find('info', 'is ACTIVE').map((l) => l.fields.tableName)).toEqual([tableName]);
  });

  it('scans eventually consistent by default, as the KCL; strongly consistent with consistentReads', async () => {
    const tableName = uniqueName('coord');
    const reads = (c: LeaseCoordinator): { scans: unknown[]; gets: unknown[] } => {
      const seen = { scans: [] as unknown[], gets: [] as unknown[] };
      injectFaults(clients.get(c)!, {
        before(ctx) {
          if (ctx.commandName === 'ScanCommand') seen.scans.push(ctx.input.ConsistentRead);
          if (ctx.commandName === 'GetItemCommand') seen.gets.push(ctx.input.ConsistentRead);
        },
      });
      return seen;
    };
    const a = coordinator(tableName, 'a', { takerIntervalMs: 100 });
    const b = coordinator(tableName, 'b', { takerIntervalMs: 100, consistentReads: true });
    const seenA = reads(a);
    const seenB = reads(b);
    await a.init();
    await a.createLeasesIfNotExist([{ leaseKey: 's-0' }]);
    await Promise.all([a.start(), b.start()]);
    await a.takeLeases();
    await a.fetchCheckpoint('s-0');
    expect(await pollUntil(() => seenA.scans.length >= 3 && seenB.scans.length >= 3, 5_000)).toBe(true);
    expect(new Set(seenA.scans)).toEqual(new Set([false]));
    expect(new Set(seenB.scans)).toEqual(new Set([true]));
    expect(new Set(await a.table.listLeases().then(() => seenA.scans))).toEqual(new Set([false]));
    // Point reads (takes by key, checkpoints, lineage) stay strongly consistent.
    expect(new Set(seenA.gets)).toEqual(new Set([true]));
  });

  it('rejects invalid options before any I/O, naming the field', () => {
    expect(() => new LeaseCoordinator({ tableName: 'x' })).toThrow('leaseCoordinator.tableName must match');
    expect(() => new LeaseCoordinator({ tableName: 'leases', failoverTimeMs: 50 })).toThrow('leaseCoordinator.failoverTimeMs must be an integer between 200');
    expect(() => new LeaseCoordinator({ tableName: 'leases', failoverTimeMillis: 10_000 } as never)).toThrow('did you mean leaseCoordinator.failoverTimeMs');
  });
});
