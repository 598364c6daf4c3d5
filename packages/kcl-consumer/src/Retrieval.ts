import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Clock, HashKeyRange, Logger, Metrics } from '@shardline/core';
import { type ReadOptions, type ShardBatch, ShardReader, type StartingPosition } from '@shardline/kinesis-poller';

/**
 * One batch of a shard's records as retrieval hands it to the shard consumer: user records in
 * sequence order, `lastPosition` to checkpoint once it is processed, `shardEnded` on the last one.
 * @public
 */
export type RetrievedBatch = ShardBatch;

/** What a retriever is asked to read. @public */
export interface RetrievalTarget {
  readonly streamName: string;
  readonly shardId: string;
  /** Where to start: after a checkpoint, or a sentinel / timestamp position. */
  readonly startingPosition: StartingPosition;
  readonly shardRange: HashKeyRange | undefined;
}

/**
 * The records of one shard, as an async iterable that ends after the shard-end batch or when
 * stopped. Backpressure: the next batch is fetched (beyond any prefetch) only when asked for.
 * @public
 */
export interface RecordsRetriever extends AsyncIterable<RetrievedBatch> {
  /** Ends the iteration and releases every request and timer; resolves when they are released. */
  stop(): Promise<void>;
}

/**
 * Makes the retriever of each shard a worker processes. Polling (GetRecords) is built in; another
 * retrieval (such as enhanced fan-out) implements this interface and nothing on the processor side
 * changes.
 * @public
 */
export interface Retrieval {
  createRetriever(target: RetrievalTarget): RecordsRetriever;
  /** Releases what the retrieval holds (registrations, connections). Optional. */
  close?(): Promise<void>;
}

/** Options of {@link PollingRetrieval}. @public */
export interface PollingRetrievalOptions extends Omit<ReadOptions, 'clock' | 'logger' | 'metrics'> {
  readonly client: KinesisClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/** GetRecords retrieval through the poller's {@link ShardReader} (the KCL's polling mode). @public */
export class PollingRetrieval implements Retrieval {
  constructor(private readonly options: PollingRetrievalOptions) {}

  createRetriever(target: RetrievalTarget): RecordsRetriever {
    // KPL sub-records are range-checked by default, so that the consumer can drop those outside the shard (see ShardConsumer.deliver).
    const deaggregate = this.options.deaggregate ?? { outOfRange: 'report' as const };
    return new ShardReader({ ...this.options, deaggregate, streamName: target.streamName, shardId: target.shardId, startingPosition: target.startingPosition, shardRange: target.shardRange });
  }
}
