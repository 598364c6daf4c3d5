import type { OutboundRecord } from './ShardQueue';

/**
 * Gathers Kinesis records into one PutRecords call: at most `maxRecords` entries and `maxBytes`
 * bytes, counted as Kinesis counts them (data + partition key of each entry; the explicit hash key
 * is free). A single record larger than `maxBytes` still goes, alone (the KPL's rule).
 * @internal
 */
export class Collector {
  private entries: OutboundRecord[] = [];
  private bytes = 0;
  /** Earliest deadline of the entries; Infinity when empty. */
  deadline = Infinity;

  constructor(
    readonly maxRecords: number,
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  /** Whether `o` may join the call being collected. */
  fits(o: OutboundRecord): boolean {
    return this.entries.length === 0 || (this.entries.length < this.maxRecords && this.bytes + o.record.sizeBytes <= this.maxBytes);
  }

  add(o: OutboundRecord): void {
    this.entries.push(o);
    this.bytes += o.record.sizeBytes;
    if (o.deadline < this.deadline) this.deadline = o.deadline;
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
    this.deadline = Infinity;
    return out;
  }
}
