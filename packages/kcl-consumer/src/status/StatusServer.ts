import { integerOption, InvalidArgumentError, rejectUnknownOptions } from '@shardline/core';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { registryOption, type PrometheusRegistry } from './createStatusHandler';

/** The `statusServer` option of a {@link Worker}. @public */
export interface StatusServerOptions {
  /** TCP port; 0 picks a free one (read it from `worker.statusUrl`). Default 0. */
  readonly port?: number;
  /** Address to bind. Default `127.0.0.1`: only this machine can connect. Give `0.0.0.0` (or another address) to expose it. */
  readonly host?: string;
  /** The prom-client `Registry` given to `createPromMetrics`, served at `/metrics`. Default none (`/metrics` answers 404). */
  readonly registry?: PrometheusRegistry;
}

/** {@link StatusServerOptions} after validation. @public */
export interface ResolvedStatusServerOptions {
  readonly port: number;
  readonly host: string;
  readonly registry: PrometheusRegistry | undefined;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Validates {@link StatusServerOptions}; `path` names the field in errors. @public */
export function resolveStatusServerOptions(input: StatusServerOptions, path = 'statusServer'): ResolvedStatusServerOptions {
  if (input === null || typeof input !== 'object') throw new InvalidArgumentError(`${path} must be an object, e.g. { port: 9400 }`);
  rejectUnknownOptions(path, input, ['port', 'host', 'registry']);
  const host = input.host ?? '127.0.0.1';
  if (typeof host !== 'string' || (isIP(host) === 0 && !HOSTNAME.test(host))) {
    throw new InvalidArgumentError(`${path}.host must be an IP address or a host name (got ${JSON.stringify(host)})`);
  }
  return {
    port: integerOption(`${path}.port`, input.port, 0, { min: 0, max: 65_535 }),
    host,
    registry: registryOption(`${path}.registry`, input.registry),
  };
}

function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'localhost' || n.endsWith('.localhost') || n === '::1' || (isIP(n) === 4 && n.startsWith('127.'));
}

/** The host name of a `Host` header, without port or IPv6 brackets. */
function hostOf(header: string | undefined): string {
  if (!header) return '';
  if (header.startsWith('[')) return header.slice(1, header.indexOf(']'));
  return header.split(':', 1)[0]!;
}

/**
 * An HTTP server for a status handler, with every socket closed on {@link close}. Bound to a
 * loopback address, it answers only requests whose `Host` is a loopback name, so that a web page
 * elsewhere cannot read it by pointing a DNS name at 127.0.0.1.
 * @public
 */
export class StatusServer {
  private readonly server: Server;
  private address: AddressInfo | undefined;
  private listening: Promise<string> | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    handler: RequestListener,
    private readonly options: Pick<ResolvedStatusServerOptions, 'port' | 'host'>,
  ) {
    const guard = isLoopbackName(options.host);
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      if (guard && !isLoopbackName(hostOf(req.headers.host))) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end('Forbidden: this status server answers requests to a loopback host name only.\n');
        return;
      }
      handler(req, res);
    });
    // A status page must never keep a process alive on its own.
    this.server.unref();
  }

  /** Starts listening; resolves with the URL of the page. Idempotent. */
  listen(): Promise<string> {
    this.listening ??= new Promise<string>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', onError);
        this.address = this.server.address() as AddressInfo;
        resolve(this.url!);
      });
    });
    return this.listening;
  }

  /** `http://host:port/` once listening, else `undefined`. */
  get url(): string | undefined {
    if (!this.address || this.closing) return undefined;
    const host = this.address.family === 'IPv6' || isIP(this.address.address) === 6 ? `[${this.address.address}]` : this.address.address;
    return `http://${host}:${this.address.port}/`;
  }

  /** Stops listening and closes every open connection (keep-alive ones included). Idempotent; never rejects. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.listening) await this.listening.catch(() => undefined);
      if (!this.server.listening) return;
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      await closed;
    })();
    return this.closing;
  }
}
