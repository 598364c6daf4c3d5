import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { type AwsClientOptions, type Clock, createKinesisClient, createNoopLogger, createNoopMetrics, createSystemClock, InvalidArgumentError, type Logger, type Metrics } from '@shardline/core';
import type { DeaggregationOptions } from '@shardline/kinesis-poller';
import type { RecordsRetriever, Retrieval, RetrievalTarget } from '../Retrieval';
import { ConsumerRegistration } from './ConsumerRegistration';
import { createFanOutInstruments, type FanOutInstruments } from './fanOutMetrics';
import { FanOutShardRetriever } from './FanOutShardRetriever';
import { type FanOutOptions, resolveFanOutOptions, type ResolvedFanOutOptions } from './resolveFanOutOptions';

/** Options of {@link FanOutRetrieval}. @public */
export interface FanOutRetrievalOptions extends FanOutOptions {
  /** The application name: the default `consumerName`. Required. */
  readonly applicationName: string;
  /** How to build the fan-out client when `kinesisClient` is not given (with the SDK's HTTP/2 handler). Default: from the environment. */
  readonly clientOptions?: AwsClientOptions;
  /** KPL deaggregation, as the polling reader's option. Default: on, sub-records outside the shard's range reported (and dropped by the worker). */
  readonly deaggregate?: boolean | DeaggregationOptions;
  /** Time source (health checks, backoffs, registration). Default: the system clock. */
  readonly clock?: Clock;
  /** Logger. Default: silent. */
  readonly logger?: Logger;
  /** Metrics (`kcl_fanout_*`). Default: none. */
  readonly metrics?: Metrics;
}

/**
 * Enhanced fan-out retrieval (the KCL's `FanOutRecordsPublisher` and `FanOutConsumerRegistration`):
 * each stream's consumer is registered (or looked up) once and waited for until ACTIVE, then
 * every shard the worker holds gets its own SubscribeToShard push over HTTP/2, with records
 * delivered to the processor exactly as polling delivers them. Select it in a worker with
 * `retrieval: 'fanout'`, or build one and pass it as `retrieval`.
 *
 * {@link close} ends every subscription and releases the client it built; the stream consumer
 * stays registered (as with the KCL), so a restart subscribes at once. Deregister it with
 * DeregisterStreamConsumer when the application is retired: a registered consumer is billed
 * per shard-hour whether it reads or not.
 * @public
 */
export class FanOutRetrieval implements Retrieval {
  /** The resolved fan-out options. */
  readonly options: ResolvedFanOutOptions;
  private readonly client: KinesisClient;
  private readonly ownsClient: boolean;
  private readonly registration: ConsumerRegistration;
  private readonly instruments: FanOutInstruments;
  private readonly deaggregate: DeaggregationOptions | false;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly closing = new AbortController();
  private readonly retrievers = new Set<FanOutShardRetriever>();
  private closed: Promise<void> | undefined;

  constructor(input: FanOutRetrievalOptions) {
    if (input === null || typeof input !== 'object') throw new InvalidArgumentError('fanout retrieval options must be an object');
    const { applicationName, clientOptions, deaggregate, clock, logger, metrics, ...fanout } = input;
    if (typeof applicationName !== 'string' || applicationName.length === 0) throw new InvalidArgumentError('fanout.applicationName is required');
    this.options = resolveFanOutOptions(fanout, applicationName);
    if (deaggregate !== undefined && typeof deaggregate !== 'boolean' && (deaggregate === null || typeof deaggregate !== 'object')) {
      throw new InvalidArgumentError('fanout.deaggregate must be a boolean or deaggregation options');
    }
    this.deaggregate = deaggregate === false ? false : deaggregate === undefined || deaggregate === true ? { outOfRange: 'report' } : { outOfRange: 'report', ...deaggregate };
    this.clock = clock ?? createSystemClock();
    this.logger = logger ?? createNoopLogger();
    this.metrics = metrics ?? createNoopMetrics();
    this.ownsClient = this.options.kinesisClient === undefined;
    // The stock client's Node default is the HTTP/2 handler SubscribeToShard needs; our retries replace the SDK's.
    this.client = this.options.kinesisClient ?? createKinesisClient({ ...clientOptions, http2: true, maxAttempts: 1 });
    this.instruments = createFanOutInstruments(this.metrics);
    this.registration = new ConsumerRegistration({
      client: this.client,
      consumerName: this.options.consumerName,
      consumerArn: this.options.consumerArn,
      registrationTimeoutMs: this.options.registrationTimeoutMs,
      registrationPollMs: this.options.registrationPollMs,
      clock: this.clock,
      logger: this.logger,
    });
  }

  /** Subscriptions open or being made now. */
  get activeRetrievers(): number {
    return this.retrievers.size;
  }

  /**
   * The stream consumer's ARN for `streamName`: registers it (or looks it up) and waits until it
   * is ACTIVE. Subscriptions do this by themselves; call it to register ahead of time.
   */
  consumerArn(streamName: string): Promise<string> {
    return this.registration.consumerArn(streamName, this.closing.signal);
  }

  createRetriever(target: RetrievalTarget): RecordsRetriever {
    if (this.closing.signal.aborted) throw new InvalidArgumentError('fan-out retrieval is closed');
    const retriever: FanOutShardRetriever = new FanOutShardRetriever({
      target,
      client: this.client,
      registration: this.registration,
      options: this.options,
      deaggregate: this.deaggregate,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      instruments: this.instruments,
      closing: this.closing.signal,
      onReleased: () => this.retrievers.delete(retriever),
    });
    this.retrievers.add(retriever);
    return retriever;
  }

  /** Ends every subscription (within `closeTimeoutMs`) and destroys the client it built. Deregisters nothing. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      await Promise.all([...this.retrievers].map((r) => r.stop()));
      this.retrievers.clear();
      if (this.ownsClient) this.client.destroy();
    })();
    return this.closed;
  }
}
