import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  booleanOption,
  createNoopLogger,
  createNoopMetrics,
  createSystemClock,
  functionOption,
  hideCredentials,
  integerOption,
  InvalidArgumentError,
  rejectUnknownOptions,
  requiredString,
  stringOption,
  type AwsClientOptions,
  type Clock,
  type Logger,
  type Metrics,
} from '@shardline/core';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * How a lease table created by this package is billed: on demand (the KCL default), or provisioned
 * with the given read and write capacity units.
 * @public
 */
export type BillingMode = 'PAY_PER_REQUEST' | { readonly readCapacity: number; readonly writeCapacity: number };

/** Options of a {@link LeaseTable}. @public */
export interface LeaseTableOptions {
  /** Name of the lease table (by KCL convention the application name). Required. */
  readonly tableName: string;
  /** The DynamoDB client to use. Required; the table never destroys it. */
  readonly client: DynamoDBClient;
  /** Billing of a table this package creates. Default `'PAY_PER_REQUEST'`. */
  readonly billingMode?: BillingMode;
  /** How long to wait for a table to become ACTIVE, in milliseconds. Default 300,000. */
  readonly tableActiveTimeoutMs?: number;
  /**
   * Attempts per lease write on a retryable error (throttling, 5xx, connection loss), on top of the
   * SDK's own retries. Default 3.
   */
  readonly maxWriteAttempts?: number;
  /**
   * Strongly consistent Scans in {@link LeaseTable.listLeases} (a call may still override it).
   * Default false: eventually consistent, as the KCL's scans, at half the read capacity. Point
   * reads (`getLease`) are strongly consistent either way.
   */
  readonly consistentReads?: boolean;
  /** Clock for waits. Default: the system clock. */
  readonly clock?: Clock;
  /** Logger. Default: no logging. */
  readonly logger?: Logger;
  /** Metrics (malformed items). Default: none. */
  readonly metrics?: Metrics;
}

/** {@link LeaseTableOptions} after validation. @public */
export interface ResolvedLeaseTableOptions {
  readonly tableName: string;
  readonly client: DynamoDBClient;
  readonly billingMode: BillingMode;
  readonly tableActiveTimeoutMs: number;
  readonly maxWriteAttempts: number;
  readonly consistentReads: boolean;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

/** Validates a DynamoDB table name (3–255 of `a-z A-Z 0-9 _ . -`). */
function tableNameOption(path: string, value: unknown): string {
  return stringOption(path, requiredString(path, value), '', { pattern: TABLE_NAME });
}

function billingModeOption(path: string, value: unknown): BillingMode {
  if (value === undefined || value === 'PAY_PER_REQUEST') return 'PAY_PER_REQUEST';
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError(`${path} must be 'PAY_PER_REQUEST' or { readCapacity, writeCapacity } (got ${JSON.stringify(value)})`);
  }
  const input = value as { readCapacity?: unknown; writeCapacity?: unknown };
  rejectUnknownOptions(path, input, ['readCapacity', 'writeCapacity']);
  if (input.readCapacity === undefined || input.writeCapacity === undefined) {
    throw new InvalidArgumentError(`${path} needs both readCapacity and writeCapacity for provisioned billing`);
  }
  return {
    readCapacity: integerOption(`${path}.readCapacity`, input.readCapacity, 10, { min: 1, max: 40_000 }),
    writeCapacity: integerOption(`${path}.writeCapacity`, input.writeCapacity, 10, { min: 1, max: 40_000 }),
  };
}

function clientOption(path: string, value: unknown): DynamoDBClient | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof (value as { send?: unknown }).send !== 'function') {
    throw new InvalidArgumentError(`${path} must be a DynamoDBClient`);
  }
  return value as DynamoDBClient;
}

function objectOption<T extends object>(path: string, value: unknown, methods: readonly string[]): T | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || methods.some((m) => typeof (value as Record<string, unknown>)[m] !== 'function')) {
    throw new InvalidArgumentError(`${path} must be an object with ${methods.join(', ')}`);
  }
  return value as T;
}

const TABLE_KEYS = ['tableName', 'client', 'billingMode', 'tableActiveTimeoutMs', 'maxWriteAttempts', 'consistentReads', 'clock', 'logger', 'metrics'];

/** Fills defaults and validates {@link LeaseTableOptions} before any I/O. @public */
export function resolveLeaseTableOptions(input: LeaseTableOptions, path = 'leaseTable'): ResolvedLeaseTableOptions {
  rejectUnknownOptions(path, input, TABLE_KEYS);
  const client = clientOption(`${path}.client`, input.client);
  if (!client) throw new InvalidArgumentError(`${path}.client is required`);
  return {
    tableName: tableNameOption(`${path}.tableName`, input.tableName),
    client,
    billingMode: billingModeOption(`${path}.billingMode`, input.billingMode),
    tableActiveTimeoutMs: integerOption(`${path}.tableActiveTimeoutMs`, input.tableActiveTimeoutMs, 300_000, { min: 0, max: 3_600_000 }),
    maxWriteAttempts: integerOption(`${path}.maxWriteAttempts`, input.maxWriteAttempts, 3, { min: 1, max: 10 }),
    consistentReads: booleanOption(`${path}.consistentReads`, input.consistentReads, false),
    clock: objectOption<Clock>(`${path}.clock`, input.clock, ['now', 'monotonicNow', 'sleep']) ?? createSystemClock(),
    logger: objectOption<Logger>(`${path}.logger`, input.logger, ['info', 'warn', 'child']) ?? createNoopLogger(),
    metrics: objectOption<Metrics>(`${path}.metrics`, input.metrics, ['counter', 'gauge', 'histogram']) ?? createNoopMetrics(),
  };
}

/** Options of a {@link LeaseCoordinator}. Only `tableName` is required. @public */
export interface LeaseCoordinatorOptions {
  /** Name of the lease table (by KCL convention the application name). Required. */
  readonly tableName: string;
  /**
   * This worker's identity, written as `leaseOwner`. Keep it stable across restarts to get this
   * worker's leases back at once, and unique among running processes: two processes with one id
   * would both believe they hold its leases (detected and reported as `duplicateWorkerId`).
   * Default: the hostname plus a random 8-character suffix.
   */
  readonly workerId?: string;
  /**
   * A lease whose counter does not move for this long, in milliseconds, is expired and may be
   * taken. Renewals run every `failoverTimeMs / 3 - epsilonMs`. Default 10,000 (as the KCL).
   */
  readonly failoverTimeMs?: number;
  /** Safety margin subtracted from the renew interval, in milliseconds. Default 25 (as the KCL). */
  readonly epsilonMs?: number;
  /**
   * Longest pause between two taker runs (table scan + take/steal), in milliseconds; runs are
   * jittered down by up to 20 % and also happen as soon as a watched lease is due to expire.
   * Failover after a crash takes at most `failoverTimeMs + takerIntervalMs` plus request latency.
   * Default `failoverTimeMs / 4`, so a crash is recovered from within 1.25 × `failoverTimeMs` plus latency.
   */
  readonly takerIntervalMs?: number;
  /** Most leases this worker holds; excess leases are left to others. Default unbounded. */
  readonly maxLeasesForWorker?: number;
  /** Most leases stolen from another worker in one taker run. Default 1 (as the KCL). */
  readonly maxLeasesToStealAtOneTime?: number;
  /**
   * A lease not renewed for this many failover times (or never renewed) is "very old" and is taken
   * before other available leases. Default 3 (as the KCL).
   */
  readonly veryOldLeaseMultiplier?: number;
  /** Whether very old leases are taken first. Default true (as the KCL's `enablePriorityLeaseAssignment`). */
  readonly enablePriorityLeaseAssignment?: boolean;
  /** Lease renewals in flight at once. Default 20 (as the KCL's `maxLeaseRenewalThreads`). */
  readonly maxConcurrentRenewals?: number;
  /**
   * Steal for balancing by graceful handoff (the KCL 3.x protocol: `leaseOwner` = this worker,
   * `checkpointOwner` = the holder, which finishes and checkpoints before handing over), so a
   * rebalance re-delivers nothing. Default true. With false, steals take the lease at once.
   */
  readonly gracefulHandoff?: boolean;
  /** How long a holder may take to complete a requested handoff before the lease is taken anyway, in ms. Default `failoverTimeMs`. */
  readonly handoffTimeoutMs?: number;
  /** Create the table when it does not exist. Default true. */
  readonly createTableIfNotExists?: boolean;
  /** Billing of a table the coordinator creates. Default `'PAY_PER_REQUEST'`. */
  readonly billingMode?: BillingMode;
  /** How long to wait for the table to become ACTIVE, in milliseconds. Default 300,000. */
  readonly tableActiveTimeoutMs?: number;
  /**
   * Strongly consistent table Scans (taker, start-up reclaim, `listActiveWorkers`). Default false:
   * eventually consistent, as the KCL's, at half the read capacity units. Safety never depends on
   * it: every ownership change is a conditional write; a stale scan only delays or wastes a take.
   */
  readonly consistentReads?: boolean;
  /** A DynamoDB client to use (the caller keeps ownership). Mutually exclusive with `clientOptions`. */
  readonly client?: DynamoDBClient;
  /**
   * How to build a client when `client` is not given; the coordinator then owns it and destroys it
   * on close. Default: `{}` (region, endpoint and credentials from the environment).
   */
  readonly clientOptions?: AwsClientOptions;
  /** Clock for timers and expiry detection. Default: the system clock. */
  readonly clock?: Clock;
  /** Logger. Default: no logging. */
  readonly logger?: Logger;
  /** Metrics. Default: none. */
  readonly metrics?: Metrics;
  /** Random source in [0, 1) for shuffles and jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** {@link LeaseCoordinatorOptions} after validation, with the derived intervals. @public */
export interface ResolvedLeaseCoordinatorOptions {
  readonly tableName: string;
  readonly workerId: string;
  readonly failoverTimeMs: number;
  readonly epsilonMs: number;
  /** `floor(failoverTimeMs / 3) - epsilonMs`, the KCL's renewer period. */
  readonly renewIntervalMs: number;
  readonly takerIntervalMs: number;
  readonly maxLeasesForWorker: number;
  readonly maxLeasesToStealAtOneTime: number;
  readonly veryOldLeaseMultiplier: number;
  readonly enablePriorityLeaseAssignment: boolean;
  readonly maxConcurrentRenewals: number;
  readonly gracefulHandoff: boolean;
  readonly handoffTimeoutMs: number;
  readonly createTableIfNotExists: boolean;
  readonly billingMode: BillingMode;
  readonly tableActiveTimeoutMs: number;
  readonly consistentReads: boolean;
  readonly client: DynamoDBClient | undefined;
  readonly clientOptions: AwsClientOptions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly random: () => number;
}

const COORDINATOR_KEYS = [
  'tableName',
  'workerId',
  'failoverTimeMs',
  'epsilonMs',
  'takerIntervalMs',
  'maxLeasesForWorker',
  'maxLeasesToStealAtOneTime',
  'veryOldLeaseMultiplier',
  'enablePriorityLeaseAssignment',
  'maxConcurrentRenewals',
  'gracefulHandoff',
  'handoffTimeoutMs',
  'createTableIfNotExists',
  'billingMode',
  'tableActiveTimeoutMs',
  'consistentReads',
  'client',
  'clientOptions',
  'clock',
  'logger',
  'metrics',
  'random',
];

const RENAMED = { failoverTimeMillis: 'failoverTimeMs', epsilonMillis: 'epsilonMs', workerIdentifier: 'workerId', leaseTableName: 'tableName' };

/** The default worker id: hostname plus a random suffix, so two processes on one host differ. @public */
export function defaultWorkerId(): string {
  return `${hostname()}-${randomUUID().slice(0, 8)}`;
}

/** Fills defaults, derives intervals and validates {@link LeaseCoordinatorOptions} before any I/O. @public */
export function resolveLeaseCoordinatorOptions(input: LeaseCoordinatorOptions, path = 'leaseCoordinator'): ResolvedLeaseCoordinatorOptions {
  if (input === undefined || input === null || typeof input !== 'object') throw new InvalidArgumentError(`${path} options are required (at least tableName)`);
  rejectUnknownOptions(path, input, COORDINATOR_KEYS, RENAMED);
  const tableName = tableNameOption(`${path}.tableName`, input.tableName);
  const workerId = stringOption(`${path}.workerId`, input.workerId, '', { nonEmpty: true, maxLength: 1024 }) || defaultWorkerId();
  const failoverTimeMs = integerOption(`${path}.failoverTimeMs`, input.failoverTimeMs, 10_000, { min: 200, max: 86_400_000 });
  const epsilonMs = integerOption(`${path}.epsilonMs`, input.epsilonMs, 25, { min: 0, max: Math.floor(failoverTimeMs / 6) });
  const takerIntervalMs = integerOption(`${path}.takerIntervalMs`, input.takerIntervalMs, Math.floor(failoverTimeMs / 4), { min: 10, max: 86_400_000 });
  const maxLeasesForWorker = input.maxLeasesForWorker === Infinity ? Infinity : integerOption(`${path}.maxLeasesForWorker`, input.maxLeasesForWorker, Infinity, { min: 1 });
  const client = clientOption(`${path}.client`, input.client);
  if (client && input.clientOptions !== undefined) {
    throw new InvalidArgumentError(`${path}.client and ${path}.clientOptions are mutually exclusive`);
  }
  if (input.clientOptions !== undefined && (input.clientOptions === null || typeof input.clientOptions !== 'object')) {
    throw new InvalidArgumentError(`${path}.clientOptions must be an object`);
  }
  return {
    tableName,
    workerId,
    failoverTimeMs,
    epsilonMs,
    renewIntervalMs: Math.floor(failoverTimeMs / 3) - epsilonMs,
    takerIntervalMs,
    maxLeasesForWorker,
    maxLeasesToStealAtOneTime: integerOption(`${path}.maxLeasesToStealAtOneTime`, input.maxLeasesToStealAtOneTime, 1, { min: 1, max: 10_000 }),
    veryOldLeaseMultiplier: integerOption(`${path}.veryOldLeaseMultiplier`, input.veryOldLeaseMultiplier, 3, { min: 1, max: 1_000 }),
    enablePriorityLeaseAssignment: booleanOption(`${path}.enablePriorityLeaseAssignment`, input.enablePriorityLeaseAssignment, true),
    maxConcurrentRenewals: integerOption(`${path}.maxConcurrentRenewals`, input.maxConcurrentRenewals, 20, { min: 1, max: 1_000 }),
    gracefulHandoff: booleanOption(`${path}.gracefulHandoff`, input.gracefulHandoff, true),
    handoffTimeoutMs: integerOption(`${path}.handoffTimeoutMs`, input.handoffTimeoutMs, failoverTimeMs, { min: 0, max: 86_400_000 }),
    createTableIfNotExists: booleanOption(`${path}.createTableIfNotExists`, input.createTableIfNotExists, true),
    billingMode: billingModeOption(`${path}.billingMode`, input.billingMode),
    tableActiveTimeoutMs: integerOption(`${path}.tableActiveTimeoutMs`, input.tableActiveTimeoutMs, 300_000, { min: 0, max: 3_600_000 }),
    consistentReads: booleanOption(`${path}.consistentReads`, input.consistentReads, false),
    client,
    clientOptions: hideCredentials(input.clientOptions ?? {}),
    clock: objectOption<Clock>(`${path}.clock`, input.clock, ['now', 'monotonicNow', 'sleep']) ?? createSystemClock(),
    logger: objectOption<Logger>(`${path}.logger`, input.logger, ['info', 'warn', 'child']) ?? createNoopLogger(),
    metrics: objectOption<Metrics>(`${path}.metrics`, input.metrics, ['counter', 'gauge', 'histogram']) ?? createNoopMetrics(),
    random: functionOption<() => number>(`${path}.random`, input.random, Math.random),
  };
}
