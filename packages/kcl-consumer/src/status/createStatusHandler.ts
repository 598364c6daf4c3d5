import { integerOption, InvalidArgumentError, rejectUnknownOptions } from '@shardline/core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Worker } from '../Worker';
import { STATUS_PAGE_HTML, statusPageContentSecurityPolicy } from './statusPage';
import { type StatusSnapshot, StatusSnapshotter } from './statusSnapshot';
import { WorkerEventLog } from './WorkerEventLog';

/**
 * The part of a prom-client `Registry` the handler uses: pass the registry your metrics were
 * built on (`createPromMetrics(registry)`); this package imports nothing from prom-client.
 * @public
 */
export interface PrometheusRegistry {
  /** The exposition text of every metric. */
  metrics(): Promise<string> | string;
  /** Its content type; default `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType?: string;
}

/** Options of {@link createStatusHandler}. @public */
export interface StatusHandlerOptions {
  /** Served at `/metrics`. Default none: `/metrics` answers 404. */
  readonly registry?: PrometheusRegistry;
  /** Recent events kept for the page. Default 200. */
  readonly maxEvents?: number;
  /** How long one scan of the lease table serves `/status.json`, in ms. Default 1,000. */
  readonly leaseCacheMs?: number;
}

/** {@link StatusHandlerOptions} after validation. @public */
export interface ResolvedStatusHandlerOptions {
  readonly registry: PrometheusRegistry | undefined;
  readonly maxEvents: number;
  readonly leaseCacheMs: number;
}

/**
 * A Node request handler for `GET /` (the page), `GET /status.json` and `GET /metrics`, to
 * mount on any `http` server (or Express/Connect, which pass `next` for other paths).
 * @public
 */
export interface StatusHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** The events the page lists. */
  readonly events: WorkerEventLog;
  /** The body of `/status.json`. */
  snapshot(): Promise<StatusSnapshot>;
  /** Stops listening to the worker's events. Requests still answer, with no new events. */
  close(): void;
}

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

/** Validates {@link StatusHandlerOptions}; `path` names the field in errors. @public */
export function resolveStatusHandlerOptions(input: StatusHandlerOptions | undefined, path = 'statusHandler'): ResolvedStatusHandlerOptions {
  if (input !== undefined && (input === null || typeof input !== 'object')) throw new InvalidArgumentError(`${path} must be an object`);
  rejectUnknownOptions(path, input, ['registry', 'maxEvents', 'leaseCacheMs']);
  return {
    registry: registryOption(`${path}.registry`, input?.registry),
    maxEvents: integerOption(`${path}.maxEvents`, input?.maxEvents, 200, { min: 1, max: 100_000 }),
    leaseCacheMs: integerOption(`${path}.leaseCacheMs`, input?.leaseCacheMs, 1_000, { min: 0, max: 3_600_000 }),
  };
}

/** A prom-client `Registry`, or anything with its `metrics()` method. @internal */
export function registryOption(path: string, value: unknown): PrometheusRegistry | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof (value as { metrics?: unknown }).metrics !== 'function') {
    throw new InvalidArgumentError(`${path} must be a prom-client Registry (an object with a metrics() method)`);
  }
  return value as PrometheusRegistry;
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...extra,
  });
  res.end(head ? undefined : body);
}

/**
 * A request handler serving a worker's status page, its state as JSON and its Prometheus metrics.
 * Create it before `worker.start()` so that the page lists events from the start. It shows lease
 * keys, owners, counters, positions and timings only: no credentials, client options,
 * environment or record data.
 *
 * ```ts
 * createServer(createStatusHandler(worker, { registry })).listen(9400, '127.0.0.1');
 * ```
 * @public
 */
export function createStatusHandler(worker: Worker, options?: StatusHandlerOptions): StatusHandler {
  const o = resolveStatusHandlerOptions(options);
  const events = new WorkerEventLog({ capacity: o.maxEvents, clock: worker.options.clock });
  const snapshotter = new StatusSnapshotter(worker, {
    leaseCacheMs: o.leaseCacheMs,
    clock: worker.options.clock,
    // Eventually consistent: half the read capacity of a strong scan, and a page can be a second behind.
    listLeases: () => worker.coordinator.table.listLeases({ consistentRead: false }),
    events: () => events.list(),
  });
  const detachEvents = events.attach(worker);
  const detachScans = snapshotter.attach(worker.coordinator);
  const log = worker.options.logger;

  async function serve(req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): Promise<void> {
    const path = (req.url ?? '/').split(/[?#]/, 1)[0];
    const route = path === '/' || path === '' ? 'page' : path === '/status.json' ? 'status' : path === '/metrics' ? 'metrics' : undefined;
    if (route === undefined) {
      if (next) return next();
      return send(res, 404, 'text/plain; charset=utf-8', 'Not found. This server has /, /status.json and /metrics.\n', req.method === 'HEAD');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed.\n', false, { allow: 'GET, HEAD' });
    const head = req.method === 'HEAD';
    if (route === 'page') return send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML, head, { 'content-security-policy': statusPageContentSecurityPolicy(), 'x-frame-options': 'DENY' });
    if (route === 'status') return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(await snapshotter.snapshot()), head);
    if (!o.registry) return send(res, 404, 'text/plain; charset=utf-8', 'No metrics registry: pass the prom-client Registry given to createPromMetrics as the registry option.\n', head);
    let text: string;
    try {
      text = await o.registry.metrics();
    } catch (error) {
      log.warn({ err: error }, 'status handler: reading the metrics registry failed');
      return send(res, 500, 'text/plain; charset=utf-8', 'Reading the metrics failed.\n', head);
    }
    send(res, 200, o.registry.contentType ?? PROMETHEUS_TEXT, text, head);
  }

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    serve(req, res, next).catch((error: unknown) => {
      log.warn({ err: error }, 'status handler: request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error.\n', req.method === 'HEAD');
      else res.destroy();
    });
  }) as StatusHandler;
  Object.defineProperties(handler, {
    events: { value: events, enumerable: true },
    snapshot: { value: () => snapshotter.snapshot(), enumerable: true },
    close: {
      value: () => {
        detachEvents();
        detachScans();
      },
      enumerable: true,
    },
  });
  return handler;
}
