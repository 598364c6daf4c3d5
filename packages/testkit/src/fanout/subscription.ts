import { randomUUID } from 'node:crypto';
import { constants, type ServerHttp2Stream } from 'node:http2';
import type { EventFrames, SubscribeToShardEventBody } from './eventFrames';
import type { FanOutEndReason, FanOutSubscriptionInfo } from './types';
import { KinesisApiError } from './types';
import type { Upstream } from './upstream';

/** What a subscription needs from its front. */
export interface SubscriptionContext {
  readonly upstream: Upstream;
  readonly frames: EventFrames;
  readonly pollIntervalMs: number;
  readonly idleEventIntervalMs: number;
  readonly subscriptionMs: number;
  readonly maxRecordsPerEvent: number;
  isSilenced(shardId: string): boolean;
  onSent(records: number): void;
  onEnd(subscription: Subscription): void;
}

type MutableInfo = { -readonly [K in keyof FanOutSubscriptionInfo]: FanOutSubscriptionInfo[K] };

interface GetRecordsOutput {
  Records?: { SequenceNumber: string; ApproximateArrivalTimestamp?: number }[];
  NextShardIterator?: string;
  MillisBehindLatest?: number;
}

interface ListedShard {
  ShardId: string;
  ParentShardId?: string;
  AdjacentParentShardId?: string;
  HashKeyRange: { StartingHashKey: string; EndingHashKey: string };
}

/**
 * One open SubscribeToShard: polls kinesalite's GetRecords from its iterator and writes one
 * SubscribeToShardEvent per poll that found records, an empty one when idle for
 * `idleEventIntervalMs`, and the shard-end event (no ContinuationSequenceNumber, ChildShards) when
 * the closed shard is exhausted. HTTP/2 flow control is honoured: no poll while the client has not
 * drained the previous event.
 */
export class Subscription {
  readonly info: MutableInfo;
  private ended = false;
  private expiry: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private lastEventAt = 0;

  constructor(
    private readonly ctx: SubscriptionContext,
    private readonly stream: ServerHttp2Stream,
    readonly streamName: string,
    consumerArn: string,
    shardId: string,
    startingPosition: FanOutSubscriptionInfo['startingPosition'],
    private iterator: string,
    /** AFTER_SEQUENCE_NUMBER of this reads exactly what is not yet sent. */
    private continuation: string,
  ) {
    this.info = { consumerArn, shardId, startingPosition, openedAt: Date.now(), eventsSent: 0, recordsSent: 0 };
  }

  /** Sends the 200, the initial-response, and starts polling. */
  start(): void {
    this.stream.on('close', () => this.end('cancelled'));
    this.stream.on('error', () => this.end('cancelled'));
    this.stream.respond({ ':status': 200, 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': randomUUID() });
    this.stream.write(this.ctx.frames.initialResponse());
    this.expiry = setTimeout(() => this.end('expired'), this.ctx.subscriptionMs);
    this.run().catch((error: unknown) => this.fail(error));
  }

  /**
   * Ends the subscription: with an exception event first when `exception` is given, by resetting
   * the stream for 'closed', by a clean end of the stream otherwise. Idempotent.
   */
  end(reason: FanOutEndReason, exception?: { type: string; message: string }): void {
    if (this.ended) return;
    this.ended = true;
    this.info.endedAt = Date.now();
    this.info.endReason = reason;
    if (exception) this.info.exceptionType = exception.type;
    clearTimeout(this.expiry);
    this.wake?.();
    if (!this.stream.destroyed && !this.stream.closed) {
      try {
        if (reason === 'closed') {
          this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
        } else if (reason !== 'cancelled') {
          if (exception) this.stream.write(this.ctx.frames.exception(exception.type, exception.message));
          this.stream.end();
        }
      } catch {
        // The client reset the stream meanwhile: nothing left to tell it.
      }
    }
    this.ctx.onEnd(this);
  }

  private async run(): Promise<void> {
    while (!this.ended) {
      if (this.ctx.isSilenced(this.info.shardId)) {
        await this.sleep(this.ctx.pollIntervalMs);
        continue;
      }
      let out: GetRecordsOutput;
      try {
        out = await this.ctx.upstream.call<GetRecordsOutput>('GetRecords', { ShardIterator: this.iterator, Limit: this.ctx.maxRecordsPerEvent });
      } catch (error) {
        if (this.ended) return;
        if (error instanceof KinesisApiError && error.type === 'ExpiredIteratorException') {
          if (await this.renewIterator()) continue;
          return;
        }
        this.fail(error);
        return;
      }
      // Ended or silenced during the call: what was read is not sent, and the iterator stays put.
      if (this.ended || this.ctx.isSilenced(this.info.shardId)) continue;
      const records = out.Records ?? [];
      if (!out.NextShardIterator) {
        await this.shardEnd();
        return;
      }
      this.iterator = out.NextShardIterator;
      if (records.length > 0) {
        this.continuation = records[records.length - 1]!.SequenceNumber;
        const behind = records.length >= this.ctx.maxRecordsPerEvent ? Math.max(0, Date.now() - (records[records.length - 1]!.ApproximateArrivalTimestamp ?? 0) * 1000) : 0;
        await this.send({ Records: records, ContinuationSequenceNumber: this.continuation, MillisBehindLatest: behind });
      } else if (Date.now() - this.lastEventAt >= this.ctx.idleEventIntervalMs) {
        await this.send({ Records: [], ContinuationSequenceNumber: this.continuation, MillisBehindLatest: 0 });
      }
      if (records.length < this.ctx.maxRecordsPerEvent) await this.sleep(this.ctx.pollIntervalMs);
    }
  }

  private async shardEnd(): Promise<void> {
    let shards: ListedShard[];
    try {
      shards = (await this.ctx.upstream.call<{ Shards?: ListedShard[] }>('ListShards', { StreamName: this.streamName })).Shards ?? [];
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.ended) return;
    const id = this.info.shardId;
    const children = shards
      .filter((s) => s.ParentShardId === id || s.AdjacentParentShardId === id)
      .map((s) => ({ ShardId: s.ShardId, ParentShards: [s.ParentShardId, s.AdjacentParentShardId].filter((p): p is string => !!p), HashKeyRange: s.HashKeyRange }));
    // The whole closed shard has been read: nothing is behind.
    await this.send({ Records: [], MillisBehindLatest: 0, ChildShards: children });
    this.end('shard-end');
  }

  private async renewIterator(): Promise<boolean> {
    try {
      const out = await this.ctx.upstream.call<{ ShardIterator: string }>('GetShardIterator', {
        StreamName: this.streamName,
        ShardId: this.info.shardId,
        ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
        StartingSequenceNumber: this.continuation,
      });
      this.iterator = out.ShardIterator;
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  private fail(error: unknown): void {
    const type = error instanceof KinesisApiError && error.type === 'ResourceNotFoundException' ? error.type : 'InternalFailureException';
    this.end('exception', { type, message: error instanceof Error ? error.message : String(error) });
  }

  private async send(body: SubscribeToShardEventBody): Promise<void> {
    if (this.ended || this.stream.destroyed) return;
    this.lastEventAt = Date.now();
    this.info.eventsSent += 1;
    this.info.recordsSent += body.Records.length;
    this.ctx.onSent(body.Records.length);
    if (!this.stream.write(this.ctx.frames.subscribeToShardEvent(body))) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.stream.once('drain', resolve);
      });
      this.wake = undefined;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).then(() => {
      this.wake = undefined;
    });
  }
}
