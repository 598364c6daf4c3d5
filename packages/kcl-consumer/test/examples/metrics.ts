// README "Metrics"; the README imports the package by name instead of ../../src; `registry` is a prom-client Registry.
import { createServer } from 'node:http';
import { createPromMetrics, Worker } from '../../src';
type Registry = Parameters<typeof createPromMetrics>[0]; // prom-client's Registry
export function workerWithMetrics(registry: Registry): Worker {
  const worker = new Worker({ applicationName: 'orders-app', streamName: 'orders', handler: () => undefined, metrics: createPromMetrics(registry) });
  createServer((_req, res) => {
    registry.metrics().then(
      (text) => res.end(text),
      () => res.writeHead(500).end(),
    );
  }).listen(9464); // shardline_kcl_*, shardline_dynamo_lease_*, shardline_poller_*
  return worker;
}
