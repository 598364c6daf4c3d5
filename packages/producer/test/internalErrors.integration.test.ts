import { type Clock, type Counter, createKinesisClient, createNoopLogger, createSystemClock, InternalError, type Logger, type Metrics } from '@shardline/core';
import { createStream, injectFaults, serviceError, uniqueName } from '@shardline/testkit';
import { Producer, type ProducerOptions, type PutFailure, type PutResult, putFailureOf } from '../src';
import { useKinesalite } from './kinesalite';
import { readAllShards, userRecords } from './readStream';

/** Resolves with `promise`'s outcome, or with 'hung' if it has not settled within `ms` (real time). */
async function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(resolve, ms, 'hung')));
  try {
    return await Promise.race([promise.then((value) => ({ value })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** A metrics seam every instrument of which throws. */
function throwingMetrics(): Metrics {
  const instrument = (): never => {
    throw new Error('metrics backend down');
  };
  const counter: Counter = { add: instrument };
  return { counter: () => counter, gauge: () => ({ set: instrument, add: instrument }), histogram: () => ({ observe: instrument }) };
}

/** A logger every method of which throws. */
function throwingLogger(): Logger {
  const log = (): never => {
    throw new Error('log sink down');
  };
  const logger: Logger = { trace: log, debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

describe('Producer internal errors (kinesalite)', () => {
  const k = useKinesalite();

  async function run(options: Partial<ProducerOptions>, count: number, fault?: (call: number) => void) {
    const streamName = uniqueName('internal');
    await createStream(k.kinesis, streamName, 2);
    const client = createKinesisClient({ env: k.emulators.env, maxAttempts: 1 });
    if (fault) injectFaults(client, { before: (ctx) => (ctx.commandName === 'PutRecordsCommand' ? fault(ctx.call) : undefined) });
    try {
      const producer = new Producer({ streamName, client, logger: createNoopLogger(), retryBackoff: { baseDelayMs: 10, maxDelayMs: 50 }, ...options });
      const puts = Array.from({ length: count }, (_, i) => producer.put(`r-${i}`, `key-${i % 500}`));
      const settled = await within(Promise.allSettled(puts), 20_000);
      const closed = await within(producer.close(), 10_000);
      const copies = new Map<string, number>();
      for (const u of userRecords(await readAllShards(k.kinesis, streamName))) copies.set(u.data.toString(), (copies.get(u.data.toString()) ?? 0) + 1);
      return { settled, closed, copies };
    } finally {
      client.destroy();
    }
  }

  function expectAllWrittenOnce(outcome: Awaited<ReturnType<typeof run>>, count: number): void {
    expect(outcome.settled).not.toBe('hung');
    expect(outcome.closed).not.toBe('hung');
    const results = (outcome.settled as { value: PromiseSettledResult<PutResult>[] }).value;
    expect(
      results
        .filter((r) => r.status === 'rejected')
        .map((r) => String(r.reason))
        .slice(0, 3),
    ).toEqual([]);
    expect(outcome.copies.size).toBe(count);
    expect([...outcome.copies.values()].every((n) => n === 1)).toBe(true);
  }

  it('a metrics seam whose instruments throw changes nothing for the records: every put settles, close() returns', async () => {
    expectAllWrittenOnce(await run({ metrics: throwingMetrics() }, 2_000), 2_000);
  });

  it('a logger that throws changes nothing for the records, also on the retry path', async () => {
    // The first call fails as a whole (retried, logged), the second is throttled (rate cut, logged).
    const outcome = await run({ logger: throwingLogger() }, 2_000, (call) => {
      if (call === 1) throw serviceError('InternalFailure', 'injected', { fault: 'server', httpStatusCode: 500 });
      if (call === 2) throw serviceError('ProvisionedThroughputExceededException', 'Rate exceeded');
    });
    expectAllWrittenOnce(outcome, 2_000);
  });

  it('retries an ordered aggregate of more user records than a call may take arguments (no RangeError)', async () => {
    // ~145k one-byte records under one key fill a single 1 MiB aggregate; its throttled retry once
    // spread them all into Math.max(), which throws RangeError past ~125k arguments.
    const streamName = uniqueName('internal');
    await createStream(k.kinesis, streamName, 1);
    const client = createKinesisClient({ env: k.emulators.env, maxAttempts: 1 });
    injectFaults(client, {
      before: (ctx) => {
        if (ctx.commandName === 'PutRecordsCommand' && ctx.call === 1) throw serviceError('ProvisionedThroughputExceededException', 'Rate exceeded');
      },
    });
    const count = 145_000;
    try {
      const producer = new Producer({
        streamName,
        client,
        logger: createNoopLogger(),
        ordered: true,
        maxAggregateBytes: 1_048_576,
        maxBufferedRecords: 200_000,
        adaptiveRateLimit: false,
        retryBackoff: { baseDelayMs: 10, maxDelayMs: 50 },
      });
      await producer.start();
      const puts = Array.from({ length: count }, () => producer.put('x', 'k'));
      const settled = await within(Promise.allSettled(puts), 30_000);
      expect(settled).not.toBe('hung');
      const results = (settled as { value: PromiseSettledResult<PutResult>[] }).value;
      expect(results.filter((r) => r.status === 'rejected')).toHaveLength(0);
      const first = (results[0] as PromiseFulfilledResult<PutResult>).value;
      expect(first.attempts.map((a) => a.errorCode)).toEqual(['ProvisionedThroughputExceededException', undefined]);
      expect(await within(producer.close(), 10_000)).not.toBe('hung');
    } finally {
      client.destroy();
    }
  });

  it('fails the records an internal error leaves in an unknown state with InternalError, instead of hanging', async () => {
    const streamName = uniqueName('internal');
    await createStream(k.kinesis, streamName, 2);
    const client = createKinesisClient({ env: k.emulators.env, maxAttempts: 1 });
    // A clock whose timers break once the producer is running: it can no longer bound a request or
    // wake itself up, so it must not keep the records.
    const system = createSystemClock();
    let broken = false;
    const clock: Clock = {
      now: () => system.now(),
      monotonicNow: () => system.monotonicNow(),
      sleep: (ms, signal) => {
        if (broken) throw new Error('timer wheel broke');
        return system.sleep(ms, signal);
      },
    };
    try {
      const producer = new Producer({ streamName, client, clock, logger: createNoopLogger() });
      await producer.start();
      const failures: PutFailure[] = [];
      producer.on('failure', (f) => failures.push(f));
      broken = true;
      const puts: Promise<PutResult>[] = [];
      for (let i = 0; i < 200; i++) puts.push(producer.put(`r-${i}`, `key-${i}`));
      const settled = await within(Promise.allSettled(puts), 10_000);
      expect(settled).not.toBe('hung');
      const results = (settled as { value: PromiseSettledResult<PutResult>[] }).value;
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const reason = (r as PromiseRejectedResult).reason as InternalError;
        expect(reason).toBeInstanceOf(InternalError);
        expect(reason.code).toBe('SHARDLINE_INTERNAL');
        expect((reason.cause as Error).message).toBe('timer wheel broke');
        expect(putFailureOf(reason)?.record.partitionKey).toMatch(/^key-/);
      }
      expect(failures).toHaveLength(200);
      expect(await within(producer.close(), 10_000)).not.toBe('hung');
    } finally {
      client.destroy();
    }
  });
});
