import { createNoopLogger, MemoryMetrics } from '@shardline/core';
import { InvalidArgumentError } from '@shardline/core';
import { FailureChannel } from './FailureChannel';
import type { PutFailure } from './PutResult';

const failure = (n: number): PutFailure => ({ error: new InvalidArgumentError(`f${n}`), record: { data: new Uint8Array(), partitionKey: `k${n}` }, attempts: [] });

function channel(capacity: number) {
  const metrics = new MemoryMetrics();
  const c = new FailureChannel(capacity, createNoopLogger(), metrics.counter({ name: 'dropped', help: '' }));
  return { c, metrics };
}

describe('FailureChannel', () => {
  it('delivers to listeners and iterators, and says whether anybody heard', async () => {
    const { c } = channel(10);
    expect(c.publish(failure(0))).toBe(false);
    const seen: string[] = [];
    c.on((f) => seen.push(f.record.partitionKey));
    const it = c.subscribe();
    expect(c.publish(failure(1))).toBe(true);
    expect(seen).toEqual(['k1']);
    expect((await it.next()).value?.record.partitionKey).toBe('k1');
  });

  it('survives a throwing listener', () => {
    const { c } = channel(10);
    const seen: number[] = [];
    c.on(() => {
      throw new Error('listener bug');
    });
    c.on(() => seen.push(1));
    expect(c.publish(failure(1))).toBe(true);
    expect(seen).toEqual([1]);
  });

  it('buffers up to its capacity for a slow reader, then drops and counts, never blocking', async () => {
    const { c, metrics } = channel(2);
    const it = c.subscribe();
    for (let i = 0; i < 5; i++) c.publish(failure(i));
    expect(metrics.value('dropped')).toBe(3);
    c.close();
    const got: string[] = [];
    for await (const f of it) got.push(f.record.partitionKey);
    expect(got).toEqual(['k0', 'k1']);
  });

  it('ends an iterator on return() or abort, and removes its abort listener', async () => {
    const { c } = channel(2);
    const controller = new AbortController();
    const it = c.subscribe({ signal: controller.signal });
    const pending = it.next();
    controller.abort();
    expect((await pending).done).toBe(true);
    expect(c.observed).toBe(false);
    const it2 = c.subscribe();
    await it2.return!();
    expect(c.observed).toBe(false);
    expect((await c.subscribe({ signal: controller.signal }).next()).done).toBe(true);
  });
});
