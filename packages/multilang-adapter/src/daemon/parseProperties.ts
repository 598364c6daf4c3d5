import { InvalidArgumentError } from '@shardline/core';

/** A key that appears more than once; the last value wins, as in `java.util.Properties`. @public */
export interface DuplicateProperty {
  readonly key: string;
  /** The line of the value that is overridden. */
  readonly firstLine: number;
  /** The line of the value that is kept. */
  readonly line: number;
}

/**
 * The key/value pairs of a `.properties` file in file order, with the line each one starts on, so
 * that messages about a key can point at it (`app.properties:12`).
 * @public
 */
export class PropertiesMap extends Map<string, string> {
  private readonly lines = new Map<string, number>();
  private readonly repeats: DuplicateProperty[] = [];

  /** @param source The file's name, used in messages. */
  constructor(readonly source?: string) {
    super();
  }

  /** Sets `key`, remembering `line` (1-based) as where it was read. */
  setAt(key: string, value: string, line: number): this {
    const first = this.lines.get(key);
    if (first !== undefined) this.repeats.push({ key, firstLine: first, line });
    this.lines.set(key, line);
    return this.set(key, value);
  }

  /** The line (1-based) where `key`'s logical line starts, or `undefined` when it was not read from text. */
  lineOf(key: string): number | undefined {
    return this.lines.get(key);
  }

  /** `source:line`, `source` or `line N`: where `key` was read, for messages. */
  locate(key: string): string {
    const line = this.lineOf(key);
    if (this.source !== undefined) return line === undefined ? this.source : `${this.source}:${line}`;
    return line === undefined ? '' : `line ${line}`;
  }

  /** Keys given more than once, in the order the repeats were read. */
  get duplicates(): readonly DuplicateProperty[] {
    return this.repeats;
  }
}

/** Options of {@link parseProperties}. @public */
export interface ParsePropertiesOptions {
  /** The file's name, used in error messages and by {@link PropertiesMap.locate}. */
  readonly source?: string;
}

const WHITESPACE = new Set([' ', '\t', '\f']);

function where(source: string | undefined, line: number): string {
  return source === undefined ? `line ${line}` : `${source}:${line}`;
}

/** Decodes UTF-8 strictly, naming the line of the first invalid byte. */
function decodeUtf8(bytes: Uint8Array, source: string | undefined): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    // Find the first byte the lenient decoder turns into U+FFFD that the input did not contain.
    const lenient = new TextDecoder('utf-8').decode(bytes);
    const bad = lenient.indexOf('\uFFFD');
    const line = bad < 0 ? 1 : lenient.slice(0, bad).split(/\r\n|\r|\n/).length;
    throw new InvalidArgumentError(`${where(source, line)}: the properties file is not valid UTF-8 (save it as UTF-8, or write the character as a \\uXXXX escape)`, { cause });
  }
}

/**
 * One logical line: natural lines joined where a line ends in an odd number of backslashes, with
 * the continuation's leading whitespace dropped. Escapes are left in place for {@link unescape}.
 */
interface LogicalLine {
  readonly text: string;
  readonly line: number;
}

function* logicalLines(text: string): Generator<LogicalLine> {
  const natural = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < natural.length; i++) {
    const start = i;
    let current = stripLeading(natural[i]!);
    if (current === '') continue;
    // A comment is always a single natural line, even when it ends in a backslash.
    if (current[0] === '#' || current[0] === '!') continue;
    while (endsInOddBackslashes(current)) {
      current = current.slice(0, -1);
      i++;
      if (i >= natural.length) break;
      current += stripLeading(natural[i]!);
    }
    yield { text: current, line: start + 1 };
  }
}

function stripLeading(s: string): string {
  let i = 0;
  while (i < s.length && WHITESPACE.has(s[i]!)) i++;
  return s.slice(i);
}

function endsInOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

/** Processes `\t \n \r \f \uXXXX` and drops the backslash before any other character. */
function unescape(raw: string, what: () => string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = raw[++i];
    if (next === undefined) break; // a lone backslash at the very end of the file
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = raw.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new InvalidArgumentError(`${what()}: malformed \\uXXXX escape (got \\u${hex})`);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}

/** Splits a logical line into its raw key and raw value (escapes still in place). */
function splitKeyValue(text: string): { key: string; value: string } {
  let i = 0;
  let escaped = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c === '\\') escaped = true;
    else if (c === '=' || c === ':' || WHITESPACE.has(c!)) break;
  }
  const key = text.slice(0, i);
  // Whitespace, then at most one `=` or `:`, then whitespace: `k = v`, `k: v` and `k v` all give `v`.
  while (i < text.length && WHITESPACE.has(text[i]!)) i++;
  if (text[i] === '=' || text[i] === ':') i++;
  while (i < text.length && WHITESPACE.has(text[i]!)) i++;
  return { key, value: text.slice(i) };
}

/**
 * Parses a Java `.properties` file as `java.util.Properties.load(Reader)` does: `key=value`,
 * `key: value` and `key value`; `#` and `!` comment lines; blank lines; a backslash at the end of
 * a line continues it (the next line's leading whitespace is dropped); `\t \n \r \f \uXXXX`
 * escapes, and `\` before any other character stands for that character; a value's leading
 * whitespace is dropped, its trailing whitespace kept; a repeated key keeps its last value.
 *
 * Bytes are decoded as UTF-8 (the Java daemon reads ISO-8859-1, so non-ASCII text in a file it
 * reads correctly was written as `\uXXXX` escapes, which work here too); a leading byte-order mark
 * is skipped. Throws {@link InvalidArgumentError} naming the line for invalid UTF-8 or a
 * malformed `\uXXXX` escape.
 * @public
 */
export function parseProperties(input: string | Uint8Array, options: ParsePropertiesOptions = {}): PropertiesMap {
  const { source } = options;
  let text = typeof input === 'string' ? input : decodeUtf8(input, source);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const properties = new PropertiesMap(source);
  for (const { text: logical, line } of logicalLines(text)) {
    const raw = splitKeyValue(logical);
    const key = unescape(raw.key, () => `${where(source, line)}: key`);
    const value = unescape(raw.value, () => `${where(source, line)}: ${key}`);
    properties.setAt(key, value, line);
  }
  return properties;
}
