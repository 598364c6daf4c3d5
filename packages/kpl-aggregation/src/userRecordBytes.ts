import { InvalidArgumentError } from '@shardline/core/base';

/**
 * The bytes of a record's data when it is not a Uint8Array of this realm: a string's UTF-8 bytes
 * (as the producer sends strings), a Uint8Array of another realm as it is; InvalidArgumentError
 * for anything else, whose `length` would be wrong (Uint16Array), missing (ArrayBuffer, DataView)
 * or meaningless.
 */
export function userRecordBytes(record: unknown): Uint8Array {
  if (record === null || typeof record !== 'object') {
    throw new InvalidArgumentError(`aggregator: record must be an object with partitionKey and data (got ${record === null ? 'null' : typeof record})`);
  }
  const data = (record as { data?: unknown }).data;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array || (ArrayBuffer.isView(data) && Object.prototype.toString.call(data) === '[object Uint8Array]')) return data as Uint8Array;
  throw new InvalidArgumentError(`aggregator: record.data must be a Uint8Array, a Buffer or a string (got ${describeType(data)})`);
}

/** `null`, `undefined`, a primitive's type or an object's constructor name, for error messages. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return typeof name === 'string' && name ? name : 'object';
}
