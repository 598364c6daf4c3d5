import { CallWindow, TokenBucket } from './budgets';
import type { ResolvedShardLimits } from './ShardLimits';

/**
 * The four budgets of one shard: records and bytes written (token buckets holding one second of
 * rate), GetRecords calls (at most the rate in any second) and bytes read. Read bytes are charged
 * after the answer, when they are known, and carry no saved credit: a shard that returned B bytes
 * refuses GetRecords for B / readBytesPerSecond — a 10 MiB answer blocks it for the next 5 s at
 * 2 MiB/s, as the AWS documentation states.
 */
export class ShardBudget {
  private readonly writeRecords: TokenBucket;
  private readonly writeBytes: TokenBucket;
  private readonly readCalls: CallWindow;
  private readonly readBytes: TokenBucket;

  constructor(limits: ResolvedShardLimits, nowMs: number) {
    this.writeRecords = new TokenBucket(limits.writeRecordsPerSecond, Math.max(1, limits.writeRecordsPerSecond), nowMs);
    this.writeBytes = new TokenBucket(limits.writeBytesPerSecond, limits.writeBytesPerSecond, nowMs);
    this.readCalls = new CallWindow(limits.readCallsPerSecond);
    this.readBytes = new TokenBucket(limits.readBytesPerSecond, 0, nowMs);
  }

  /** Admits one record of `bytes` (data + partition key) if both write budgets allow it now. */
  tryWrite(bytes: number, nowMs: number): boolean {
    if (!this.writeRecords.tryTake(1, nowMs)) return false;
    if (this.writeBytes.tryTake(bytes, nowMs)) return true;
    this.writeRecords.refund(1, nowMs);
    return false;
  }

  /** Gives back an admitted record the emulator then refused. */
  refundWrite(bytes: number, nowMs: number): void {
    this.writeRecords.refund(1, nowMs);
    this.writeBytes.refund(bytes, nowMs);
  }

  /** Write tokens left now: records and bytes (one second's worth when idle, less while in use). */
  writeLevels(nowMs: number): { records: number; bytes: number } {
    return { records: this.writeRecords.level(nowMs), bytes: this.writeBytes.level(nowMs) };
  }

  /** Admits a GetRecords call if the shard owes no read bytes and has a call left in this second. */
  tryRead(nowMs: number): boolean {
    if (this.readBytes.level(nowMs) < 0) return false;
    return this.readCalls.tryTake(nowMs);
  }

  /** Charges the bytes an admitted GetRecords returned. */
  chargeRead(bytes: number, nowMs: number): void {
    this.readBytes.charge(bytes, nowMs);
  }
}
