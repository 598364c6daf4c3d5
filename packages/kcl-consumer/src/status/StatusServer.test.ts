import { InvalidArgumentError } from '@shardline/core';
import { Agent, request } from 'node:http';
import { resolveWorkerOptions } from '../resolveWorkerOptions';
import { Worker } from '../Worker';
import { resolveStatusServerOptions, StatusServer } from './StatusServer';

function get(url: string, headers: Record<string, string> = {}, agent: Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('resolveStatusServerOptions', () => {
  it('binds 127.0.0.1 on a free port unless told otherwise', () => {
    expect(resolveStatusServerOptions({})).toEqual({ port: 0, host: '127.0.0.1', registry: undefined });
    expect(resolveStatusServerOptions({ port: 9400, host: '0.0.0.0' })).toEqual({ port: 9400, host: '0.0.0.0', registry: undefined });
    expect(resolveStatusServerOptions({ host: '::1' }).host).toBe('::1');
  });

  it('is validated with the worker options, before any I/O, naming the field', () => {
    const base = { applicationName: 'app', streamName: 'orders', handler: () => undefined };
    expect(resolveWorkerOptions(base).statusServer).toBeUndefined();
    expect(resolveWorkerOptions({ ...base, statusServer: {} }).statusServer).toEqual({ port: 0, host: '127.0.0.1', registry: undefined });
    const cases: [unknown, string][] = [
      [{ port: 70_000 }, 'worker.statusServer.port must be an integer between 0 and 65535 (got 70000)'],
      [{ port: '80' }, 'worker.statusServer.port must be an integer (got "80")'],
      [{ host: '' }, 'worker.statusServer.host must be an IP address or a host name (got "")'],
      [{ host: 'http://localhost' }, 'worker.statusServer.host must be an IP address or a host name (got "http://localhost")'],
      [{ registry: {} }, 'worker.statusServer.registry must be a prom-client Registry (an object with a metrics() method)'],
      [{ prot: 80 }, 'worker.statusServer.prot is not an option'],
      [true, 'worker.statusServer must be an object, e.g. { port: 9400 }'],
    ];
    for (const [statusServer, message] of cases) {
      expect(() => resolveWorkerOptions({ ...base, statusServer } as never)).toThrow(new InvalidArgumentError(message));
    }
  });
});

describe('StatusServer', () => {
  it('listens on 127.0.0.1, answers loopback host names only, and closes keep-alive sockets too', async () => {
    const server = new StatusServer((_req, res) => res.end('ok'), { port: 0, host: '127.0.0.1' });
    expect(server.url).toBeUndefined();
    const url = await server.listen();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await server.listen()).toBe(url);
    const port = new URL(url).port;
    const agent = new Agent({ keepAlive: true });
    expect(await get(url, {}, agent)).toEqual({ status: 200, body: 'ok' });
    expect((await get(url, { host: `localhost:${port}` })).status).toBe(200);
    // A page elsewhere that points its own DNS name at 127.0.0.1 cannot read it.
    const rebound = await get(url, { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(403);
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(server.url).toBeUndefined();
    await expect(get(url)).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
    await server.close();
  });

  it('rejects listen() when the port is taken', async () => {
    const first = new StatusServer((_req, res) => res.end('first'), { port: 0, host: '127.0.0.1' });
    const port = Number(new URL(await first.listen()).port);
    const second = new StatusServer((_req, res) => res.end('second'), { port, host: '127.0.0.1' });
    await expect(second.listen()).rejects.toThrow(/EADDRINUSE/);
    await second.close();
    await first.close();
  });

  it('a worker has no status URL before start() and without the option', async () => {
    const options = { applicationName: 'app', streamName: 'orders', handler: () => undefined, clientOptions: { endpoint: 'http://127.0.0.1:1', region: 'us-east-1' } };
    const withServer = new Worker({ ...options, statusServer: {} });
    const without = new Worker(options);
    expect(withServer.statusUrl).toBeUndefined();
    expect(without.statusUrl).toBeUndefined();
    await Promise.all([withServer.stop(), without.stop()]);
    expect(withServer.lifecycle).toBe('stopped');
  });
});
