import type { _Record } from '@aws-sdk/client-kinesis';
import type { DeaggregatedRecord } from '@shardline/kpl-aggregation';

/**
 * A record that is not a KPL aggregate, as the one user record it stands for: sub-sequence
 * number 0, no explicit hash key (a record does not carry the one it was put with), `data` a
 * Buffer over the SDK's bytes (no copy). Shared by the polling reader and kcl-consumer's
 * enhanced fan-out (through `@shardline/kinesis-poller/internal`) so that both deliver plain
 * records identically. Not a supported API (see internal.ts).
 */
export function plainUserRecord(r: _Record): DeaggregatedRecord {
  const data = r.Data;
  return {
    data: !data ? Buffer.alloc(0) : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
    partitionKey: r.PartitionKey ?? '',
    explicitHashKey: undefined,
    sequenceNumber: r.SequenceNumber ?? '',
    subSequenceNumber: 0,
    approximateArrivalTimestamp: r.ApproximateArrivalTimestamp,
    aggregated: false,
  };
}
