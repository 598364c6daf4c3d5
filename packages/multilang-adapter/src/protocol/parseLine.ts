import type { ChildMessage, DaemonMessage, MultiLangRecord } from './messages';

/**
 * The end of the first JSON object in `text` (which starts with `{`), or -1. The Java daemon's
 * Jackson reader accepts `{…valid…} trailing text`, so the daemon here does too.
 */
function endOfFirstObject(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return i + 1;
  }
  return -1;
}

function parseObject(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const end = endOfFirstObject(text);
    if (end < 0) return undefined;
    try {
      value = JSON.parse(text.slice(0, end));
    } catch {
      return undefined;
    }
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** A sequence number as Jackson coerces it: strings as they are, numbers as their digits. */
function sequenceValue(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return undefined;
}

/** A text field: strings as they are, numbers and booleans as their text, anything else (or nothing) as ''. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** A sub-sequence number as Jackson coerces it (`"5"` → 5, `1.5` → 1). */
function subSequenceValue(value: unknown): number | null | undefined {
  if (value === null || value === undefined) return null;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? Math.trunc(n) : undefined;
}

/**
 * A line the child wrote, as the daemon reads it: a `status` or `checkpoint` message, or
 * `undefined` for anything else (log text, partial lines, unknown actions, `null`), which the
 * daemon logs and skips.
 * @public
 */
export function parseChildLine(line: string): ChildMessage | undefined {
  const o = parseObject(line);
  if (!o) return undefined;
  if (o.action === 'status') {
    return { action: 'status', responseFor: typeof o.responseFor === 'string' ? o.responseFor : null };
  }
  if (o.action === 'checkpoint') {
    const sequenceNumber = sequenceValue(o.sequenceNumber);
    const subSequenceNumber = subSequenceValue(o.subSequenceNumber);
    if (sequenceNumber === undefined || subSequenceNumber === undefined) return undefined;
    return { action: 'checkpoint', sequenceNumber, subSequenceNumber };
  }
  return undefined;
}

/**
 * A line the daemon wrote, as the child reads it; `undefined` for a line that is not a message.
 * @public
 */
export function parseDaemonLine(line: string): DaemonMessage | undefined {
  const o = parseObject(line);
  if (!o || typeof o.action !== 'string') return undefined;
  switch (o.action) {
    case 'initialize':
      return { action: 'initialize', shardId: text(o.shardId), sequenceNumber: sequenceValue(o.sequenceNumber) ?? null, subSequenceNumber: subSequenceValue(o.subSequenceNumber) ?? null };
    case 'processRecords':
      return {
        action: 'processRecords',
        records: Array.isArray(o.records) ? (o.records as MultiLangRecord[]) : [],
        millisBehindLatest: typeof o.millisBehindLatest === 'number' ? o.millisBehindLatest : null,
      };
    case 'leaseLost':
    case 'shardEnded':
    case 'shutdownRequested':
      return { action: o.action };
    case 'shutdown':
      return { action: 'shutdown', reason: text(o.reason) };
    case 'checkpoint':
      return {
        action: 'checkpoint',
        sequenceNumber: sequenceValue(o.sequenceNumber) ?? null,
        subSequenceNumber: subSequenceValue(o.subSequenceNumber) ?? null,
        error: typeof o.error === 'string' ? o.error : null,
      };
    default:
      return undefined;
  }
}
