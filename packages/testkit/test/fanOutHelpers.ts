import {
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  RegisterStreamConsumerCommand,
  type StartingPosition,
  SubscribeToShardCommand,
  type SubscribeToShardEvent,
} from '@aws-sdk/client-kinesis';
import { createStream, type FanOutFront, type FanOutFrontOptions, startFanOutFront, uniqueName, waitFor } from '../src';

/**
 * A stock KinesisClient on the front. No requestHandler is given: client-kinesis's Node runtime
 * config defaults to NodeHttp2Handler (disableConcurrentStreams), which speaks h2c to an http:// endpoint.
 */
export function frontClient(front: FanOutFront): KinesisClient {
  return new KinesisClient({ region: 'us-east-1', endpoint: front.endpoint, credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
}

/** Fronts and clients of one test file, released after each test. */
export class FrontPool {
  private readonly fronts: FanOutFront[] = [];
  private readonly clients: KinesisClient[] = [];

  async start(kinesisEndpoint: string, options: Partial<FanOutFrontOptions> = {}): Promise<{ front: FanOutFront; client: KinesisClient }> {
    const front = await startFanOutFront({ kinesisEndpoint, consumerTransitionMs: 30, ...options });
    this.fronts.push(front);
    const client = frontClient(front);
    this.clients.push(client);
    return { front, client };
  }

  async release(): Promise<void> {
    for (const c of this.clients.splice(0)) c.destroy();
    await Promise.all(this.fronts.splice(0).map((f) => f.close()));
  }
}

/** A new stream (through the front, which proxies CreateStream) and its ARN. */
export async function newStream(client: KinesisClient, shards = 1): Promise<{ streamName: string; streamArn: string }> {
  const streamName = uniqueName('fo');
  await createStream(client, streamName, shards);
  const streamArn = (await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }))).StreamDescriptionSummary!.StreamARN!;
  return { streamName, streamArn };
}

/** Registers a consumer and waits until it is ACTIVE; returns its ARN. */
export async function activeConsumer(client: KinesisClient, streamArn: string, name = 'app'): Promise<string> {
  const arn = (await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: name }))).Consumer!.ConsumerARN!;
  await waitFor(async () => (await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: arn }))).ConsumerDescription?.ConsumerStatus === 'ACTIVE', 10_000, 'consumer ACTIVE');
  return arn;
}

/** Reads one subscription's event stream in the background. */
export class EventReader {
  readonly events: SubscribeToShardEvent[] = [];
  error: unknown;
  done = false;
  private readonly finished: Promise<void>;

  private constructor(
    iterable: AsyncIterable<{ SubscribeToShardEvent?: SubscribeToShardEvent }>,
    private readonly controller: AbortController,
  ) {
    this.finished = (async () => {
      try {
        for await (const event of iterable) {
          if (event.SubscribeToShardEvent) this.events.push(event.SubscribeToShardEvent);
        }
      } catch (error) {
        this.error = error;
      } finally {
        this.done = true;
      }
    })();
  }

  static async open(client: KinesisClient, consumerArn: string, shardId: string, position: StartingPosition): Promise<EventReader> {
    const controller = new AbortController();
    const out = await client.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: position }), { abortSignal: controller.signal });
    return new EventReader(out.EventStream!, controller);
  }

  /** Cancels the subscription as a client does: the SDK resets the HTTP/2 stream. */
  cancel(): void {
    this.controller.abort();
  }

  /** Every record received, in order. */
  records(): NonNullable<SubscribeToShardEvent['Records']> {
    return this.events.flatMap((e) => e.Records ?? []);
  }

  /** Waits until the stream ended (normally or with an error). */
  async ended(timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.done, timeoutMs, 'end of the event stream');
    await this.finished;
  }

  async until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => condition() || this.done, timeoutMs, what);
    if (!condition()) throw new Error(`stream ended (${String(this.error)}) before ${what}`);
  }
}
