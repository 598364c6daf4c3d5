import { KinesisClient, type KinesisClientConfig, ListStreamConsumersCommand } from '@aws-sdk/client-kinesis';
import { type Gauge, MemoryMetrics, type MetricDefinition, type MetricLabels } from '@shardline/core';
import { type FanOutFront, type FanOutFrontOptions, startFanOutFront, type TestEmulators } from '@shardline/testkit';
import type { WorkerOptions } from '../src';
import { testWorkerOptions } from './helpers';

/** Front timings for tests: 1.5 s subscriptions, a 100 ms resubscribe guard, consumers ACTIVE after 100 ms. */
export const FAST_FRONT: Omit<FanOutFrontOptions, 'kinesisEndpoint'> = { subscriptionMs: 1_500, resubscribeGuardMs: 100, consumerTransitionMs: 100, pollIntervalMs: 25, idleEventIntervalMs: 200 };

/** Starts a fan-out front in front of the test kinesalite. */
export function startFront(t: TestEmulators, options: Omit<FanOutFrontOptions, 'kinesisEndpoint'> = {}): Promise<FanOutFront> {
  return startFanOutFront({ kinesisEndpoint: t.emulators.kinesisEndpoint!, region: t.env.AWS_REGION, ...FAST_FRONT, ...options });
}

/** A stock KinesisClient (its default HTTP/2 handler) pointed at the front. */
export function frontClient(t: TestEmulators, front: FanOutFront, config: Partial<KinesisClientConfig> = {}): KinesisClient {
  return new KinesisClient({
    region: t.env.AWS_REGION,
    endpoint: front.endpoint,
    credentials: { accessKeyId: t.env.AWS_ACCESS_KEY_ID!, secretAccessKey: t.env.AWS_SECRET_ACCESS_KEY! },
    maxAttempts: 1,
    ...config,
  });
}

/** Worker options for fan-out through `client` (a {@link frontClient}), with fast fan-out timings. */
export function fanOutWorkerOptions(t: TestEmulators, client: KinesisClient, options: Partial<WorkerOptions> & Pick<WorkerOptions, 'applicationName'>): WorkerOptions {
  const { fanout, ...rest } = options;
  // The worker's own calls (ListShards) go to kinesalite over HTTP/1.1; only fan-out goes through the front.
  return testWorkerOptions(t, {
    kinesisClient: t.kinesis,
    retrieval: 'fanout',
    fanout: { kinesisClient: client, registrationPollMs: 50, healthCheckTimeoutMs: 5_000, resubscribeBackoff: { baseDelayMs: 50, maxDelayMs: 500 }, ...fanout },
    ...rest,
  });
}

/** The consumers registered on a stream, as `name status`. */
export async function listConsumers(client: KinesisClient, streamArn: string): Promise<string[]> {
  const out = await client.send(new ListStreamConsumersCommand({ StreamARN: streamArn }));
  return (out.Consumers ?? []).map((c) => `${c.ConsumerName} ${c.ConsumerStatus}`);
}

/** MemoryMetrics that also keep the highest value each gauge series was set to. */
export class PeakMetrics extends MemoryMetrics {
  private readonly peaks = new Map<string, number>();

  override gauge(d: MetricDefinition): Gauge {
    const inner = super.gauge(d);
    return {
      set: (value, labels) => {
        const key = `${d.name}${JSON.stringify(labels ?? {})}`;
        this.peaks.set(key, Math.max(this.peaks.get(key) ?? -Infinity, value));
        inner.set(value, labels);
      },
      add: (delta, labels) => inner.add(delta, labels),
    };
  }

  /** The highest value a gauge series was set to; undefined when never set. */
  peak(name: string, labels?: MetricLabels): number | undefined {
    return this.peaks.get(`${name}${JSON.stringify(labels ?? {})}`);
  }

  /** Sum of a counter over the series whose labels include `match`. */
  sum(name: string, match: MetricLabels = {}): number {
    let total = 0;
    for (const [key, value] of Object.entries(this.snapshot())) {
      if (key !== name && !key.startsWith(`${name}{`)) continue;
      const labels = new Set(key.slice(name.length + 1, -1).split(','));
      if (Object.entries(match).every(([k, v]) => labels.has(`${k}=${String(v)}`))) total += value;
    }
    return total;
  }
}
