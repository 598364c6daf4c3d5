import { createKinesisClient, createNoopLogger, ShutdownError } from '@shardline/core';
import { createStream, injectFaults, uniqueName } from '@shardline/testkit';
import { BufferFullError, Producer, type ProducerOptions } from '../src';
import { useKinesalite } from './kinesalite';

/** The reason `p` rejected with, 'pending' if it has not settled within 50 ms, or 'resolved'. */
async function outcomeSoon(p: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise((resolve) => (timer = setTimeout(resolve, 50, 'pending')));
  try {
    return await Promise.race([
      p.then(
        () => 'resolved',
        (error: unknown) => error,
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('Producer puts waiting for buffer room (kinesalite, stalled PutRecords)', () => {
  const k = useKinesalite();
  let finish: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await finish?.();
    finish = undefined;
  });

  /** A producer whose PutRecords calls never answer (until the test ends): its buffer fills and stays full. */
  async function stalledProducer(options: Partial<ProducerOptions>): Promise<Producer> {
    const streamName = uniqueName('waiting');
    await createStream(k.kinesis, streamName, 1);
    const client = createKinesisClient({ env: k.emulators.env, maxAttempts: 1 });
    let unstall!: () => void;
    const stalled = new Promise<void>((resolve) => (unstall = resolve));
    injectFaults(client, { before: (ctx) => (ctx.commandName === 'PutRecordsCommand' ? stalled : undefined) });
    const producer = new Producer({ streamName, client, logger: createNoopLogger(), requestTimeoutMs: 600_000, recordTtlMs: 600_000, ...options });
    finish = async () => {
      await producer.close({ timeoutMs: 0 });
      unstall();
      client.destroy();
    };
    await producer.start();
    return producer;
  }

  it('bounds the puts waiting for room: beyond maxWaitingPuts, put and send reject at once with BufferFullError', async () => {
    const producer = await stalledProducer({ maxBufferedRecords: 10, maxWaitingPuts: 5 });
    const controller = new AbortController();
    const accepted = Array.from({ length: 10 }, (_, i) => producer.put(`a-${i}`, `k-${i}`));
    const waiting = Array.from({ length: 5 }, (_, i) => producer.put(`w-${i}`, `k-${i}`, i === 4 ? { signal: controller.signal } : undefined));
    for (const p of [...accepted, ...waiting]) p.catch(() => undefined);
    expect(producer.outstanding).toBe(10);
    expect(producer.waitingPuts).toBe(5);
    expect(await outcomeSoon(waiting[0]!)).toBe('pending');

    const over = await outcomeSoon(producer.put('over', 'k-over'));
    expect(over).toBeInstanceOf(BufferFullError);
    expect((over as Error).message).toMatch(/maxWaitingPuts \(5\)/);
    expect(await outcomeSoon(producer.send('over', 'k-over'))).toBeInstanceOf(BufferFullError);
    expect(producer.waitingPuts).toBe(5);

    // A waiter that gives up frees its place for the next caller.
    controller.abort(new Error('gave up'));
    await expect(waiting[4]).rejects.toThrow('gave up');
    expect(producer.waitingPuts).toBe(4);
    const last = producer.put('w-last', 'k-last');
    last.catch(() => undefined);
    expect(producer.waitingPuts).toBe(5);
    expect(await outcomeSoon(producer.put('over', 'k-over'))).toBeInstanceOf(BufferFullError);

    await finish!();
    finish = undefined;
    // Accepted and waiting puts fail typed at close; nothing hangs.
    for (const p of [...accepted, ...waiting.slice(0, 4), last]) expect(await outcomeSoon(p)).toBeInstanceOf(ShutdownError);
  });

  it('bounds them by default, at 10,000', async () => {
    const producer = await stalledProducer({ maxBufferedRecords: 10 });
    const puts = Array.from({ length: 10 + 10_000 }, (_, i) => producer.put(`r-${i}`, `k-${i % 100}`));
    for (const p of puts) p.catch(() => undefined);
    expect(producer.waitingPuts).toBe(10_000);
    expect(await outcomeSoon(producer.put('over', 'k-over'))).toBeInstanceOf(BufferFullError);
  });
});
