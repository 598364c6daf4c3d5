import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type AwsClientOptions, ExtendedSequenceNumber, type Logger, type Metrics } from '@shardline/core';
import { type Lease, LeaseCoordinator } from '@shardline/dynamo-lease';
import { ShardReader, type ShardBatch } from '@shardline/kinesis-poller';
import { listShards } from '@shardline/kpl-aggregation';

/** What a {@link DemoWorker} needs. */
export interface DemoWorkerOptions {
  readonly workerId: string;
  readonly streamName: string;
  readonly tableName: string;
  readonly kinesis: KinesisClient;
  readonly dynamoDb: AwsClientOptions;
  readonly failoverTimeMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Called serially per shard for every batch, before its checkpoint. */
  readonly onBatch: (workerId: string, batch: ShardBatch) => void;
}

interface ShardTask {
  readonly reader?: ShardReader;
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/**
 * A consumer worker as the KCL runs one: a lease coordinator decides which shards this worker owns;
 * for each held lease a ShardReader reads from the lease's checkpoint, the batch goes to the
 * application, and the checkpoint is written through the lease (so a worker that lost the lease
 * cannot write it). Children start only after every parent has checkpointed SHARD_END.
 */
export class DemoWorker {
  readonly coordinator: LeaseCoordinator;
  private readonly tasks = new Map<string, ShardTask>();
  private stopping = false;

  constructor(private readonly options: DemoWorkerOptions) {
    this.coordinator = new LeaseCoordinator({
      tableName: options.tableName,
      workerId: options.workerId,
      failoverTimeMs: options.failoverTimeMs,
      clientOptions: options.dynamoDb,
      logger: options.logger,
      metrics: options.metrics,
    });
    this.coordinator.on('leaseAcquired', (lease) => this.startShard(lease));
    this.coordinator.on('leaseLost', (lease, reason) => {
      options.logger.info({ shardId: lease.leaseKey, reason }, 'lease lost');
      this.stopShard(lease.leaseKey);
    });
    this.coordinator.on('error', (error) => options.logger.warn({ err: error }, 'lease coordinator error'));
  }

  get workerId(): string {
    return this.options.workerId;
  }

  /** Shards this worker is reading now. */
  get shards(): string[] {
    return [...this.tasks.keys()];
  }

  start(): Promise<void> {
    return this.coordinator.start();
  }

  /** Graceful stop: finish and checkpoint in-flight batches, then give every lease back at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.tasks.keys()].map((shardId) => this.stopShard(shardId)));
    await this.coordinator.stop({ release: true });
  }

  private stopShard(shardId: string): Promise<void> {
    const task = this.tasks.get(shardId);
    if (!task) return Promise.resolve();
    task.abort.abort();
    return task.done;
  }

  private startShard(lease: Lease): void {
    if (this.stopping || this.tasks.has(lease.leaseKey)) return;
    const abort = new AbortController();
    const done = this.runShard(lease, abort.signal).then(
      () => void this.tasks.delete(lease.leaseKey),
      (error: unknown) => {
        this.tasks.delete(lease.leaseKey);
        // Losing the lease mid-batch is normal during rebalancing: the new owner re-reads from the checkpoint.
        const code = (error as { code?: string }).code;
        if (code === 'SHARDLINE_LEASE_LOST' || code === 'SHARDLINE_SHUTDOWN') {
          this.options.logger.info({ shardId: lease.leaseKey, code }, 'stopped: lease no longer held');
          return;
        }
        // Keeping (and renewing) the lease of a shard nobody reads would stall it and its children
        // for good: give it back, and a taker run restarts it from its checkpoint.
        this.options.logger.error({ err: error, shardId: lease.leaseKey }, 'shard processing failed; releasing the lease');
        if (this.stopping) return;
        return this.coordinator.releaseLease(lease.leaseKey).then(
          () => undefined,
          (releaseError: unknown) => this.options.logger.error({ err: releaseError, shardId: lease.leaseKey }, 'could not release the lease; it will expire'),
        );
      },
    );
    this.tasks.set(lease.leaseKey, { abort, done });
  }

  private async runShard(lease: Lease, signal: AbortSignal): Promise<void> {
    const { logger, kinesis, streamName } = this.options;
    const shardId = lease.leaseKey;
    const start = lease.checkpoint ?? ExtendedSequenceNumber.TRIM_HORIZON;
    if (start.sequenceNumber === 'SHARD_END') return; // finished earlier; nothing to read
    if (!(await this.parentsFinished(lease, signal))) return;
    const checkpointer = this.coordinator.checkpointer(shardId);
    const reader = new ShardReader({ client: kinesis, streamName, shardId, startingPosition: start, signal, idleTimeBetweenReadsMs: 250, logger, metrics: this.options.metrics });
    logger.info({ shardId, from: start.toString() }, 'processing shard');
    for await (const batch of reader) {
      if (batch.records.length > 0 || batch.shardEnded) this.options.onBatch(this.workerId, batch);
      if (batch.shardEnded) await this.createChildLeases(shardId);
      if (batch.lastPosition) {
        checkpointer.setLargestPermittedCheckpoint(batch.lastPosition);
        await checkpointer.checkpoint(batch.lastPosition);
      }
      if (batch.shardEnded) {
        logger.info({ shardId }, 'shard ended; children may start');
        return;
      }
    }
  }

  /** Waits until every parent lease has checkpointed SHARD_END (or no longer exists). */
  private async parentsFinished(lease: Lease, signal: AbortSignal): Promise<boolean> {
    for (const parent of lease.parentShardIds) {
      for (;;) {
        if (signal.aborted) return false;
        const stored = await this.coordinator.fetchCheckpoint(parent);
        if (!stored || stored.checkpoint?.sequenceNumber === 'SHARD_END') break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return !signal.aborted;
  }

  /** kinesalite reports no ChildShards at shard end, so find the children with ListShards. */
  private async createChildLeases(shardId: string): Promise<void> {
    const shards = await listShards(this.options.kinesis, { streamName: this.options.streamName });
    const children = shards.filter((s) => s.parentShardId === shardId || s.adjacentParentShardId === shardId);
    await this.coordinator.createLeasesIfNotExist(
      children.map((c) => ({ leaseKey: c.shardId, hashKeyRange: c.range, parentShardIds: [c.parentShardId, c.adjacentParentShardId].filter((p): p is string => !!p) })),
    );
    await this.coordinator.updateChildShards(shardId, children.map((c) => c.shardId));
  }
}
