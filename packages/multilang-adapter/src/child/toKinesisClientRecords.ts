import type { KinesisClientRecord } from '@shardline/kcl-consumer';

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  return '';
}

function subSequence(value: unknown): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.trunc(n) : 0;
}

/**
 * The records of a `processRecords` message as a processor receives them from the worker:
 *
 * - `data`: the base64 decoded to a Buffer (an empty Buffer for `null`);
 * - `subSequenceNumber`: `null` (a KCL 1.x daemon, for records that were not aggregated) → 0;
 * - `approximateArrivalTimestamp`: epoch ms → `Date` (`undefined` when absent);
 * - `explicitHashKey`: always `undefined` (the protocol does not carry it);
 * - `aggregated`: the protocol does not carry it either. It is true when the sub-sequence number is
 *   above 0 or the batch holds another record with the same sequence number: the daemon
 *   de-aggregates each Kinesis record into one batch, so this is exact except for a KPL aggregate
 *   of a single user record.
 *
 * Entries that are not objects are dropped; other malformed fields are coerced, never fatal, so the
 * daemon always gets its `status`.
 * @public
 */
export function toKinesisClientRecords(records: readonly unknown[]): KinesisClientRecord[] {
  const raw = records.filter((r): r is Record<string, unknown> => r !== null && typeof r === 'object' && !Array.isArray(r));
  const seen = new Map<string, number>();
  for (const r of raw) {
    const sequenceNumber = text(r.sequenceNumber);
    seen.set(sequenceNumber, (seen.get(sequenceNumber) ?? 0) + 1);
  }
  return raw.map((r): KinesisClientRecord => {
    const sequenceNumber = text(r.sequenceNumber);
    const subSequenceNumber = subSequence(r.subSequenceNumber);
    const arrival = r.approximateArrivalTimestamp;
    return {
      data: typeof r.data === 'string' ? Buffer.from(r.data, 'base64') : Buffer.alloc(0),
      partitionKey: typeof r.partitionKey === 'string' ? r.partitionKey : text(r.partitionKey),
      explicitHashKey: undefined,
      sequenceNumber,
      subSequenceNumber,
      approximateArrivalTimestamp: typeof arrival === 'number' && Number.isFinite(arrival) ? new Date(arrival) : undefined,
      aggregated: subSequenceNumber > 0 || (seen.get(sequenceNumber) ?? 0) > 1,
    };
  });
}
