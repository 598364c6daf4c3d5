/** What a secret's value is replaced with. @public */
export const REDACTED = '[REDACTED]';

/**
 * Key names (lower case, without `_`, `-` or other separators) whose values are secrets, wherever
 * they appear: `secretAccessKey`, `secret_access_key`, `AWS_SECRET_ACCESS_KEY` and
 * `x-amz-security-token` all match. A key also matches when it ends with one of them
 * (`kinesisSecretAccessKey`, `dbPassword`).
 * @public
 */
export const SECRET_KEY_SUFFIXES: readonly string[] = [
  'credentials',
  'accesskeyid',
  'secretaccesskey',
  'secretkey',
  'sessiontoken',
  'securitytoken',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'authtoken',
  'bearertoken',
  'authorization',
  'password',
  'passwd',
  'passphrase',
  'secret',
  'privatekey',
  'apikey',
  'cookie',
];

/** Keys that are secrets only as a whole word (a suffix match would catch `nextToken`). */
const SECRET_KEYS_EXACT = new Set(['token']);

const keyCache = new Map<string, boolean>();
const KEY_CACHE_LIMIT = 10_000;

/** True when a field called `key` holds a secret (see {@link SECRET_KEY_SUFFIXES}). @public */
export function isSecretKey(key: string): boolean {
  let secret = keyCache.get(key);
  if (secret !== undefined) return secret;
  const normalized = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  secret = SECRET_KEYS_EXACT.has(normalized) || SECRET_KEY_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
  // Keys come from a small vocabulary; a caller logging unbounded dynamic keys only loses the cache.
  if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(key, secret);
  return secret;
}

/** Deeper than this, a value is replaced rather than walked (JSON.stringify itself gives up near there). */
const MAX_DEPTH = 1_000;

/** Values JSON serialization prints without looking inside for keys: nothing to redact there. */
function isOpaque(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Map ||
    value instanceof Set ||
    value instanceof WeakMap ||
    value instanceof WeakSet ||
    value instanceof Promise
  );
}

/**
 * The keys a serializer prints: own enumerable ones (JSON), plus an Error's `cause` and `errors`
 * (own but not enumerable), which pino's err serializer follows.
 */
function printedKeys(value: object): string[] {
  const keys = Object.keys(value);
  if (value instanceof Error) {
    for (const key of ['cause', 'errors']) if (!keys.includes(key) && Object.prototype.hasOwnProperty.call(value, key)) keys.push(key);
  }
  return keys;
}

function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    // A throwing getter: JSON.stringify would throw too, and pino then falls back; nothing to see.
    return undefined;
  }
}

/** True when a secret key is reachable from `value` (through the keys serializers print). */
function holdsSecret(value: object, seen: Set<object>, depth: number): boolean {
  if (depth > MAX_DEPTH) return true;
  seen.add(value);
  for (const key of printedKeys(value)) {
    if (isSecretKey(key)) return true;
    const child = read(value, key);
    if (child !== null && typeof child === 'object' && !seen.has(child) && !isOpaque(child) && holdsSecret(child, seen, depth + 1)) return true;
  }
  return false;
}

/** A copy of `value` with every secret replaced; cycles become `[Circular]`. */
function copyRedacted(value: object, done: Map<object, unknown>, path: Set<object>, depth: number): unknown {
  const existing = done.get(value);
  if (existing !== undefined) return existing;
  if (path.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[Too deep]';
  path.add(value);
  const isArray = Array.isArray(value);
  // Otherwise keep the prototype and the non-enumerable own properties (an Error's message and
  // stack), so that serializers looking for them (pino's err) still recognise the copy.
  const copy = (isArray ? [] : Object.create(Object.getPrototypeOf(value) as object | null)) as Record<string, unknown>;
  const keys = printedKeys(value);
  if (!isArray) {
    for (const key of Object.getOwnPropertyNames(value)) {
      const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
      if (!descriptor.enumerable && 'value' in descriptor && !keys.includes(key)) Object.defineProperty(copy, key, descriptor);
    }
  }
  for (const key of keys) {
    const child = read(value, key);
    const out = isSecretKey(key) ? REDACTED : child !== null && typeof child === 'object' && !isOpaque(child) ? copyRedacted(child, done, path, depth + 1) : child;
    const enumerable = Object.prototype.propertyIsEnumerable.call(value, key);
    // defineProperty, not assignment: a setter on the prototype must not run on the copy.
    Object.defineProperty(copy, key, { value: out, enumerable, writable: true, configurable: true });
  }
  path.delete(value);
  done.set(value, copy);
  return copy;
}

/**
 * `value` with the value of every secret-named key ({@link isSecretKey}) replaced by
 * `[REDACTED]`, at any depth, inside arrays and class instances, following what JSON prints (own
 * enumerable keys). Returns `value` itself when it holds no secret (the common case costs one walk
 * over its keys, no allocation); otherwise a copy, leaving the caller's object untouched. Cycles
 * in the copy become `[Circular]`.
 * @public
 */
export function redactSecrets<T>(value: T): T {
  if (value === null || typeof value !== 'object' || isOpaque(value)) return value;
  // Most log lines are flat: look at their keys before allocating anything for a deeper walk.
  let nested = false;
  for (const key of printedKeys(value)) {
    if (isSecretKey(key)) return copyRedacted(value, new Map(), new Set(), 0) as T;
    const child = read(value, key);
    if (child !== null && typeof child === 'object' && !isOpaque(child)) nested = true;
  }
  if (!nested || !holdsSecret(value, new Set(), 0)) return value;
  return copyRedacted(value, new Map(), new Set(), 0) as T;
}
