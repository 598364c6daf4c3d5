import { TokenBucket } from './TokenBucket';

/** Settings of a {@link ShardRateLimiter}. @public */
export interface ShardRateLimiterSettings {
  /** Kinesis records per second allowed when not throttled. */
  readonly recordsPerSecond: number;
  /** Bytes (data + partition key) per second allowed when not throttled. */
  readonly bytesPerSecond: number;
  /** React to throttling (AIMD). When false the rate never changes, as in the KPL. */
  readonly adaptive: boolean;
  /** Rate multiplier applied on a throttle. Default 0.5. */
  readonly decreaseFactor?: number;
  /** Lowest fraction of the configured rate AIMD goes down to. Default 0.05. */
  readonly minFraction?: number;
  /** Fraction of the configured rate regained per second without throttles. Default 0.1. */
  readonly recoveryPerSecond?: number;
  /** Throttles closer together than this count once (one response often holds many). Default 500 ms. */
  readonly decreaseCooldownMs?: number;
}

/**
 * The write budget of one shard: two token buckets, Kinesis records and bytes, refilled
 * continuously (the KPL's limiter), plus what the KPL only promises: a real reaction to throttling.
 * On a throttle the allowed rate is cut multiplicatively and the buckets are emptied, then it
 * grows back additively while no throttle comes (AIMD, as TCP does), so that several producers
 * writing to one shard converge on its capacity instead of hammering it with retries.
 * @public
 */
export class ShardRateLimiter {
  private readonly records: TokenBucket;
  private readonly bytes: TokenBucket;
  private fractionValue = 1;
  private lastUpdate: number;
  private lastDecrease = -Infinity;
  private readonly decreaseFactor: number;
  private readonly minFraction: number;
  private readonly recoveryPerMs: number;
  private readonly cooldownMs: number;

  constructor(
    private readonly settings: ShardRateLimiterSettings,
    nowMs: number,
  ) {
    this.records = new TokenBucket(Math.max(1, settings.recordsPerSecond), settings.recordsPerSecond, nowMs);
    this.bytes = new TokenBucket(Math.max(1, settings.bytesPerSecond), settings.bytesPerSecond, nowMs);
    this.decreaseFactor = settings.decreaseFactor ?? 0.5;
    this.minFraction = settings.minFraction ?? 0.05;
    this.recoveryPerMs = (settings.recoveryPerSecond ?? 0.1) / 1000;
    this.cooldownMs = settings.decreaseCooldownMs ?? 500;
    this.lastUpdate = nowMs;
  }

  /** The fraction of the configured rate currently allowed, in (0, 1]. */
  fraction(nowMs: number): number {
    this.recover(nowMs);
    return this.fractionValue;
  }

  /** Takes one Kinesis record of `sizeBytes` if both buckets allow it now. */
  tryTake(sizeBytes: number, nowMs: number): boolean {
    this.recover(nowMs);
    if (!this.records.canTake(1, nowMs) || !this.bytes.canTake(sizeBytes, nowMs)) return false;
    this.records.take(1, nowMs);
    this.bytes.take(sizeBytes, nowMs);
    return true;
  }

  /** Milliseconds until a record of `sizeBytes` may go. */
  msUntil(sizeBytes: number, nowMs: number): number {
    this.recover(nowMs);
    return Math.max(this.records.msUntil(1, nowMs), this.bytes.msUntil(sizeBytes, nowMs));
  }

  /**
   * Reports a throttle (ProvisionedThroughputExceeded) on this shard. Returns true when it cut
   * the rate, false when it fell in the cooldown of an earlier cut or the limiter is not adaptive.
   */
  onThrottle(nowMs: number): boolean {
    if (!this.settings.adaptive) return false;
    this.recover(nowMs);
    if (nowMs - this.lastDecrease < this.cooldownMs) return false;
    this.lastDecrease = nowMs;
    this.fractionValue = Math.max(this.minFraction, this.fractionValue * this.decreaseFactor);
    this.applyRate(nowMs);
    this.records.drain(nowMs);
    this.bytes.drain(nowMs);
    return true;
  }

  private recover(nowMs: number): void {
    if (this.fractionValue < 1 && nowMs > this.lastUpdate) {
      this.fractionValue = Math.min(1, this.fractionValue + (nowMs - this.lastUpdate) * this.recoveryPerMs);
      this.applyRate(nowMs);
    }
    this.lastUpdate = nowMs;
  }

  private applyRate(nowMs: number): void {
    this.records.setRate(this.settings.recordsPerSecond * this.fractionValue, nowMs);
    this.bytes.setRate(this.settings.bytesPerSecond * this.fractionValue, nowMs);
  }
}
