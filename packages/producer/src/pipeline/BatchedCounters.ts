import type { ProducerMetrics } from '../producerMetrics';

/**
 * Per-record counters added up in plain fields and handed to the metrics seam once per pipeline
 * pass: a counter call per record would cost more than the record's own work.
 * @internal
 */
export class BatchedCounters {
  private received = 0;
  private userRecordsPut = 0;
  private kinesisRecordsPut = 0;

  constructor(private readonly metrics: ProducerMetrics) {}

  /** A user record was accepted. */
  recordReceived(): void {
    this.received++;
  }

  /** A user record was written. */
  recordWritten(): void {
    this.userRecordsPut++;
  }

  /** A Kinesis record (aggregate or raw) was written. */
  kinesisRecordWritten(): void {
    this.kinesisRecordsPut++;
  }

  /** Adds what was counted since the last call to the metrics. */
  publish(): void {
    if (this.received > 0) {
      this.metrics.userRecordsReceived.add(this.received);
      this.received = 0;
    }
    if (this.userRecordsPut > 0) {
      this.metrics.userRecordsPut.add(this.userRecordsPut);
      this.metrics.records.add(this.userRecordsPut, { outcome: 'success' });
      this.userRecordsPut = 0;
    }
    if (this.kinesisRecordsPut > 0) {
      this.metrics.kinesisRecordsPut.add(this.kinesisRecordsPut);
      this.kinesisRecordsPut = 0;
    }
  }
}
