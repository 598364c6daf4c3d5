import { loadPeerDependency } from './peerDependency';
import { redactSecrets } from './redactSecrets';

/** Structured log fields. @public */
export type LogFields = Readonly<Record<string, unknown>>;

/** One log method: `(fields, message)` or `(message)`, as pino takes them. @public */
export interface LogFn {
  (fields: LogFields, message?: string): void;
  (message: string): void;
}

/**
 * The narrow logger every component takes. A pino logger satisfies it; so does any adapter with
 * these six methods.
 * @public
 */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger that adds `bindings` to every line (e.g. `{ component: 'producer', shardId }`). */
  child(bindings: LogFields): Logger;
}

/** Where {@link createLogger} writes lines: a stream with `write(line)`, as pino's destinations have. @public */
export interface LogDestination {
  write(line: string): void;
}

/** Options of {@link createLogger}. @public */
export interface LoggerOptions {
  /** Minimum level. Default: `SHARDLINE_LOG_LEVEL` or `info`. */
  readonly level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Logger name, the `name` field of each line. */
  readonly name?: string;
  /**
   * Where lines go: a file descriptor (1 = stdout, 2 = stderr) or a writable destination. Default 1.
   * MultiLang children must log to 2: their stdout carries the protocol.
   */
  readonly destination?: number | LogDestination;
}

/**
 * A pino logger that redacts secrets by key name at any depth, in every line and in child
 * bindings: credentials, access keys, session and security tokens, authorization headers,
 * passwords (see {@link isSecretKey}), under any spelling (`secretAccessKey`,
 * `AWS_SECRET_ACCESS_KEY`, `x-amz-security-token`), inside arrays, class instances and errors,
 * and through cycles. A line without secrets is logged as it is, without a copy.
 * @public
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  // Loaded here, not at import: pino is an optional peer dependency, needed only by this function.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pino = loadPeerDependency(() => require('pino') as typeof import('pino'), 'pino', 'createLogger');
  const level = options.level ?? (process.env.SHARDLINE_LOG_LEVEL as LoggerOptions['level']) ?? 'info';
  const destination = typeof options.destination === 'number' || options.destination === undefined ? pino.destination({ fd: options.destination ?? 1, sync: true }) : options.destination;
  // pino's redact paths name fixed positions (`*.credentials`), which misses deeper ones; a log
  // formatter sees every line's fields before they are serialized.
  const logger = pino({ level, name: options.name, formatters: { log: redactFields, bindings: redactFields } }, destination);
  // pino applies the bindings formatter to the root's bindings only; children are created with
  // Object.create(parent), so they inherit this child() too.
  // Called back with .call(this) below, never unbound.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const child = logger.child;
  logger.child = function redactingChild(this: typeof logger, bindings, childOptions) {
    return child.call(this, redactFields(bindings), childOptions);
  } as typeof child;
  return logger;
}

/** {@link redactSecrets} for a line's fields; fields it cannot walk (a revoked proxy) are dropped, never printed unredacted. */
function redactFields<T extends object>(fields: T): T {
  try {
    return redactSecrets(fields);
  } catch {
    return { redaction: 'failed: fields dropped' } as unknown as T;
  }
}

/** A logger that drops everything. @public */
export function createNoopLogger(): Logger {
  const noop = (): void => undefined;
  const logger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  return logger;
}
