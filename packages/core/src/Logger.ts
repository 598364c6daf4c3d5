import pino from 'pino';

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
  readonly destination?: number | pino.DestinationStream;
}

/** Field paths whose values never reach a log line. */
export const REDACTED_LOG_PATHS: readonly string[] = [
  'credentials',
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
  'authorization',
  'password',
  '*.credentials',
  '*.accessKeyId',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.authorization',
  '*.password',
  '*.*.secretAccessKey',
  '*.*.sessionToken',
  '*.headers.authorization',
  '*.headers["x-amz-security-token"]',
];

/**
 * A pino logger with credentials redacted (`secretAccessKey`, `sessionToken`, `authorization`, …).
 * @public
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.SHARDLINE_LOG_LEVEL as LoggerOptions['level']) ?? 'info';
  const destination = typeof options.destination === 'number' || options.destination === undefined ? pino.destination({ fd: options.destination ?? 1, sync: true }) : options.destination;
  return pino({ level, name: options.name, redact: { paths: [...REDACTED_LOG_PATHS], censor: '[REDACTED]' } }, destination) as unknown as Logger;
}

/** A logger that drops everything. @public */
export function createNoopLogger(): Logger {
  const noop = (): void => undefined;
  const logger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, child: () => logger };
  return logger;
}
