import { MemoryMetrics } from '@shardline/core';
import { createProducerMetrics } from '../producerMetrics';
import { BatchedCounters } from './BatchedCounters';

describe('BatchedCounters', () => {
  it('adds up per record and reaches the metrics only on publish', () => {
    const memory = new MemoryMetrics();
    const counters = new BatchedCounters(createProducerMetrics(memory));
    counters.recordReceived();
    counters.recordReceived();
    counters.recordWritten();
    counters.kinesisRecordWritten();
    expect(memory.value('producer_user_records_received_total')).toBe(0);
    counters.publish();
    expect(memory.value('producer_user_records_received_total')).toBe(2);
    expect(memory.value('producer_user_records_put_total')).toBe(1);
    expect(memory.value('producer_records_total', { outcome: 'success' })).toBe(1);
    expect(memory.value('producer_kinesis_records_put_total')).toBe(1);
    counters.publish();
    expect(memory.value('producer_user_records_received_total')).toBe(2);
  });
});
