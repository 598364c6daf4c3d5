import { Backoff, ExtendedSequenceNumber, LeaseLostError, type Logger, type MetricLabels, ShardlineError, ShutdownError } from '@shardline/core';
import { isFinishedLease, type Lease, type LeaseCoordinator } from '@shardline/dynamo-lease';
import type { LineageView } from './LineageView';
import { ProcessorDriver, handlerProcessor } from './ProcessorDriver';
import { ProcessorFailedError, ProcessorTimeoutError } from './ProcessorErrors';
import type { RecordProcessor, ShardContext } from './RecordProcessor';
import { RecordProcessorCheckpointer } from './RecordProcessorCheckpointer';
import type { Retrieval, RetrievedBatch } from './Retrieval';
import type { ResolvedWorkerOptions } from './resolveWorkerOptions';
import type { ShardSyncer } from './ShardSyncer';
import { readerStart, type TrackedStream } from './streams';
import type { WorkerInstruments } from './workerMetrics';

/** Where a shard consumer stands (the KCL's `ConsumerStates`). @public */
export type ShardConsumerState = 'waiting-on-parents' | 'initializing' | 'processing' | 'shard-ended' | 'shutting-down' | 'lease-lost' | 'done';

/**
 * How a shard consumer ended, which tells the worker what to do with the lease:
 * `shard-ended`/`finished-earlier` → give it back (nobody needs it); `failed`/`hung` → give it
 * back so the shard is retried from its checkpoint; `lease-lost` → nothing (it is gone);
 * `shutdown`/`stopped` → released with the others by the worker's stop.
 * @public
 */
export type ShardConsumerOutcome = 'shard-ended' | 'finished-earlier' | 'failed' | 'hung' | 'lease-lost' | 'shutdown' | 'stopped';

/** What one shard consumer needs from its worker. */
export interface ShardConsumerDeps {
  readonly lease: Lease;
  readonly stream: TrackedStream;
  readonly shardId: string;
  readonly coordinator: LeaseCoordinator;
  readonly lineage: LineageView;
  readonly retrieval: Retrieval;
  readonly syncer: ShardSyncer;
  readonly options: ResolvedWorkerOptions;
  readonly logger: Logger;
  readonly instruments: WorkerInstruments;
}

/**
 * Processes one held lease, as the KCL's `ShardConsumer`: waits for the shard's parents, calls
 * `initialize`, feeds every retrieved batch to `processRecords` (serially, retried on failure),
 * and ends with `shardEnded` (children's leases created first, `SHARD_END` verified),
 * `shutdownRequested` + `leaseLost` (worker stopping) or `leaseLost` (lease taken away).
 */
export class ShardConsumer {
  readonly leaseKey: string;
  readonly context: ShardContext;
  private currentState: ShardConsumerState = 'waiting-on-parents';
  private stopReason: 'shutdown' | 'lease-lost' | undefined;
  private readonly stopping = new AbortController();
  private readonly abandon = new AbortController();
  private readonly lost = new AbortController();
  private readonly driver: ProcessorDriver;
  private readonly labels: MetricLabels;
  private readonly log: Logger;
  private retriever: { stop(): Promise<void> } | undefined;
  private checkpointer: RecordProcessorCheckpointer | undefined;
  private processed: ExtendedSequenceNumber | undefined;
  /** The auto-checkpoint of the last batch: written while the next batch is fetched, done before it is processed. */
  private checkpointInFlight: Promise<void> | undefined;
  /** True once `initialize` was called: only then does the processor get `leaseLost`. */
  private initialized = false;
  /** Records handed to the processor so far. */
  recordsProcessed = 0;
  /** `millisBehindLatest` of the last batch. */
  millisBehindLatest: number | undefined;
  /** Wall-clock time of the last batch processed. */
  lastBatchAt: number | undefined;
  /** Settles with the outcome; never rejects. */
  readonly done: Promise<ShardConsumerOutcome>;

  constructor(private readonly d: ShardConsumerDeps) {
    this.leaseKey = d.lease.leaseKey;
    this.context = { shardId: d.shardId, streamName: d.stream.streamName, leaseKey: this.leaseKey };
    this.labels = { stream: d.stream.streamName, shard_id: d.shardId };
    this.log = d.logger.child({ leaseKey: this.leaseKey, shardId: d.shardId, stream: d.stream.streamName });
    const o = d.options;
    this.driver = new ProcessorDriver({
      ...o,
      leaseKey: this.leaseKey,
      labels: this.labels,
      logger: this.log,
      instruments: d.instruments,
      abandon: this.abandon.signal,
      stopping: this.stopping.signal,
      interrupt: this.lost.signal,
    });
    this.done = this.run()
      .catch((error: unknown) => {
        this.log.error({ err: error }, 'shard consumer failed unexpectedly');
        return 'failed' as const;
      })
      .then((outcome) => {
        this.currentState = 'done';
        return outcome;
      });
  }

  get state(): ShardConsumerState {
    return this.currentState;
  }

  /** The last committed checkpoint this consumer knows of. */
  get checkpoint(): ExtendedSequenceNumber | undefined {
    return this.checkpointer?.lastCheckpoint ?? this.d.lease.checkpoint;
  }

  /** The worker is stopping: finish the batch in hand, then `shutdownRequested`. */
  requestShutdown(): void {
    this.stopReason ??= 'shutdown';
    this.halt();
  }

  /** The lease is gone: finish the call in hand, then `leaseLost`. */
  leaseLost(): void {
    this.stopReason = 'lease-lost';
    this.lost.abort();
    this.halt();
  }

  /** Gives up on whatever the processor is doing: waits end now, its checkpointer is revoked. */
  giveUp(): void {
    this.checkpointer?.revoke(new ShutdownError(`the worker gave up on ${this.leaseKey}; it no longer checkpoints`));
    this.halt();
    this.abandon.abort();
  }

  private halt(): void {
    this.stopping.abort();
    void this.retriever?.stop();
  }

  private keepTrying = (): boolean => this.stopReason === undefined;

  private async run(): Promise<ShardConsumerOutcome> {
    const { lease, lineage, coordinator, options } = this.d;
    if (isFinishedLease(lease)) {
      lineage.markFinished(this.leaseKey);
      return 'finished-earlier';
    }
    if (!(await lineage.waitForParents(lease, this.stopping.signal))) return this.stopReason === 'shutdown' ? 'shutdown' : 'stopped';
    let processor: RecordProcessor;
    try {
      processor = options.processor ? options.processor(this.context) : handlerProcessor(options.handler!, this.context);
    } catch (error) {
      this.log.error({ err: error }, 'the processor factory threw; releasing the lease');
      return 'failed';
    }
    try {
      this.currentState = 'initializing';
      const held = coordinator.getHeldLease(this.leaseKey) ?? lease;
      const checkpointer = (this.checkpointer = new RecordProcessorCheckpointer(coordinator.checkpointer(this.leaseKey)));
      const start = held.checkpoint ?? ExtendedSequenceNumber.TRIM_HORIZON;
      const input = { ...this.context, checkpoint: start, pendingCheckpoint: held.pendingCheckpoint, pendingCheckpointState: held.pendingCheckpointState };
      this.initialized = true;
      await this.driver.withRetries('initialize', (signal) => processor.initialize?.({ ...input, signal }), this.keepTrying);
      this.currentState = 'processing';
      this.log.info({ from: start.toString() }, 'processing shard');
      const end = await this.processLoop(processor, checkpointer, start);
      if (end) {
        await this.endShard(processor, checkpointer, end);
        return 'shard-ended';
      }
      return await this.finish(processor, checkpointer);
    } catch (error) {
      return this.onFailure(processor, error);
    }
  }

  private async onFailure(processor: RecordProcessor, error: unknown): Promise<ShardConsumerOutcome> {
    if (error instanceof ProcessorTimeoutError) {
      this.checkpointer?.revoke(new ShutdownError(`${error.call} on ${this.leaseKey} was given up after ${error.timeoutMs} ms`));
      return this.stopReason === 'shutdown' && this.abandon.signal.aborted ? 'shutdown' : 'hung';
    }
    if (error instanceof ShutdownError || error instanceof LeaseLostError) {
      // Retries were cut short by a stop or a lost lease: end the lifecycle as that requires; a
      // shutdownRequested that hangs there ends as it does on the main path, not as a failure.
      try {
        return await this.finish(processor, this.checkpointer);
      } catch (late) {
        if (late instanceof ProcessorTimeoutError) return this.onFailure(processor, late);
        throw late;
      }
    }
    this.log.error({ err: error }, error instanceof ProcessorFailedError ? 'processor keeps failing; releasing the lease so the shard is retried' : 'shard processing failed; releasing the lease');
    this.checkpointer?.revoke(new ShutdownError(`processing of ${this.leaseKey} failed and its lease was released`));
    await this.callLeaseLost(processor);
    return 'failed';
  }

  /** Retrieval restarts (from the last processed position) until the shard ends or the consumer stops. */
  private async processLoop(processor: RecordProcessor, checkpointer: RecordProcessorCheckpointer, start: ExtendedSequenceNumber): Promise<RetrievedBatch | undefined> {
    const { retrieval, stream, shardId, lease, options } = this.d;
    const backoff = new Backoff(options.processingRetryBackoff);
    let position = start;
    let failures = 0;
    while (this.keepTrying()) {
      const retriever = retrieval.createRetriever({ streamName: stream.streamName, shardId, startingPosition: readerStart(position, stream), shardRange: lease.hashKeyRange });
      this.retriever = retriever;
      const batches = retriever[Symbol.asyncIterator]();
      try {
        while (this.keepTrying()) {
          const waitStartedAt = options.clock.monotonicNow();
          let next: IteratorResult<RetrievedBatch>;
          try {
            next = await batches.next();
          } catch (error) {
            if (!this.keepTrying()) break;
            const fatal = error instanceof ShardlineError && !error.retryable;
            if (fatal && ++failures >= options.maxProcessingAttempts) throw error;
            const delayMs = backoff.next();
            this.log.warn({ err: error, delayMs, failures }, 'retrieval failed; restarting it from the last processed record');
            await options.clock.sleep(delayMs, this.stopping.signal);
            break;
          }
          if (next.done) break;
          this.d.instruments.getRecordsMs.observe(options.clock.monotonicNow() - waitStartedAt, this.labels);
          backoff.reset();
          failures = 0;
          const batch = next.value;
          await this.deliver(processor, checkpointer, batch);
          if (batch.shardEnded) return batch;
          if (batch.lastPosition) position = batch.lastPosition;
        }
      } finally {
        await retriever.stop();
        await this.settleCheckpoint();
      }
    }
    return undefined;
  }

  private async deliver(processor: RecordProcessor, checkpointer: RecordProcessorCheckpointer, batch: RetrievedBatch): Promise<void> {
    const { options, instruments } = this.d;
    await this.settleCheckpoint();
    // A sub-record outside the shard's hash-key range was put in an aggregate that landed on the
    // wrong shard (a reshard its producer had not seen yet); the producer writes it again to the
    // right shard ("Wrong Shard"), so it is skipped here, else it would be processed twice.
    // Only KPL sub-records: a plain record is where Kinesis put it (by an explicit hash key, maybe).
    const misplaced = (r: RetrievedBatch['records'][number]): boolean => r.aggregated && r.outOfShardRange === true;
    const records = batch.records.some(misplaced) ? batch.records.filter((r) => !misplaced(r)) : batch.records;
    if (records.length < batch.records.length) this.log.debug({ skipped: batch.records.length - records.length }, 'skipped sub-records outside the shard hash-key range');
    // Checkpoints may cover the skipped records too: the bound is the batch's last record.
    const last = batch.records[batch.records.length - 1];
    const lastRecord = last ? new ExtendedSequenceNumber(last.sequenceNumber, last.subSequenceNumber) : undefined;
    if (lastRecord) checkpointer.permitUpTo(lastRecord);
    if (records.length > 0 || options.processEmptyBatches) {
      const startedAt = options.clock.monotonicNow();
      const input = { records, millisBehindLatest: batch.millisBehindLatest, checkpointer, isAtShardEnd: batch.shardEnded };
      await this.driver.withRetries('processRecords', (signal) => processor.processRecords({ ...input, signal }), this.keepTrying);
      instruments.processRecordsMs.observe(options.clock.monotonicNow() - startedAt, this.labels);
      let bytes = 0;
      for (const r of records) bytes += r.data.length;
      instruments.records.add(records.length, this.labels);
      instruments.bytes.add(bytes, this.labels);
      this.recordsProcessed += records.length;
      this.lastBatchAt = options.clock.now();
    }
    if (batch.millisBehindLatest !== undefined) {
      this.millisBehindLatest = batch.millisBehindLatest;
      instruments.millisBehindLatest.set(batch.millisBehindLatest, this.labels);
    }
    if (lastRecord) this.processed = lastRecord;
    // Not awaited here: the next GetRecords runs meanwhile (the write is awaited before the next batch is processed).
    if (options.autoCheckpoint && lastRecord && !batch.shardEnded) this.checkpointInFlight = this.checkpointQuietly(checkpointer, lastRecord);
  }

  /** Waits for the auto-checkpoint in flight, if any (it never rejects). */
  private async settleCheckpoint(): Promise<void> {
    const inFlight = this.checkpointInFlight;
    this.checkpointInFlight = undefined;
    await inFlight;
  }

  /** Auto-checkpoint: a failure is logged, never fatal (the next batch's checkpoint covers it). */
  private async checkpointQuietly(checkpointer: RecordProcessorCheckpointer, position: ExtendedSequenceNumber): Promise<void> {
    try {
      await checkpointer.checkpoint(position);
    } catch (error) {
      const gone = error instanceof LeaseLostError || error instanceof ShutdownError;
      this.log[gone ? 'info' : 'warn']({ err: error, position: position.toString() }, gone ? 'checkpoint refused: the lease is gone' : 'checkpoint failed; the next one covers it');
    }
  }

  private async endShard(processor: RecordProcessor, checkpointer: RecordProcessorCheckpointer, end: RetrievedBatch): Promise<void> {
    const { syncer, stream, lease, options, lineage } = this.d;
    this.currentState = 'shard-ended';
    const backoff = new Backoff(options.processingRetryBackoff);
    for (;;) {
      try {
        const children = await syncer.createChildLeases(stream, lease, end.childShards);
        this.log.info({ children }, 'shard ended; child leases created');
        break;
      } catch (error) {
        if (!this.keepTrying()) throw new ShutdownError(`${this.leaseKey}: stopped while creating child leases`, { cause: error });
        this.log.warn({ err: error }, 'could not create child leases; retrying');
        await options.clock.sleep(backoff.next(), this.stopping.signal);
      }
    }
    checkpointer.permitShardEnd();
    // The simple handler shape has no shardEnded: the worker checkpoints SHARD_END for it.
    const workerCheckpoints = options.autoCheckpoint || !processor.shardEnded;
    await this.driver.withRetries(
      'shardEnded',
      async (signal) => {
        await processor.shardEnded?.({ checkpointer, signal });
        if (workerCheckpoints && !checkpointer.checkpointedShardEnd) await checkpointer.checkpoint();
      },
      this.keepTrying,
      () => checkpointer.checkpointedShardEnd,
    );
    lineage.markFinished(this.leaseKey);
  }

  /** The end of a consumer that did not reach its shard's end. */
  private async finish(processor: RecordProcessor, checkpointer: RecordProcessorCheckpointer | undefined): Promise<ShardConsumerOutcome> {
    if (this.stopReason === 'shutdown' && checkpointer) {
      this.currentState = 'shutting-down';
      const processed = this.processed;
      if (this.d.options.autoCheckpoint && processed) await this.checkpointQuietly(checkpointer, processed);
      if (processor.shutdownRequested) {
        const outcome = await this.driver.once('shutdownRequested', (signal) => processor.shutdownRequested!({ checkpointer, signal }));
        if (outcome !== 'ok') this.log.error({ err: outcome.error }, 'shutdownRequested threw; the lease is released anyway');
      }
    }
    checkpointer?.revoke(new ShutdownError(`${this.leaseKey} is no longer processed by this worker`));
    this.currentState = 'lease-lost';
    await this.callLeaseLost(processor);
    return this.stopReason === 'shutdown' ? 'shutdown' : 'lease-lost';
  }

  private async callLeaseLost(processor: RecordProcessor): Promise<void> {
    this.currentState = 'lease-lost';
    if (!processor.leaseLost || !this.initialized) {
      this.currentState = 'done';
      return;
    }
    try {
      await this.driver.once('leaseLost', (signal) => processor.leaseLost!({ signal }));
    } catch (error) {
      this.log.error({ err: error }, 'leaseLost did not return');
    } finally {
      this.currentState = 'done';
    }
  }
}
