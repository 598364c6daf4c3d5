import { describeValue } from './describeValue';
import { KinesisApiError } from './types';

/** A registered stream consumer, as the front holds it. */
export interface StreamConsumer {
  readonly name: string;
  readonly arn: string;
  readonly streamArn: string;
  readonly streamName: string;
  readonly createdAt: number;
  status: 'CREATING' | 'ACTIVE' | 'DELETING';
}

const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/([a-zA-Z0-9_.-]+)$/;
const CONSUMER_ARN = /^(arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]+)\/consumer\/([a-zA-Z0-9_.-]+):(\d+)$/;
const CONSUMER_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;

/** The stream name in a stream ARN; InvalidArgumentException if it is not one. */
export function streamNameOf(streamArn: unknown): string {
  const match = typeof streamArn === 'string' ? STREAM_ARN.exec(streamArn) : null;
  if (!match) throw new KinesisApiError('InvalidArgumentException', `StreamARN ${String(streamArn)} is not a Kinesis stream ARN`);
  return match[1]!;
}

/**
 * Stream consumers of one front, in memory: CREATING for `transitionMs` after registration, then
 * ACTIVE; DELETING for `transitionMs` after deregistration, then gone. ARNs follow Kinesis:
 * `<streamArn>/consumer/<name>:<creation epoch seconds>`, never reused.
 */
export class ConsumerRegistry {
  private readonly byArn = new Map<string, StreamConsumer>();
  private readonly issuedArns = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly transitionMs: number,
    private readonly onDeleting: (consumer: StreamConsumer) => void,
  ) {}

  register(streamArn: string, streamName: string, name: unknown): StreamConsumer {
    if (typeof name !== 'string' || !CONSUMER_NAME.test(name)) throw new KinesisApiError('InvalidArgumentException', `ConsumerName ${String(name)} must match [a-zA-Z0-9_.-]{1,128}`);
    if (this.find(streamArn, name)) throw new KinesisApiError('ResourceInUseException', `Consumer ${name} under stream ${streamArn} already exists.`);
    let seconds = Math.floor(Date.now() / 1000);
    while (this.issuedArns.has(`${streamArn}/consumer/${name}:${seconds}`)) seconds += 1;
    const consumer: StreamConsumer = { name, arn: `${streamArn}/consumer/${name}:${seconds}`, streamArn, streamName, createdAt: Date.now(), status: 'CREATING' };
    this.issuedArns.add(consumer.arn);
    this.byArn.set(consumer.arn, consumer);
    this.after(() => {
      if (consumer.status === 'CREATING') consumer.status = 'ACTIVE';
    });
    return consumer;
  }

  /** The consumer named by `ConsumerARN`, or by `StreamARN` + `ConsumerName`; ResourceNotFoundException if none. */
  resolve(input: Record<string, unknown>): StreamConsumer {
    if (input.ConsumerARN !== undefined) {
      if (typeof input.ConsumerARN !== 'string' || !CONSUMER_ARN.test(input.ConsumerARN))
        throw new KinesisApiError('InvalidArgumentException', `ConsumerARN ${describeValue(input.ConsumerARN)} is not a consumer ARN`);
      const consumer = this.byArn.get(input.ConsumerARN);
      if (!consumer) throw new KinesisApiError('ResourceNotFoundException', `Consumer ${input.ConsumerARN} not found.`);
      return consumer;
    }
    if (input.StreamARN === undefined || input.ConsumerName === undefined)
      throw new KinesisApiError('InvalidArgumentException', 'Either ConsumerARN or both StreamARN and ConsumerName must be given.');
    streamNameOf(input.StreamARN);
    const consumer = this.find(describeValue(input.StreamARN), describeValue(input.ConsumerName));
    if (!consumer) throw new KinesisApiError('ResourceNotFoundException', `Consumer ${describeValue(input.ConsumerName)} under stream ${describeValue(input.StreamARN)} not found.`);
    return consumer;
  }

  /** The consumer of this ARN, if registered (any status). */
  get(arn: string): StreamConsumer | undefined {
    return this.byArn.get(arn);
  }

  /** Consumers of one stream, oldest first. */
  list(streamArn: string): StreamConsumer[] {
    return [...this.byArn.values()].filter((c) => c.streamArn === streamArn);
  }

  deregister(consumer: StreamConsumer): void {
    if (consumer.status === 'DELETING') return;
    consumer.status = 'DELETING';
    this.onDeleting(consumer);
    this.after(() => this.byArn.delete(consumer.arn));
  }

  /** Clears the transition timers. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private find(streamArn: string, name: string): StreamConsumer | undefined {
    return [...this.byArn.values()].find((c) => c.streamArn === streamArn && c.name === name);
  }

  private after(fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, this.transitionMs);
    this.timers.add(timer);
  }
}

/** The JSON 1.1 shape of a consumer (timestamps as epoch seconds). */
export function consumerJson(c: StreamConsumer, withStream = false): Record<string, unknown> {
  return {
    ConsumerName: c.name,
    ConsumerARN: c.arn,
    ConsumerStatus: c.status,
    ConsumerCreationTimestamp: c.createdAt / 1000,
    ...(withStream ? { StreamARN: c.streamArn } : {}),
  };
}
