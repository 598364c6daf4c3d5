import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber } from '@shardline/core';
import { createStream, splitShard, uniqueName } from '@shardline/testkit';
import type { ShardBatch } from '../src';

/** One record as put: its id (the data), the shard Kinesis chose and its sequence number. */
export interface PutResult {
  readonly id: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
}

/** Puts `count` records `<prefix>-<i>` with partition keys `pk-<i>`, 500 per call, and returns where each went. */
export async function putRecords(kinesis: KinesisClient, streamName: string, count: number, prefix = 'r'): Promise<PutResult[]> {
  const results: PutResult[] = [];
  for (let start = 0; start < count; start += 500) {
    const ids = Array.from({ length: Math.min(500, count - start) }, (_, i) => `${prefix}-${start + i}`);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: ids.map((id) => ({ PartitionKey: `pk-${id}`, Data: Buffer.from(id) })) }));
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
    out.Records!.forEach((r, i) => results.push({ id: ids[i]!, shardId: r.ShardId!, sequenceNumber: r.SequenceNumber! }));
  }
  return results;
}

/** Collects delivered records per shard, with their global delivery order. */
export class Collector {
  readonly byShard = new Map<string, string[]>();
  readonly order: { id: string; shardId: string }[] = [];
  readonly batches: ShardBatch[] = [];

  add(batch: ShardBatch): void {
    this.batches.push(batch);
    let list = this.byShard.get(batch.shardId);
    if (!list) this.byShard.set(batch.shardId, (list = []));
    for (const r of batch.records) {
      const id = r.data.toString();
      list.push(id);
      this.order.push({ id, shardId: batch.shardId });
    }
  }

  get count(): number {
    return this.order.length;
  }

  ids(): string[] {
    return this.order.map((o) => o.id);
  }
}

/** Expected ids per shard, in put order. */
export function expectedByShard(puts: readonly PutResult[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const p of puts) {
    let l = m.get(p.shardId);
    if (!l) m.set(p.shardId, (l = []));
    l.push(p.id);
  }
  return m;
}

/** A one-shard stream with `before` records, split in two, then `after` more records (on the children). */
export async function splitStream(kinesis: KinesisClient, before: number, after: number): Promise<{ streamName: string; parent: string; puts: PutResult[] }> {
  const streamName = uniqueName('split');
  await createStream(kinesis, streamName, 1);
  const parent = 'shardId-000000000000';
  const puts = await putRecords(kinesis, streamName, before, 'a');
  await splitShard(kinesis, streamName, parent);
  puts.push(...(await putRecords(kinesis, streamName, after, 'b')));
  return { streamName, parent, puts };
}

export const esn = (seq: string, sub = 0): ExtendedSequenceNumber => new ExtendedSequenceNumber(seq, sub);
