import { InvalidArgumentError } from '@shardline/core';
import type { PropertiesMap } from './parseProperties';
import { canonicalKey } from './propertyKeys';

const TRUE = ['true', 'yes', 'y', 'on', '1'];
const FALSE = ['false', 'no', 'n', 'off', '0'];

/** Inclusive bounds of an integer value. */
export interface Bounds {
  readonly min: number;
  readonly max: number;
}

/** Reads typed values from the properties, with messages that name the key and its line. */
export class PropertyReader {
  readonly warnings: { readonly line: number; readonly text: string }[] = [];
  /** Canonical key → the key as written and its value. */
  private readonly values = new Map<string, { readonly written: string; readonly value: string }>();

  constructor(
    properties: ReadonlyMap<string, string>,
    private readonly located: PropertiesMap | undefined,
    private readonly source: string | undefined,
  ) {
    for (const [written, value] of properties) this.values.set(canonicalKey(written), { written, value });
  }

  entries(): IterableIterator<[string, { readonly written: string; readonly value: string }]> {
    return this.values.entries();
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  written(key: string): string {
    return this.values.get(key)?.written ?? key;
  }

  line(key: string): number | undefined {
    return this.located?.lineOf(this.written(key));
  }

  /** `file:line: ` (or the parts known) before a message about `key`. */
  where(key: string | undefined): string {
    const line = key === undefined ? undefined : this.line(key);
    const source = this.located?.source ?? this.source;
    if (source !== undefined) return line === undefined ? `${source}: ` : `${source}:${line}: `;
    return line === undefined ? '' : `line ${line}: `;
  }

  warn(key: string | undefined, text: string): void {
    this.warnings.push({ line: (key === undefined ? undefined : this.line(key)) ?? Number.MAX_SAFE_INTEGER, text: `${this.where(key)}${text}` });
  }

  fail(key: string | undefined, text: string, cause?: unknown): never {
    throw new InvalidArgumentError(`${this.where(key)}${text}`, cause === undefined ? undefined : { cause });
  }

  raw(key: string): string | undefined {
    return this.values.get(key)?.value;
  }

  /** The trimmed value; an empty one counts as absent, with a warning. */
  text(key: string): string | undefined {
    const value = this.raw(key)?.trim();
    if (value === '') {
      this.warn(key, `${this.written(key)} is empty and is ignored`);
      return undefined;
    }
    return value;
  }

  required(key: string): string {
    const value = this.raw(key)?.trim();
    if (!value) this.fail(key, `${key} is required${value === '' ? ' (it is empty)' : ''}`);
    return value;
  }

  integer(key: string, bounds: Bounds): number | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    const n = /^[+-]?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n)) this.fail(key, `${this.written(key)} must be an integer (got ${JSON.stringify(value)})`);
    if (n < bounds.min || n > bounds.max) this.fail(key, `${this.written(key)} must be between ${bounds.min} and ${bounds.max} (got ${n})`);
    return n;
  }

  /**
   * A key the Java daemon copies from a primitive field: a value equal to Java's zero is never
   * applied there, so 0 is ignored here too, with a warning.
   */
  javaInteger(key: string, bounds: Bounds, defaultText: string): number | undefined {
    if (/^[+-]?0+$/.test(this.raw(key)?.trim() ?? '') && bounds.min > 0) {
      this.warn(key, `${this.written(key)}=0 is ignored, as the Java daemon ignores a zero here; the default (${defaultText}) is used`);
      return undefined;
    }
    return this.integer(key, bounds);
  }

  boolean(key: string): boolean | undefined {
    const value = this.text(key)?.toLowerCase();
    if (value === undefined) return undefined;
    if (TRUE.includes(value)) return true;
    if (FALSE.includes(value)) return false;
    return this.fail(key, `${this.written(key)} must be true or false (got ${JSON.stringify(this.raw(key)?.trim())})`);
  }

  /** One of `allowed`, compared in upper case as the Java daemon does. */
  choice<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    const upper = value.toUpperCase();
    if (!(allowed as readonly string[]).includes(upper)) this.fail(key, `${this.written(key)} must be one of ${allowed.join(', ')} (got ${JSON.stringify(value)})`);
    return upper as T;
  }

  url(key: string): string | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      this.fail(key, `${key} must be an absolute http(s) URL (got ${JSON.stringify(value)}${/^[\w.-]+(:\d+)?$/.test(value) ? `; did you mean https://${value}?` : ''})`);
    }
    return value;
  }
}
