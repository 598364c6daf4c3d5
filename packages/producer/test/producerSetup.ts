import { MemoryMetrics } from '@shardline/core';
import { deaggregate } from '@shardline/kpl-aggregation';
import { Producer } from '../src/Producer';
import type { ProducerOptions } from '../src/resolveProducerOptions';
import { evenShardMap, quietLogger, ScriptedPutter, SwitchableShardMapSource } from './scriptedPutter';

export const PTEE = 'ProvisionedThroughputExceededException';

export function setup(overrides: Partial<ProducerOptions> = {}, shards = 4) {
  const map = evenShardMap(shards);
  const putter = new ScriptedPutter(map);
  const source = new SwitchableShardMapSource(map);
  const metrics = new MemoryMetrics();
  const producer = new Producer({
    streamName: 'unit',
    putter,
    shardMapSource: source,
    logger: quietLogger,
    metrics,
    maxBufferedTimeMs: 5,
    retryBackoff: { baseDelayMs: 1, maxDelayMs: 5 },
    ...overrides,
  });
  return { producer, putter, source, metrics, map };
}

/** Every user record the putter wrote, deaggregated, with the shard it landed on. */
export function readBack(putter: ScriptedPutter) {
  return putter.written.flatMap((w) => deaggregate({ Data: w.entry.Data, PartitionKey: w.entry.PartitionKey, SequenceNumber: w.sequenceNumber }).map((u) => ({ ...u, shardId: w.shardId })));
}

/** Lets `turns` rounds of pending I/O callbacks and timers-free work run, without waiting for time. */
export async function turns(n = 10): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}
