// README "Status page"; the README imports the package by name instead of ../../src; `registry` is a prom-client Registry.
import { createServer } from 'node:http';
import { createPromMetrics, createStatusHandler, Worker } from '../../src';
type Registry = Parameters<typeof createPromMetrics>[0]; // prom-client's Registry
export async function workerWithStatusPage(registry: Registry): Promise<Worker> {
  const worker = new Worker({
    applicationName: 'orders-app',
    streamName: 'orders',
    handler: () => undefined,
    metrics: createPromMetrics(registry),
    statusServer: { port: 9400, registry }, // 127.0.0.1 unless `host` says otherwise
  });
  await worker.start();
  console.log(`status page: ${worker.statusUrl}`); // http://127.0.0.1:9400/ until stop()
  return worker;
}
// Or on a server of your own: createStatusHandler serves /, /status.json and /metrics.
export const mountStatus = (worker: Worker, registry: Registry) => createServer(createStatusHandler(worker, { registry })).listen(9400, '127.0.0.1');
