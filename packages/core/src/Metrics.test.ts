import { Registry } from 'prom-client';
import { createNoopMetrics, createPromMetrics, MemoryMetrics } from './Metrics';

describe('metrics seam', () => {
  it('backs onto a prom-client Registry and shares instruments by name', async () => {
    const registry = new Registry();
    const m = createPromMetrics(registry);
    const c1 = m.counter({ name: 'records_total', help: 'records', labelNames: ['shard'] });
    const c2 = m.counter({ name: 'records_total', help: 'records', labelNames: ['shard'] });
    c1.add(2, { shard: 'a' });
    c2.add(1, { shard: 'a' });
    m.gauge({ name: 'buffered', help: 'b' }).set(7);
    m.histogram({ name: 'latency_ms', help: 'l', buckets: [1, 10] }).observe(5);
    const text = await registry.metrics();
    expect(text).toContain('shardline_records_total{shard="a"} 3');
    expect(text).toContain('shardline_buffered 7');
    expect(text).toContain('shardline_latency_ms_bucket{le="10"} 1');
  });

  it('keeps values in memory for tests', () => {
    const m = new MemoryMetrics();
    m.counter({ name: 'n', help: '' }).add(3, { shard: 's1' });
    m.counter({ name: 'n', help: '' }).add(1, { shard: 's2' });
    m.gauge({ name: 'g', help: '' }).add(-2);
    m.histogram({ name: 'h', help: '' }).observe(4);
    m.histogram({ name: 'h', help: '' }).observe(6);
    expect(m.value('n', { shard: 's1' })).toBe(3);
    expect(m.total('n')).toBe(4);
    expect(m.value('g')).toBe(-2);
    expect(m.count('h')).toBe(2);
    expect(m.value('h')).toBe(10);
    expect(m.snapshot()['n{shard=s2}']).toBe(1);
  });

  it('noop metrics accept every call', () => {
    const m = createNoopMetrics();
    expect(() => m.counter({ name: 'x', help: '' }).add()).not.toThrow();
  });
});

describe('createPromMetrics histograms', () => {
  it('a histogram defined without buckets gets prom-client defaults instead of throwing', async () => {
    const registry = new Registry();
    const metrics = createPromMetrics(registry);
    const h = metrics.histogram({ name: 'no_buckets_ms', help: 'a histogram without buckets' });
    h.observe(12);
    expect(await registry.metrics()).toContain('shardline_no_buckets_ms_bucket');
  });
});
