import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LimitsClock, systemLimitsClock } from './budgets';
import type { FrontContext, LimitsFrontStats, StreamBudgetLevels } from './frontContext';
import { IteratorTracker } from './IteratorTracker';
import { KinesisUpstream, readBody, relay, sendError, sendJson } from './kinesisHttp';
import { handleGetRecords, handleGetShardIterator } from './readLimits';
import { ShardBudget } from './ShardBudget';
import { ShardDirectory } from './ShardDirectory';
import { resolveShardLimits, type ShardLimits } from './ShardLimits';
import { handlePutRecord, handlePutRecords } from './writeLimits';

/** Options of {@link startLimitsFront}. */
export interface LimitsFrontOptions {
  /** `http://host:port` of the emulator to put the limits in front of (kinesalite). Required. */
  readonly kinesisEndpoint: string;
  /** Limits to enforce; what is left out is AWS's value (1,000 records/s, 1 MiB/s, 5 calls/s, 2 MiB/s per shard). */
  readonly limits?: Partial<ShardLimits>;
  /** Port on 127.0.0.1. Default: a free one. */
  readonly port?: number;
  /** Monotonic milliseconds for the budgets. Default `performance.now`. */
  readonly clock?: LimitsClock;
  /** Account id in throttling messages. Default: `AWS_ACCOUNT_ID` digits, else `000000000000` (kinesalite's rule). */
  readonly accountId?: string;
}

/** A running limits front. */
export interface LimitsFront {
  /** `http://127.0.0.1:<port>`: point the stock SDK client here. */
  readonly endpoint: string;
  /** The emulator behind it (reads there are not limited). */
  readonly kinesisEndpoint: string;
  /** A copy of the counters. */
  stats(): LimitsFrontStats;
  /** Write tokens the stream's shards have left now. */
  levels(streamName: string): StreamBudgetLevels;
  /** Stops listening, drops every connection and the emulator sockets. Idempotent; bounded (no waiting on clients). */
  close(): Promise<void>;
}

/**
 * Path of the front's own GET endpoint serving {@link LimitsFrontStats} as JSON (for a front in a
 * child process), with `atMs`, the front's clock when it answered (time the counters by it, not by
 * the caller's clock: the request may wait behind others), and with `?stream=<name>` that stream's
 * {@link StreamBudgetLevels} as `levels`.
 */
export const LIMITS_STATS_PATH = '/shardline-limits/stats';

/** Operations after which a stream's shards may have changed. */
const RESHARDING = new Set(['SplitShard', 'MergeShards', 'UpdateShardCount', 'DeleteStream', 'CreateStream']);

function newStats(): LimitsFrontStats {
  return {
    putRecordsCalls: 0,
    putRecordCalls: 0,
    admittedPutEntries: 0,
    admittedPutBytes: 0,
    throttledPutEntries: 0,
    throttledPutRecordCalls: 0,
    getRecordsCalls: 0,
    throttledGetRecords: 0,
    readBytes: 0,
    truncatedGetRecords: 0,
    unlimitedCalls: 0,
    shardMapLoads: 0,
    frontErrors: 0,
  };
}

function validate(options: LimitsFrontOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('limitsFront options must be an object with kinesisEndpoint');
  if (typeof options.kinesisEndpoint !== 'string' || !/^http:\/\/[^/]+/.test(options.kinesisEndpoint)) {
    throw new TypeError(`limitsFront.kinesisEndpoint must be an http:// URL (got ${String(options.kinesisEndpoint)})`);
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    throw new RangeError(`limitsFront.port must be an integer from 0 to 65535 (got ${options.port})`);
  }
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') throw new TypeError('limitsFront.clock must have a now() method');
  if (options.accountId !== undefined && !/^\d{12}$/.test(options.accountId)) throw new TypeError(`limitsFront.accountId must be 12 digits (got ${options.accountId})`);
}

/**
 * Starts an HTTP/1.1 server that enforces Kinesis's per-shard limits in front of an unmodified
 * kinesalite: PutRecords entries over a shard's write budget come back with
 * ProvisionedThroughputExceededException in place (the rest are written), PutRecord and GetRecords
 * calls over budget fail whole with HTTP 400 ProvisionedThroughputExceededException, exactly as a
 * provisioned stream answers; every other call is proxied unchanged. The client stays the stock SDK
 * client (with `NodeHttpHandler`, as for kinesalite itself).
 */
export async function startLimitsFront(options: LimitsFrontOptions): Promise<LimitsFront> {
  validate(options);
  const limits = resolveShardLimits(options.limits ?? {}, 'limitsFront.limits');
  const clock = options.clock ?? systemLimitsClock;
  const upstream = new KinesisUpstream(options.kinesisEndpoint);
  const stats = newStats();
  const budgets = new Map<string, ShardBudget>();
  const directory = new ShardDirectory(upstream, () => stats.shardMapLoads++);
  const ctx: FrontContext = {
    upstream,
    directory,
    iterators: new IteratorTracker(),
    limits,
    clock,
    accountId: options.accountId ?? ((process.env.AWS_ACCOUNT_ID ?? '').replace(/\D/g, '') || '000000000000'),
    stats,
    budget(streamName, shardId) {
      const key = `${streamName}/${shardId}`;
      let b = budgets.get(key);
      if (!b) budgets.set(key, (b = new ShardBudget(limits, clock.now())));
      return b;
    },
  };

  const levels = (streamName: string): StreamBudgetLevels => {
    const now = clock.now();
    let shards = 0;
    let writeRecords = 0;
    let writeBytes = 0;
    for (const [key, b] of budgets) {
      if (!key.startsWith(`${streamName}/`)) continue;
      const l = b.writeLevels(now);
      shards++;
      writeRecords += l.records;
      writeBytes += l.bytes;
    }
    return { shards, writeRecords, writeBytes };
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const body = await readBody(req);
    if (req.method === 'GET' && req.url?.startsWith(LIMITS_STATS_PATH)) {
      const stream = new URL(req.url, 'http://front').searchParams.get('stream');
      return sendJson(res, 200, { ...stats, atMs: clock.now(), ...(stream ? { levels: levels(stream) } : {}) });
    }
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : '';
    switch (operation) {
      case 'PutRecords':
        return handlePutRecords(ctx, req.headers, body, res);
      case 'PutRecord':
        return handlePutRecord(ctx, req.headers, body, res);
      case 'GetShardIterator':
        return handleGetShardIterator(ctx, req.headers, body, res);
      case 'GetRecords':
        return handleGetRecords(ctx, req.headers, body, res);
      default: {
        const answer = await upstream.send(req.headers, body);
        if (RESHARDING.has(operation)) {
          let name: unknown;
          try {
            name = (JSON.parse(body.toString('utf8')) as { StreamName?: unknown }).StreamName;
          } catch {
            // not JSON: the emulator answered with an error
          }
          if (typeof name === 'string') {
            directory.invalidate(name);
            // A stream created again under the same name starts with fresh budgets.
            if (operation === 'DeleteStream' || operation === 'CreateStream') for (const key of budgets.keys()) if (key.startsWith(`${name}/`)) budgets.delete(key);
          }
        }
        return relay(res, answer);
      }
    }
  };

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      stats.frontErrors++;
      if (process.env.SHARDLINE_LIMITS_DEBUG) process.stderr.write(`limits front: ${(error as Error).stack}\n`);
      if (res.headersSent || res.destroyed) return void res.destroy();
      sendError(res, 'InternalFailure', `limits front: ${(error as Error).message}`, 500);
    });
  });
  // Longer than Node's 5 s default, so that an SDK client's idle kept-alive socket is not closed under
  // it as it is reused (a spurious ECONNRESET a real endpoint rarely causes); close() drops them anyway.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  let closed: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    kinesisEndpoint: options.kinesisEndpoint,
    stats: () => ({ ...stats }),
    levels,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        upstream.close();
      })),
  };
}

/** Reads the counters of a limits front over HTTP (one running in a child process), with a stream's budget levels when named. */
export async function fetchLimitsStats(endpoint: string, streamName?: string): Promise<LimitsFrontStats & { readonly atMs: number; readonly levels?: StreamBudgetLevels }> {
  const url = new URL(LIMITS_STATS_PATH, endpoint);
  if (streamName !== undefined) url.searchParams.set('stream', streamName);
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      readBody(res).then((b) => {
        if (res.statusCode !== 200) return reject(new Error(`${url.href} answered ${res.statusCode}`));
        resolve(JSON.parse(b.toString('utf8')) as LimitsFrontStats & { atMs: number; levels?: StreamBudgetLevels });
      }, reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${url.href} did not answer within 10 s`)));
    req.once('error', reject);
  });
}
