import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createPromMetrics, InvalidArgumentError } from '@shardline/core';
import { Worker } from '../Worker';
import { createStatusHandler, type PrometheusRegistry, type StatusHandler } from './createStatusHandler';
import type { StatusSnapshot } from './statusSnapshot';

/** A worker that is never started: its lease table is unreachable, which the page must survive. */
function newWorker(): Worker {
  return new Worker({
    applicationName: 'orders-app',
    streamName: 'orders',
    workerId: 'worker-a',
    handler: () => undefined,
    clientOptions: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'example' } },
  });
}

async function serve(handler: StatusHandler): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('createStatusHandler routes', () => {
  let worker: Worker;
  let handler: StatusHandler;
  let url: string;
  let server: Server;
  const registry = new Registry();

  beforeAll(async () => {
    worker = newWorker();
    createPromMetrics(registry).counter({ name: 'kcl_records_processed_total', help: 'records' }).add(5);
    handler = createStatusHandler(worker, { registry });
    ({ url, server } = await serve(handler));
  });

  afterAll(async () => {
    handler.close();
    await closeServer(server);
    await worker.stop();
  });

  it('GET / is the self-contained HTML page, under a policy that allows its own inline code only', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    // No CDN, no external fonts or stylesheets: every URL in it is the SVG namespace.
    expect(html.match(/https?:\/\/[^\s'"]+/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|<img|<iframe/i);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const inline = (tag: string): string => html.split(`<${tag}>`)[1]!.split(`</${tag}>`)[0]!;
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(csp).toContain(`script-src ${hash(inline('script'))}`);
    expect(csp).toContain(`style-src ${hash(inline('style'))}`);
    expect(inline('style')).not.toMatch(/@import|@font-face|url\(/);
  });

  it('HEAD / sends the headers only', async () => {
    const res = await fetch(`${url}/`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it('GET /status.json is JSON, and says so when the lease table cannot be read', async () => {
    const res = await fetch(`${url}/status.json?t=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as StatusSnapshot;
    expect(body.version).toBe(1);
    expect(body.worker.workerId).toBe('worker-a');
    expect(body.worker.lifecycle).toBe('new');
    expect(body.leases).toEqual([]);
    expect(body.leasesError).toEqual(expect.any(String));
    expect(body.leasesReadAt).toBeNull();
  });

  it('GET /metrics is the registry in Prometheus text format', async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    expect(await res.text()).toContain('shardline_kcl_records_processed_total 5');
  });

  it('answers 404 to other paths and 405 to other methods', async () => {
    for (const path of ['/nope', '/status.json/x', '/index.html', '/metrics.txt']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      await res.text();
    }
    const post = await fetch(`${url}/status.json`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.text();
  });
});

describe('createStatusHandler options', () => {
  it('without a registry /metrics is 404; a failing registry is a 500', async () => {
    const worker = newWorker();
    const failing: PrometheusRegistry = { metrics: () => Promise.reject(new Error('boom')) };
    const plain = createStatusHandler(worker);
    const broken = createStatusHandler(worker, { registry: failing });
    const a = await serve(plain);
    const b = await serve(broken);
    try {
      const none = await fetch(`${a.url}/metrics`);
      expect(none.status).toBe(404);
      expect(await none.text()).toContain('registry');
      const err = await fetch(`${b.url}/metrics`);
      expect(err.status).toBe(500);
      expect(await err.text()).not.toContain('boom');
    } finally {
      plain.close();
      broken.close();
      await closeServer(a.server);
      await closeServer(b.server);
      await worker.stop();
    }
  });

  it('passes other paths to next() when mounted in Express or Connect', async () => {
    const worker = newWorker();
    const handler = createStatusHandler(worker);
    const server = createServer((req, res) =>
      handler(req, res, () => {
        res.writeHead(418).end('next');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/elsewhere`);
      expect(res.status).toBe(418);
      expect(await res.text()).toBe('next');
    } finally {
      handler.close();
      await closeServer(server);
      await worker.stop();
    }
  });

  it('validates its options eagerly, naming the field', async () => {
    const worker = newWorker();
    expect(() => createStatusHandler(worker, { registry: {} as PrometheusRegistry })).toThrow(
      new InvalidArgumentError('statusHandler.registry must be a prom-client Registry (an object with a metrics() method)'),
    );
    expect(() => createStatusHandler(worker, { maxEvents: 0 })).toThrow('statusHandler.maxEvents must be an integer between 1 and 100000 (got 0)');
    expect(() => createStatusHandler(worker, { port: 80 } as never)).toThrow('statusHandler.port is not an option');
    await worker.stop();
  });

  it('lists the worker’s events from its creation on, and stops at close()', async () => {
    const worker = newWorker();
    const handler = createStatusHandler(worker, { maxEvents: 2 });
    worker.emit('shardStarted', 'shardId-000000000001');
    worker.emit('processorFailed', 'shardId-000000000001', 'hung');
    worker.emit('shardEnded', 'shardId-000000000001');
    const { events } = await handler.snapshot();
    expect(events.map((e) => [e.seq, e.kind, e.detail])).toEqual([
      [2, 'processorFailed', 'hung'],
      [3, 'shardEnded', 'SHARD_END checkpointed'],
    ]);
    handler.close();
    worker.emit('shardStarted', 'shardId-000000000002');
    expect(handler.events.total).toBe(3);
    await worker.stop();
  });
});
