import { InvalidArgumentError } from './errors';

/**
 * Small, pure validators for the `resolveXOptions(input)` pattern: each one takes the dotted path
 * of the field (e.g. `producer.maxConnections`) so that the error names it, fills the default when
 * the value is `undefined`, and throws {@link InvalidArgumentError} before any I/O happens.
 */

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  const primitive = value as number | boolean | symbol | undefined;
  return String(primitive);
}

/** Bounds for {@link integerOption} and {@link numberOption}. @public */
export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
}

function checkBounds(path: string, value: number, bounds: NumberBounds, kind: string): number {
  const { min = -Infinity, max = Infinity } = bounds;
  if (value < min || value > max) {
    const range = min !== -Infinity && max !== Infinity ? `between ${min} and ${max}` : min !== -Infinity ? `at least ${min}` : `at most ${max}`;
    throw new InvalidArgumentError(`${path} must be ${kind}${range} (got ${describe(value)})`);
  }
  return value;
}

/** An integer option (safe integer) within bounds; `undefined` yields the default. @public */
export function integerOption(path: string, value: unknown, defaultValue: number, bounds: NumberBounds = {}): number {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`${path} must be an integer (got ${describe(value)})`);
  }
  return checkBounds(path, value, bounds, 'an integer ');
}

/** A finite number option within bounds; `undefined` yields the default. @public */
export function numberOption(path: string, value: unknown, defaultValue: number, bounds: NumberBounds = {}): number {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`${path} must be a finite number (got ${describe(value)})`);
  }
  return checkBounds(path, value, bounds, '');
}

/** A boolean option; `undefined` yields the default. @public */
export function booleanOption(path: string, value: unknown, defaultValue: boolean): boolean {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`${path} must be a boolean (got ${describe(value)})`);
  return value;
}

/** A string option, optionally non-empty and matching a pattern. @public */
export function stringOption(path: string, value: unknown, defaultValue: string, check: { readonly nonEmpty?: boolean; readonly pattern?: RegExp; readonly maxLength?: number } = {}): string {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'string') throw new InvalidArgumentError(`${path} must be a string (got ${describe(value)})`);
  if (check.nonEmpty && value.length === 0) throw new InvalidArgumentError(`${path} must not be empty`);
  if (check.maxLength !== undefined && value.length > check.maxLength) {
    throw new InvalidArgumentError(`${path} must be at most ${check.maxLength} characters (got ${value.length})`);
  }
  if (check.pattern && !check.pattern.test(value)) {
    throw new InvalidArgumentError(`${path} must match ${check.pattern} (got ${describe(value)})`);
  }
  return value;
}

/** A required, non-empty string. @public */
export function requiredString(path: string, value: unknown): string {
  if (value === undefined) throw new InvalidArgumentError(`${path} is required`);
  return stringOption(path, value, '', { nonEmpty: true });
}

/** One of a fixed set of string values. @public */
export function enumOption<T extends string>(path: string, value: unknown, allowed: readonly T[], defaultValue: T): T {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`${path} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')} (got ${describe(value)})`);
  }
  return value as T;
}

/** A function option (callback, factory); `undefined` yields the default. @public */
export function functionOption<T extends (...args: never[]) => unknown>(path: string, value: unknown, defaultValue: T): T;
export function functionOption<T extends (...args: never[]) => unknown>(path: string, value: unknown): T | undefined;
export function functionOption<T extends (...args: never[]) => unknown>(path: string, value: unknown, defaultValue?: T): T | undefined {
  if (value === undefined) return defaultValue;
  if (typeof value !== 'function') throw new InvalidArgumentError(`${path} must be a function (got ${describe(value)})`);
  return value as T;
}

/**
 * Rejects keys an options object does not know, naming the field and, for renamed options, the
 * replacement (`producer.maxConnection is not an option; did you mean producer.maxConnections?`).
 * @public
 */
export function rejectUnknownOptions(path: string, input: object | undefined, known: readonly string[], renamed: Readonly<Record<string, string>> = {}): void {
  if (input === undefined) return;
  if (input === null || typeof input !== 'object') throw new InvalidArgumentError(`${path} must be an object (got ${describe(input)})`);
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    if ((input as Record<string, unknown>)[key] === undefined) continue;
    const hint = renamed[key] ?? known.find((k) => k.toLowerCase() === key.toLowerCase() || k.toLowerCase() === key.toLowerCase() + 's' || k.toLowerCase() + 's' === key.toLowerCase());
    throw new InvalidArgumentError(`${path}.${key} is not an option${hint ? `; did you mean ${path}.${hint}?` : ''}`);
  }
}

/** An `AbortSignal` option. @public */
export function signalOption(path: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new InvalidArgumentError(`${path} must be an AbortSignal (got ${describe(value)})`);
  return value;
}
