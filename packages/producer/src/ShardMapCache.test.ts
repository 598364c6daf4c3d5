import { ManualClock } from '@shardline/core';
import type { ShardMap } from '@shardline/kpl-aggregation';
import { evenShardMap, quietLogger, SwitchableShardMapSource } from '../test/scriptedPutter';
import { ShardMapCache } from './ShardMapCache';

function cache(source: SwitchableShardMapSource, clock: ManualClock) {
  const loaded: number[] = [];
  const failed: number[] = [];
  const c = new ShardMapCache({
    source,
    clock,
    logger: quietLogger,
    loadTimeoutMs: 1000,
    listener: { mapLoaded: (_m: ShardMap, v) => loaded.push(v), loadFailed: (_e, n) => failed.push(n) },
  });
  return { c, loaded, failed };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('ShardMapCache', () => {
  it('loads once for many concurrent requests, then not more often than once a second', async () => {
    const clock = new ManualClock();
    const source = new SwitchableShardMapSource(evenShardMap(2));
    const { c, loaded } = cache(source, clock);
    c.refresh();
    c.refresh();
    await flush();
    expect(loaded).toEqual([1]);
    expect(c.current?.size).toBe(2);
    c.refresh();
    await flush();
    expect(source.loads).toBe(1);
    clock.advance(1000);
    await flush();
    expect(loaded).toEqual([1, 2]);
    c.close();
  });

  it('backs off 1 s, ×1.5, up to 30 s between failed loads, retrying only when asked again', async () => {
    const clock = new ManualClock();
    const source = new SwitchableShardMapSource(evenShardMap(2));
    source.fail = Object.assign(new Error('slow down'), { name: 'LimitExceededException' });
    const { c, failed } = cache(source, clock);
    c.refresh();
    await flush();
    expect(failed).toEqual([1]);
    expect(c.attemptsFinished).toBe(1);
    // Not asked again: no timer, no load.
    clock.advance(60_000);
    await flush();
    expect(source.loads).toBe(1);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      c.refresh();
      await flush();
      let waited = 0;
      while (source.loads === i + 1) {
        clock.advance(100);
        waited += 100;
        await flush();
      }
      waits.push(waited);
    }
    // The first wait had passed already (60 s idle); then 1.5 s, 2.25 s, … (measured in 100 ms steps).
    expect(waits.slice(0, 4)).toEqual([0, 1500, 2300, 3400]);
    expect(Math.max(...waits)).toBe(30_000);
    source.fail = undefined;
    c.refresh();
    clock.advance(30_000);
    await flush();
    expect(c.current).toBeDefined();
    c.close();
  });

  it('remembers the ranges of shards that closed', async () => {
    const clock = new ManualClock();
    const source = new SwitchableShardMapSource(evenShardMap(2));
    const { c } = cache(source, clock);
    c.refresh();
    await flush();
    source.map = evenShardMap(3, 'other-');
    clock.advance(1000);
    c.refresh();
    await flush();
    expect(c.rangeOf('shardId-0')).toBeDefined();
    expect(c.rangeOf('other-2')).toBeDefined();
    expect(c.rangeOf('nope')).toBeUndefined();
    c.close();
  });
});
