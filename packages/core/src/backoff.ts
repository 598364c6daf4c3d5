import type { Clock } from './Clock';
import { ShardlineError } from './errors';
import { enumOption, integerOption, numberOption, rejectUnknownOptions } from './options';

/** Options of an exponential backoff. @public */
export interface BackoffOptions {
  /** First delay cap, in milliseconds. Default 100. */
  readonly baseDelayMs?: number;
  /** Largest delay, in milliseconds. Default 10,000. */
  readonly maxDelayMs?: number;
  /** Growth factor per attempt. Default 2. */
  readonly multiplier?: number;
  /**
   * `full` (default): uniform in [0, cap] — the AWS-recommended "full jitter", which spreads
   * retries of many clients best; `equal`: cap/2 + uniform in [0, cap/2]; `none`: exactly cap.
   */
  readonly jitter?: 'full' | 'equal' | 'none';
}

/** {@link BackoffOptions} with defaults filled. @public */
export interface ResolvedBackoffOptions {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: 'full' | 'equal' | 'none';
}

/** Validates backoff options; `path` names the field in errors (e.g. `producer.retryBackoff`). @public */
export function resolveBackoffOptions(input: BackoffOptions = {}, path = 'backoff', defaults: Partial<ResolvedBackoffOptions> = {}): ResolvedBackoffOptions {
  rejectUnknownOptions(path, input, ['baseDelayMs', 'maxDelayMs', 'multiplier', 'jitter']);
  const baseDelayMs = integerOption(`${path}.baseDelayMs`, input.baseDelayMs, defaults.baseDelayMs ?? 100, { min: 0, max: 3_600_000 });
  const maxDelayMs = integerOption(`${path}.maxDelayMs`, input.maxDelayMs, defaults.maxDelayMs ?? 10_000, { min: baseDelayMs, max: 3_600_000 });
  const multiplier = numberOption(`${path}.multiplier`, input.multiplier, defaults.multiplier ?? 2, { min: 1, max: 100 });
  const jitter = enumOption(`${path}.jitter`, input.jitter, ['full', 'equal', 'none'] as const, defaults.jitter ?? 'full');
  return { baseDelayMs, maxDelayMs, multiplier, jitter };
}

/**
 * The delay before retry number `attempt` (0-based): the cap `min(maxDelayMs, baseDelayMs ×
 * multiplier^attempt)` with jitter applied. Pure; `random` returns a number in [0, 1).
 * @public
 */
export function backoffDelayMs(attempt: number, options: ResolvedBackoffOptions, random: () => number = Math.random): number {
  const cap = Math.min(options.maxDelayMs, options.baseDelayMs * Math.pow(options.multiplier, Math.max(0, attempt)));
  switch (options.jitter) {
    case 'none':
      return Math.round(cap);
    case 'equal':
      return Math.round(cap / 2 + random() * (cap / 2));
    default:
      return Math.round(random() * cap);
  }
}

/**
 * A stateful backoff: each {@link next} returns the following delay; {@link reset} after a success.
 * @public
 */
export class Backoff {
  private attempt = 0;
  readonly options: ResolvedBackoffOptions;
  private readonly random: () => number;

  constructor(options: BackoffOptions | ResolvedBackoffOptions = {}, random: () => number = Math.random) {
    this.options = resolveBackoffOptions(options);
    this.random = random;
  }

  /** Attempts counted since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The next delay in milliseconds; grows until maxDelayMs. */
  next(): number {
    return backoffDelayMs(this.attempt++, this.options, this.random);
  }

  /** Starts over from baseDelayMs. */
  reset(): void {
    this.attempt = 0;
  }
}

/** Options of {@link retry}. @public */
export interface RetryOptions extends BackoffOptions {
  /** Total attempts including the first. Default 5. */
  readonly maxAttempts?: number;
  /** Which errors to retry. Default: ShardlineErrors with `retryable`. */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Maps an error before it is judged and rethrown (e.g. classifyAwsError). */
  readonly mapError?: (error: unknown) => unknown;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** Called before each wait, for logging and metrics. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, a non-retryable error occurs, attempts run out or `signal` aborts;
 * rethrows the last error. Waits with jittered exponential backoff between attempts.
 * @public
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { clock, signal, onRetry, mapError = (e: unknown) => e } = options;
  const maxAttempts = integerOption('retry.maxAttempts', options.maxAttempts, 5, { min: 1 });
  const isRetryable = options.isRetryable ?? ((e: unknown) => ShardlineError.isShardlineError(e) && e.retryable);
  const backoff = new Backoff({ baseDelayMs: options.baseDelayMs, maxDelayMs: options.maxDelayMs, multiplier: options.multiplier, jitter: options.jitter });
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (raw) {
      const error = mapError(raw);
      if (attempt >= maxAttempts || !isRetryable(error) || signal?.aborted) throw error;
      const delay = backoff.next();
      onRetry?.(error, attempt, delay);
      if (!(await clock.sleep(delay, signal))) throw error;
    }
  }
}
