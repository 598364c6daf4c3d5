import { InvalidArgumentError, MAX_PARTITION_KEY_LENGTH, parseExplicitHashKey, RecordTooLargeError, utf8ByteLength, validatePartitionKey } from '@shardline/core';
import { PendingRecord } from '../PendingRecord';

/** Record payload: bytes, or a string sent as UTF-8. @public */
export type RecordData = Uint8Array | string;

// Read once: a re-exported binding is a getter chain, and this one is read for every record.
const MAX_KEY_LENGTH = MAX_PARTITION_KEY_LENGTH;

function toBytes(data: RecordData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  throw new InvalidArgumentError(`data must be a Uint8Array, a Buffer or a string (got ${data === null ? 'null' : typeof data})`);
}

/**
 * Validates one record as `put` receives it and wraps it for the pipeline, or throws the typed
 * error of its first problem (InvalidPartitionKeyError, InvalidExplicitHashKeyError,
 * InvalidArgumentError, RecordTooLargeError). `seq` orders it for `flush()`.
 * @internal
 */
export function createPendingRecord(data: RecordData, partitionKey: string, explicitHashKey: string | undefined, maxRecordBytes: number, seq: number): PendingRecord {
  // The common case checked inline; core's validator builds the error message otherwise.
  if (typeof partitionKey !== 'string' || partitionKey.length === 0 || partitionKey.length > MAX_KEY_LENGTH) validatePartitionKey(partitionKey);
  if (explicitHashKey !== undefined) parseExplicitHashKey(explicitHashKey);
  const bytes = toBytes(data);
  const size = bytes.length + utf8ByteLength(partitionKey);
  if (size > maxRecordBytes) throw new RecordTooLargeError(size, maxRecordBytes);
  return new PendingRecord(partitionKey, explicitHashKey, bytes, size, seq);
}
