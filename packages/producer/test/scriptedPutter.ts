import { createNoopLogger, evenHashKeyRanges, type HashKeyRange } from '@shardline/core';
import { ShardMap } from '@shardline/kpl-aggregation';
import type { Putter, PutRecordsEntry, PutRecordsRequest, PutRecordsResultEntry, ShardMapSource } from '../src';

/** Shards `shardId-0..n-1` with even ranges. */
export function evenShardMap(n: number, prefix = 'shardId-'): ShardMap {
  return new ShardMap(evenHashKeyRanges(n).map((range: HashKeyRange, i) => ({ shardId: `${prefix}${i}`, range, open: true })));
}

/** What a scripted call sees and may decide. */
export interface ScriptedCall {
  readonly call: number;
  readonly request: PutRecordsRequest;
}

/**
 * A Putter that routes entries the way Kinesis does — by explicit hash key or the MD5 of the
 * partition key, against `routing`, which tests change to simulate a reshard — and lets a test fail
 * chosen entries or whole calls. It is the producer's seam, not an emulator: integration tests use
 * kinesalite.
 */
export class ScriptedPutter implements Putter {
  routing: ShardMap;
  calls = 0;
  /** Entries written, in write order: what a consumer would read. */
  readonly written: { shardId: string; sequenceNumber: string; entry: PutRecordsEntry }[] = [];
  /** Decides per entry: undefined = write it, else an error result. */
  entryFault: ((entry: PutRecordsEntry, index: number, call: ScriptedCall) => { errorCode: string; errorMessage?: string } | undefined) | undefined;
  /** Runs before a call: throw to fail it, await to delay it. */
  before: ((call: ScriptedCall, signal: AbortSignal) => void | Promise<void>) | undefined;
  private seq = 0n;

  constructor(routing: ShardMap) {
    this.routing = routing;
  }

  async putRecords(request: PutRecordsRequest, signal: AbortSignal): Promise<{ records: PutRecordsResultEntry[] }> {
    const call: ScriptedCall = { call: ++this.calls, request };
    await this.before?.(call, signal);
    const records = request.records.map((entry, i): PutRecordsResultEntry => {
      const fault = this.entryFault?.(entry, i, call);
      if (fault) return fault;
      const shard = this.routing.shardForRecord(entry.PartitionKey, entry.ExplicitHashKey)!;
      const sequenceNumber = String(49_000_000_000_000_000_000_000n + ++this.seq);
      this.written.push({ shardId: shard.shardId, sequenceNumber, entry });
      return { shardId: shard.shardId, sequenceNumber };
    });
    return { records };
  }
}

/** A shard-map source whose answer tests can change, counting loads. */
export class SwitchableShardMapSource implements ShardMapSource {
  loads = 0;
  fail: Error | undefined;
  constructor(public map: ShardMap) {}
  async load(): Promise<ShardMap> {
    this.loads++;
    if (this.fail) throw this.fail;
    return this.map;
  }
}

export const quietLogger = createNoopLogger();
