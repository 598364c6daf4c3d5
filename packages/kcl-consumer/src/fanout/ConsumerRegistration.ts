import { type ConsumerDescription, DescribeStreamConsumerCommand, DescribeStreamSummaryCommand, type KinesisClient, RegisterStreamConsumerCommand } from '@aws-sdk/client-kinesis';
import { awsErrorName, type Clock, classifyAwsError, type Logger, ResourceNotFoundError, ShutdownError, TimeoutError } from '@shardline/core';

/** What {@link ConsumerRegistration} needs. */
export interface ConsumerRegistrationOptions {
  readonly client: KinesisClient;
  readonly consumerName: string;
  /** A consumer registered beforehand: used as it is, never registered. */
  readonly consumerArn: string | undefined;
  readonly registrationTimeoutMs: number;
  readonly registrationPollMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * The stream consumer of each stream, registered or looked up once and shared by every shard's
 * retriever (the KCL's `FanOutConsumerRegistration`): RegisterStreamConsumer, or
 * DescribeStreamConsumer when it exists already (ResourceInUseException), then
 * DescribeStreamConsumer until it is ACTIVE, within `registrationTimeoutMs`. Transient failures
 * are retried every `registrationPollMs` within that bound.
 *
 * When a subscription reports ResourceNotFoundException, {@link refresh} looks again: a consumer
 * deleted under us is registered again (its name is ours), unless it was given as `consumerArn`,
 * which fails loudly with a final ResourceNotFoundError.
 * @internal
 */
export class ConsumerRegistration {
  private readonly arns = new Map<string, Promise<string>>();
  private readonly log: Logger;

  constructor(private readonly o: ConsumerRegistrationOptions) {
    this.log = o.logger.child({ component: 'ConsumerRegistration', consumerName: o.consumerName });
  }

  /** The ACTIVE consumer's ARN for `streamName` (single flight: shards of one stream share the call). */
  consumerArn(streamName: string, signal: AbortSignal): Promise<string> {
    let arn = this.arns.get(streamName);
    if (!arn) {
      arn = this.o.consumerArn !== undefined ? Promise.resolve(this.o.consumerArn) : this.register(streamName, signal);
      this.arns.set(streamName, arn);
      // A failed registration is not remembered: the next subscription tries again.
      arn.catch(() => this.arns.get(streamName) === arn && this.arns.delete(streamName));
    }
    return arn;
  }

  /**
   * After a ResourceNotFoundException on `staleArn`: the consumer's current ARN (re-registered when
   * it is gone), or a final ResourceNotFoundError when it cannot be (a given `consumerArn`) or when
   * the consumer exists (then the stream or shard is what is missing).
   */
  async refresh(streamName: string, staleArn: string, signal: AbortSignal): Promise<string> {
    const entry = this.arns.get(streamName);
    const current = await entry?.catch(() => undefined);
    // Another shard's retriever registered it again already.
    if (current !== undefined && current !== staleArn) return current;
    const described = await this.describe({ ConsumerARN: staleArn }, signal);
    if (described?.ConsumerStatus === 'ACTIVE') throw new ResourceNotFoundError(`SubscribeToShard on ${streamName}: consumer ${staleArn} is ACTIVE, so the stream or shard is not found`);
    if (this.o.consumerArn !== undefined) {
      throw new ResourceNotFoundError(
        `fan-out consumer ${staleArn} (given as consumerArn) is ${described?.ConsumerStatus ?? 'deleted'}; register it again, or leave consumerArn out so that the worker registers ${this.o.consumerName}`,
      );
    }
    if (this.arns.get(streamName) === entry) {
      this.log.warn({ streamName, consumerArn: staleArn, status: described?.ConsumerStatus ?? 'deleted' }, 'the stream consumer is gone; registering it again');
      this.arns.delete(streamName);
    }
    return this.consumerArn(streamName, signal);
  }

  private async register(streamName: string, signal: AbortSignal): Promise<string> {
    const deadline = this.o.clock.monotonicNow() + this.o.registrationTimeoutMs;
    const summary = await this.attempt(deadline, signal, 'DescribeStreamSummary', () => this.o.client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }), { abortSignal: signal }));
    const streamArn = summary.StreamDescriptionSummary?.StreamARN;
    if (!streamArn) throw new ResourceNotFoundError(`stream ${streamName}: DescribeStreamSummary returned no StreamARN`);
    for (;;) {
      const consumer = await this.attempt(deadline, signal, 'RegisterStreamConsumer', async () => {
        try {
          const out = await this.o.client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: this.o.consumerName }), { abortSignal: signal });
          this.log.info({ streamName, consumerArn: out.Consumer?.ConsumerARN }, 'stream consumer registered');
          return out.Consumer as ConsumerDescription | undefined;
        } catch (error) {
          if (awsErrorName(error) !== 'ResourceInUseException') throw error;
          return this.describe({ StreamARN: streamArn, ConsumerName: this.o.consumerName }, signal);
        }
      });
      const arn = consumer?.ConsumerARN;
      // A consumer of this name being deleted: wait until it is gone, then register it anew.
      if (arn && consumer?.ConsumerStatus !== 'DELETING') return this.waitActive(arn, consumer?.ConsumerStatus, deadline, signal);
      await this.pause(deadline, signal, `consumer ${this.o.consumerName} is being deleted`);
    }
  }

  private async waitActive(arn: string, status: string | undefined, deadline: number, signal: AbortSignal): Promise<string> {
    while (status !== 'ACTIVE') {
      if (status === 'DELETING') throw new ResourceNotFoundError(`fan-out consumer ${arn} is being deleted`, { retryable: true });
      await this.pause(deadline, signal, `consumer ${arn} is ${status ?? 'unknown'}`);
      const d = await this.attempt(deadline, signal, 'DescribeStreamConsumer', () => this.describe({ ConsumerARN: arn }, signal));
      if (!d) throw new ResourceNotFoundError(`fan-out consumer ${arn} was deleted while it was being created`, { retryable: true });
      status = d.ConsumerStatus;
    }
    return arn;
  }

  /** DescribeStreamConsumer; undefined when the consumer does not exist. */
  private async describe(input: { StreamARN?: string; ConsumerName?: string; ConsumerARN?: string }, signal: AbortSignal): Promise<ConsumerDescription | undefined> {
    try {
      const out = await this.o.client.send(new DescribeStreamConsumerCommand(input), { abortSignal: signal });
      return out.ConsumerDescription;
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  /** One call, retried on retryable errors until `deadline`. */
  private async attempt<T>(deadline: number, signal: AbortSignal, what: string, call: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await call();
      } catch (raw) {
        if (signal.aborted) throw new ShutdownError(`fan-out registration stopped during ${what}`, { cause: raw });
        const error = classifyAwsError(raw);
        if (!error.retryable) throw error;
        this.log.warn({ err: awsErrorName(raw), call: what }, 'fan-out registration: retrying');
        await this.pause(deadline, signal, `${what} keeps failing (${error.message})`);
      }
    }
  }

  private async pause(deadline: number, signal: AbortSignal, why: string): Promise<void> {
    const { clock, registrationPollMs, registrationTimeoutMs } = this.o;
    const left = deadline - clock.monotonicNow();
    if (left <= 0) throw new TimeoutError(`fan-out consumer ${this.o.consumerName} not ACTIVE within registrationTimeoutMs (${registrationTimeoutMs} ms): ${why}`);
    if (!(await clock.sleep(Math.min(registrationPollMs, left), signal))) throw new ShutdownError('fan-out registration stopped');
  }
}
