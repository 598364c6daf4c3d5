import { type FanOutFrontOptions, FanOutFrontOptionsError } from './types';

/** {@link FanOutFrontOptions} with every default filled in. */
export interface ResolvedFanOutFrontOptions {
  readonly kinesisEndpoint: string;
  readonly region: string;
  readonly subscriptionMs: number;
  readonly pollIntervalMs: number;
  readonly resubscribeGuardMs: number;
  readonly consumerTransitionMs: number;
  readonly port: number;
  readonly idleEventIntervalMs: number;
  readonly maxRecordsPerEvent: number;
}

function integer(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new FanOutFrontOptionsError(`fanOutFront.${name} must be an integer between ${min} and ${max} (got ${String(value)})`);
  return value;
}

/** Fills defaults and validates, before any I/O; throws {@link FanOutFrontOptionsError} naming the option. */
export function resolveFanOutFrontOptions(options: FanOutFrontOptions): ResolvedFanOutFrontOptions {
  let url: URL | undefined;
  try {
    url = new URL(options.kinesisEndpoint);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'http:') throw new FanOutFrontOptionsError(`fanOutFront.kinesisEndpoint must be an http:// URL (got ${String(options.kinesisEndpoint)})`);
  const region = options.region ?? 'us-east-1';
  if (!/^[a-z0-9-]+$/.test(region)) throw new FanOutFrontOptionsError(`fanOutFront.region must be a region name such as us-east-1 (got ${region})`);
  const day = 86_400_000;
  return {
    kinesisEndpoint: options.kinesisEndpoint,
    region,
    subscriptionMs: integer('subscriptionMs', options.subscriptionMs, 300_000, 1, day),
    pollIntervalMs: integer('pollIntervalMs', options.pollIntervalMs, 50, 1, 60_000),
    resubscribeGuardMs: integer('resubscribeGuardMs', options.resubscribeGuardMs, 5_000, 0, day),
    consumerTransitionMs: integer('consumerTransitionMs', options.consumerTransitionMs, 500, 0, day),
    port: integer('port', options.port, 0, 0, 65_535),
    idleEventIntervalMs: integer('idleEventIntervalMs', options.idleEventIntervalMs, 1_000, 1, day),
    maxRecordsPerEvent: integer('maxRecordsPerEvent', options.maxRecordsPerEvent, 10_000, 1, 10_000),
  };
}
