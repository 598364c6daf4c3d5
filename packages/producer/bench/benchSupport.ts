// Shared pieces of the producer benchmark: the records every contender sends, timing, medians and
// the `bench:` line format.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { createStream, fetchLimitsStats, uniqueName } from '@shardline/testkit';

/** Every contender sends the same records: 100 B of data under unique 8-character keys. */
export const RECORD = Buffer.alloc(100, 0x61);
export const key = (i: number): string => 'u' + i.toString(36).padStart(7, '0');
/** Bytes of one user record as Kinesis counts them (data + partition key). */
export const USER_RECORD_BYTES = RECORD.length + key(0).length;

export const SHARDS = 4;
export const MiB = 1_048_576;
/** AWS's write limits of the stream: 1 MiB/s and 1,000 records/s per shard. */
export const STREAM_BYTES_PER_SECOND = SHARDS * MiB;
export const STREAM_RECORDS_PER_SECOND = SHARDS * 1_000;
/** The producer's default maxConnections; the hand-written loops get the same. */
export const CONCURRENCY = 24;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export { median } from '@shardline/testkit';

export function print(name: string, value: number, unit: string, conditions: string): void {
  const shown = unit === 'x' ? value.toFixed(2) : value >= 100 ? Math.round(value).toString() : value.toFixed(2);
  console.log(`bench: ${name} ${shown} ${unit} -- ${conditions}`);
}

/** A contender writing to a stream until told to stop. */
export interface Running {
  /** User records written so far (acknowledged by Kinesis). */
  acked(): number;
  /** Kinesis record bytes sent so far, resends included (the hand-written loops count them). */
  sentBytes?(): number;
  /**
   * Stops offering records and waits for the calls in flight. The producer also writes what it
   * buffered (bounded by its buffer); the loops drop what they have not written — the window is over.
   */
  stop(): Promise<void>;
}

export interface Contender {
  readonly name: string;
  start(client: KinesisClient, streamName: string): Promise<Running>;
}

/** What one run sustained in its measurement window. */
export interface Sustained {
  /**
   * User records written per second: the bytes below divided by the Kinesis bytes one user record
   * took over the whole run (aggregation density; exactly one record's bytes for raw records).
   */
  readonly sustainedRecordsPerSecond: number;
  /** User bytes (data + key) per second, on the same basis. */
  readonly sustainedUserBytesPerSecond: number;
  /**
   * Kinesis record bytes (data + key, aggregation framing included) the stream accepted per second
   * in the window, counted by the front (no client-side latency skew), without the shards' burst
   * credit spent in the window: the stream holds one second of rate per shard, and a contender that
   * ran below the limit before the window spends that credit in it.
   */
  readonly sustainedKinesisBytesPerSecond: number;
  /** The same without that correction. */
  readonly kinesisBytesPerSecond: number;
  readonly throttledEntries: number;
  /** Calls the front let through without judging them (should be 0). */
  readonly unlimitedCalls: number;
  /** Kinesis record bytes sent per byte accepted (resends of throttled records), when the contender counts them. */
  readonly sentPerAccepted: number | undefined;
}

/**
 * Runs a contender on a fresh stream: a warm-up, then a measured window, then stop. The front's
 * counters and the stream's budget levels at both ends of the window (read in one request each)
 * give the sustained rate, apart from the burst credit spent in the window.
 */
export async function measure(contender: Contender, client: KinesisClient, frontEndpoint: string, warmupMs: number, windowMs: number): Promise<Sustained> {
  const streamName = uniqueName(contender.name);
  await createStream(client, streamName, SHARDS);
  const start = await fetchLimitsStats(frontEndpoint);
  const running = await contender.start(client, streamName);
  await sleep(warmupMs);
  const s0 = await fetchLimitsStats(frontEndpoint, streamName);
  const b0 = running.sentBytes?.() ?? 0;
  await sleep(windowMs);
  const s1 = await fetchLimitsStats(frontEndpoint, streamName);
  const b1 = running.sentBytes?.() ?? 0;
  // The front's clock: a stats request may wait there behind a large call.
  const seconds = (s1.atMs - s0.atMs) / 1000;
  await running.stop();
  const end = await fetchLimitsStats(frontEndpoint);
  const bytesPerUserRecord = (end.admittedPutBytes - start.admittedPutBytes) / running.acked();
  const admittedBytes = s1.admittedPutBytes - s0.admittedPutBytes;
  const admittedRecords = s1.admittedPutEntries - s0.admittedPutEntries;
  const creditBytes = Math.max(0, s0.levels!.writeBytes - s1.levels!.writeBytes);
  const creditRecords = Math.max(0, s0.levels!.writeRecords - s1.levels!.writeRecords);
  // The binding budget decides: bytes for aggregates, records for raw 100 B records.
  const paidByCredit = Math.max(creditBytes / Math.max(1, admittedBytes), creditRecords / Math.max(1, admittedRecords));
  const sustainedKinesisBytesPerSecond = (admittedBytes * (1 - paidByCredit)) / seconds;
  return {
    sustainedRecordsPerSecond: sustainedKinesisBytesPerSecond / bytesPerUserRecord,
    sustainedUserBytesPerSecond: (sustainedKinesisBytesPerSecond / bytesPerUserRecord) * USER_RECORD_BYTES,
    sustainedKinesisBytesPerSecond,
    kinesisBytesPerSecond: admittedBytes / seconds,
    throttledEntries: s1.throttledPutEntries - s0.throttledPutEntries,
    unlimitedCalls: end.unlimitedCalls - start.unlimitedCalls,
    sentPerAccepted: running.sentBytes ? (b1 - b0) / Math.max(1, admittedBytes) : undefined,
  };
}
