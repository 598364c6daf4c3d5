import { randomUUID } from 'node:crypto';
import { createServer, type Http2Server, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { consumerOperation } from './consumerOperations';
import { ConsumerRegistry, type StreamConsumer } from './consumers';
import { EventFrames } from './eventFrames';
import { sequenceBeforeIterator } from './kinesalitePosition';
import { type ResolvedFanOutFrontOptions, resolveFanOutFrontOptions } from './resolveFanOutFrontOptions';
import { Subscription } from './subscription';
import { type FanOutFront, type FanOutFrontOptions, type FanOutStats, type FanOutSubscriptionInfo, KinesisApiError } from './types';
import { Upstream } from './upstream';

const JSON_TYPE = 'application/x-amz-json-1.1';
const ITERATOR_TYPES = new Set(['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'AT_TIMESTAMP']);
const CLOSE_BOUND_MS = 3_000;

interface Rejection {
  readonly shardId: string | undefined;
  count: number;
}

/** The front's state and request handling; {@link startFanOutFront} exposes it as a {@link FanOutFront}. */
class Front implements FanOutFront {
  endpoint = '';
  private readonly server: Http2Server = createServer();
  private readonly sessions = new Set<Http2Session>();
  private readonly upstream: Upstream;
  private readonly frames = new EventFrames();
  private readonly registry: ConsumerRegistry;
  private readonly all: Subscription[] = [];
  private readonly open = new Set<Subscription>();
  private readonly lastSubscribe = new Map<string, number>();
  private readonly rejections: Rejection[] = [];
  private readonly silenced = new Set<string>();
  private silenceAll = false;
  private readonly counters = { subscribes: 0, rejectedSubscribes: 0, eventsSent: 0, recordsSent: 0 };
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ResolvedFanOutFrontOptions) {
    this.upstream = new Upstream(options.kinesisEndpoint, options.region);
    this.registry = new ConsumerRegistry(options.consumerTransitionMs, (c) => this.onConsumerDeleting(c));
    this.server.on('session', (session) => {
      this.sessions.add(session);
      session.on('error', () => undefined);
      session.on('close', () => this.sessions.delete(session));
    });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  injectException(options: { shardId?: string; exceptionType?: string; message?: string } = {}): number {
    const targets = [...this.open].filter((s) => options.shardId === undefined || s.info.shardId === options.shardId);
    const type = options.exceptionType ?? 'InternalFailureException';
    for (const s of targets) s.end('exception', { type, message: options.message ?? `${type} injected by the test front` });
    return targets.length;
  }

  rejectSubscribes(options: { shardId?: string; count?: number } = {}): void {
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`rejectSubscribes count must be a positive integer (got ${count})`);
    this.rejections.push({ shardId: options.shardId, count });
  }

  silence(shardId?: string): void {
    if (shardId === undefined) this.silenceAll = true;
    else this.silenced.add(shardId);
  }

  resume(shardId?: string): void {
    if (shardId === undefined) {
      this.silenceAll = false;
      this.silenced.clear();
    } else {
      this.silenced.delete(shardId);
    }
  }

  subscriptions(): readonly FanOutSubscriptionInfo[] {
    return this.all.map((s) => ({ ...s.info }));
  }

  stats(): FanOutStats {
    return { ...this.counters, open: this.open.size };
  }

  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    for (const s of [...this.open]) s.end('closed');
    this.registry.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of this.sessions) session.destroy();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_BOUND_MS)))]);
    clearTimeout(timer);
    this.upstream.destroy();
  }

  private onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      this.handle(stream, headers, Buffer.concat(chunks)).catch((error: unknown) => this.answerError(stream, error));
    });
  }

  private async handle(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, body: Buffer): Promise<void> {
    if (this.closing) throw new KinesisApiError('ServiceUnavailableException', 'the fan-out front is closing', 503);
    const target = String(headers['x-amz-target'] ?? '');
    const operation = target.startsWith('Kinesis_20131202.') ? target.slice('Kinesis_20131202.'.length) : '';
    if (operation === 'SubscribeToShard' || operation.endsWith('StreamConsumer') || operation === 'ListStreamConsumers') {
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        throw new KinesisApiError('SerializationException', 'the request body is not JSON');
      }
      if (typeof input !== 'object' || input === null) throw new KinesisApiError('SerializationException', 'the request body is not a JSON object');
      if (operation === 'SubscribeToShard') return this.subscribe(stream, input);
      const out = await consumerOperation(operation, input, this.registry, this.upstream);
      if (out !== undefined) return this.answer(stream, 200, JSON.stringify(out));
    }
    const response = await this.upstream.forward(headers, body);
    if (stream.destroyed || stream.closed) return;
    stream.respond({ ...response.headers, ':status': response.status });
    stream.end(response.body);
  }

  private async subscribe(stream: ServerHttp2Stream, input: Record<string, unknown>): Promise<void> {
    const { ConsumerARN: arn, ShardId: shardId } = input;
    const position = input.StartingPosition as { Type?: unknown; SequenceNumber?: unknown; Timestamp?: unknown } | undefined;
    if (typeof arn !== 'string' || typeof shardId !== 'string' || typeof position !== 'object' || position === null) {
      throw new KinesisApiError('InvalidArgumentException', 'ConsumerARN, ShardId and StartingPosition are required.');
    }
    if (typeof position.Type !== 'string' || !ITERATOR_TYPES.has(position.Type)) throw new KinesisApiError('InvalidArgumentException', `StartingPosition.Type ${String(position.Type)} is not valid.`);
    const consumer = this.registry.get(arn);
    if (!consumer) throw new KinesisApiError('ResourceNotFoundException', `Consumer ${arn} not found.`);
    if (consumer.status !== 'ACTIVE') throw new KinesisApiError('ResourceInUseException', `Consumer ${arn} is not ACTIVE (it is ${consumer.status}).`);
    const rejection = this.rejections.find((r) => r.count > 0 && (r.shardId === undefined || r.shardId === shardId));
    const key = `${arn} ${shardId}`;
    const previous = this.lastSubscribe.get(key);
    if (rejection || (previous !== undefined && Date.now() - previous < this.options.resubscribeGuardMs)) {
      if (rejection && --rejection.count === 0) this.rejections.splice(this.rejections.indexOf(rejection), 1);
      this.counters.rejectedSubscribes += 1;
      throw new KinesisApiError('ResourceInUseException', `Another active subscription exists for consumer ${arn} and shard ${shardId}.`);
    }
    // Claimed before the await so that two concurrent calls cannot both pass the guard.
    this.lastSubscribe.set(key, Date.now());
    let iterator: string;
    try {
      const out = await this.upstream.call<{ ShardIterator: string }>('GetShardIterator', {
        StreamName: consumer.streamName,
        ShardId: shardId,
        ShardIteratorType: position.Type,
        ...(position.SequenceNumber !== undefined ? { StartingSequenceNumber: position.SequenceNumber } : {}),
        ...(position.Timestamp !== undefined ? { Timestamp: position.Timestamp } : {}),
      });
      iterator = out.ShardIterator;
    } catch (error) {
      if (previous === undefined) this.lastSubscribe.delete(key);
      else this.lastSubscribe.set(key, previous);
      throw error;
    }
    const continuation = sequenceBeforeIterator(iterator);
    if (continuation === undefined) throw new KinesisApiError('InternalFailureException', 'the fan-out front reads only kinesalite shard iterators', 500);
    if (stream.destroyed || stream.closed || this.closing || consumer.status !== 'ACTIVE') return;
    // Kinesis: a subscribe after the guard takes over; the previous connection fails with ResourceInUseException.
    for (const s of this.open) {
      if (s.info.consumerArn === arn && s.info.shardId === shardId)
        s.end('exception', { type: 'ResourceInUseException', message: `Subscription to shard ${shardId} was taken over by a newer SubscribeToShard.` });
    }
    const startingPosition: FanOutSubscriptionInfo['startingPosition'] = {
      Type: position.Type,
      ...(typeof position.SequenceNumber === 'string' ? { SequenceNumber: position.SequenceNumber } : {}),
      ...(typeof position.Timestamp === 'number' ? { Timestamp: new Date(position.Timestamp * 1000) } : {}),
    };
    const subscription = new Subscription(
      {
        upstream: this.upstream,
        frames: this.frames,
        pollIntervalMs: this.options.pollIntervalMs,
        idleEventIntervalMs: this.options.idleEventIntervalMs,
        subscriptionMs: this.options.subscriptionMs,
        maxRecordsPerEvent: this.options.maxRecordsPerEvent,
        isSilenced: (id) => this.silenceAll || this.silenced.has(id),
        onSent: (records) => {
          this.counters.eventsSent += 1;
          this.counters.recordsSent += records;
        },
        onEnd: (s) => this.open.delete(s),
      },
      stream,
      consumer.streamName,
      arn,
      shardId,
      startingPosition,
      iterator,
      continuation,
    );
    this.all.push(subscription);
    this.open.add(subscription);
    this.counters.subscribes += 1;
    subscription.start();
  }

  private onConsumerDeleting(consumer: StreamConsumer): void {
    for (const s of [...this.open]) {
      if (s.info.consumerArn === consumer.arn) s.end('consumer-deleted', { type: 'ResourceNotFoundException', message: `Consumer ${consumer.arn} is being deleted.` });
    }
  }

  private answer(stream: ServerHttp2Stream, status: number, body: string, extra: Record<string, string> = {}): void {
    if (stream.destroyed || stream.closed || stream.headersSent) return;
    stream.respond({ ':status': status, 'content-type': JSON_TYPE, 'x-amzn-requestid': randomUUID(), ...extra });
    stream.end(body);
  }

  private answerError(stream: ServerHttp2Stream, error: unknown): void {
    const e = error instanceof KinesisApiError ? error : new KinesisApiError('InternalFailureException', error instanceof Error ? error.message : String(error), 500);
    this.answer(stream, e.status, JSON.stringify({ __type: e.type, message: e.message }), { 'x-amzn-errortype': e.type });
  }
}

/**
 * Starts an HTTP/2 cleartext (h2c) front on 127.0.0.1 that serves enhanced fan-out on top of
 * kinesalite: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers and
 * DeregisterStreamConsumer from its own in-memory registry, SubscribeToShard as an event stream fed
 * by polling kinesalite's GetRecords, and every other operation proxied to kinesalite. A stock
 * `KinesisClient` (default NodeHttp2Handler) with `endpoint: front.endpoint` works against it.
 * Options are validated before any I/O ({@link FanOutFrontOptionsError}).
 */
export async function startFanOutFront(options: FanOutFrontOptions): Promise<FanOutFront> {
  const front = new Front(resolveFanOutFrontOptions(options));
  await front.listen();
  return front;
}
