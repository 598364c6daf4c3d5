import type { OutboundRecord } from './ShardQueue';

/**
 * Gathers Kinesis records into one PutRecords call: at most `maxRecords` entries and `maxBytes`
 * bytes, counted as Kinesis counts them (data + partition key of each entry; the explicit hash key
 * is free). A single record larger than `maxBytes` still goes, alone (the KPL's rule).
 * @internal
 */
export class PutRecordsCollector {
  private entries: OutboundRecord[] = [];
  private bytes = 0;
  private earliestDeadline = Infinity;

  constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
  ) {}

  /** Earliest deadline of the entries; Infinity when empty. */
  get deadline(): number {
    return this.earliestDeadline;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Whether `outbound` may join the call being collected. */
  fits(outbound: OutboundRecord): boolean {
    return this.entries.length === 0 || (this.entries.length < this.maxRecords && this.bytes + outbound.record.sizeBytes <= this.maxBytes);
  }

  add(outbound: OutboundRecord): void {
    this.entries.push(outbound);
    this.bytes += outbound.record.sizeBytes;
    if (outbound.deadline < this.earliestDeadline) this.earliestDeadline = outbound.deadline;
  }

  /** True when no further record could join. */
  get full(): boolean {
    return this.entries.length >= this.maxRecords || this.bytes >= this.maxBytes;
  }

  /** Hands over the collected entries and starts an empty call. */
  take(): OutboundRecord[] {
    const out = this.entries;
    this.entries = [];
    this.bytes = 0;
    this.earliestDeadline = Infinity;
    return out;
  }
}
