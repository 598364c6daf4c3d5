import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { TestEmulators } from '@shardline/testkit';
export { mergeShards, splitShard, type TestEmulators, useEmulators, waitFor } from '@shardline/testkit';
import type { KinesisClientRecord, RecordProcessor, ShardContext, WorkerOptions } from '../src';

/** Worker options that point at the emulators, with fast timings for tests. */
export function testWorkerOptions(t: TestEmulators, options: Partial<WorkerOptions> & Pick<WorkerOptions, 'applicationName'>): WorkerOptions {
  return {
    clientOptions: { env: t.env },
    failoverTimeMs: 1_500,
    idleTimeBetweenReadsMs: 200,
    initialPosition: 'TRIM_HORIZON',
    shardSyncIntervalMs: 1_000,
    processingRetryBackoff: { baseDelayMs: 20, maxDelayMs: 100 },
    ...options,
  };
}

/** Puts `count` records `<prefix>-<i>`, 500 per call; returns the ids by shard, in put order. */
export async function putRecords(kinesis: KinesisClient, streamName: string, count: number, prefix = 'r'): Promise<Map<string, string[]>> {
  const byShard = new Map<string, string[]>();
  for (let start = 0; start < count; start += 500) {
    const ids = Array.from({ length: Math.min(500, count - start) }, (_, i) => `${prefix}-${start + i}`);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: ids.map((id) => ({ PartitionKey: `pk-${id}`, Data: Buffer.from(id) })) }));
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
    out.Records!.forEach((r, i) => byShard.set(r.ShardId!, [...(byShard.get(r.ShardId!) ?? []), ids[i]!]));
  }
  return byShard;
}

/** What processors saw, across workers and shards. */
export class Ledger {
  /** Record ids per shard in processing order (duplicates included). */
  readonly byShard = new Map<string, string[]>();
  /** Lifecycle calls in order, e.g. `shardEnded shardId-000000000000`. */
  readonly calls: string[] = [];
  /** When each shard's first record and its shard end were seen (performance.now()). */
  readonly firstRecordAt = new Map<string, number>();
  readonly shardEndAt = new Map<string, number>();

  record(shardId: string, records: readonly KinesisClientRecord[]): void {
    let list = this.byShard.get(shardId);
    if (!list) this.byShard.set(shardId, (list = []));
    if (records.length && !this.firstRecordAt.has(shardId)) this.firstRecordAt.set(shardId, performance.now());
    for (const r of records) list.push(r.data.toString());
  }

  distinct(): Set<string> {
    return new Set([...this.byShard.values()].flat());
  }

  /** A lifecycle processor that records everything into this ledger and checkpoints each batch. */
  processor(overrides: Partial<RecordProcessor> = {}): (shard: ShardContext) => RecordProcessor {
    return (shard) => ({
      initialize: (input) => void this.calls.push(`initialize ${shard.shardId} ${input.checkpoint.toString()}`),
      processRecords: async (input) => {
        this.record(shard.shardId, input.records);
        await input.checkpointer.checkpoint();
      },
      shardEnded: async ({ checkpointer }) => {
        this.calls.push(`shardEnded ${shard.shardId}`);
        this.shardEndAt.set(shard.shardId, performance.now());
        await checkpointer.checkpoint();
      },
      leaseLost: () => void this.calls.push(`leaseLost ${shard.shardId}`),
      shutdownRequested: async ({ checkpointer }) => {
        this.calls.push(`shutdownRequested ${shard.shardId}`);
        await checkpointer.checkpoint();
      },
      ...overrides,
    });
  }
}
