/**
 * Per-shard limits of a provisioned Kinesis stream, as the AWS documentation states them
 * (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html, API_PutRecords,
 * API_GetRecords). Rates are per second and per shard.
 */
export interface ShardLimits {
  /** Records written per second: 1,000. */
  readonly writeRecordsPerSecond: number;
  /** Bytes written per second, data + partition key of each record: 1 MiB. */
  readonly writeBytesPerSecond: number;
  /** GetRecords calls per second: 5. */
  readonly readCallsPerSecond: number;
  /** Bytes read per second through GetRecords (data + partition key): 2 MiB. */
  readonly readBytesPerSecond: number;
  /**
   * Most bytes one GetRecords call returns: 10 MiB. A larger answer from the emulator is cut here
   * (and the iterator continues after the last record returned).
   */
  readonly maxGetRecordsBytes: number;
  /**
   * Multiplies every rate above (not `maxGetRecordsBytes`): 0.1 gives a tenth of AWS's limits for
   * tests that want throttling sooner, 10 ten times them. Default 1.
   */
  readonly scale: number;
}

/** AWS's per-shard limits. */
export const AWS_SHARD_LIMITS: Readonly<ShardLimits> = Object.freeze({
  writeRecordsPerSecond: 1_000,
  writeBytesPerSecond: 1_048_576,
  readCallsPerSecond: 5,
  readBytesPerSecond: 2_097_152,
  maxGetRecordsBytes: 10_485_760,
  scale: 1,
});

/** Limits after validation, with `scale` applied to every rate. */
export interface ResolvedShardLimits {
  readonly writeRecordsPerSecond: number;
  readonly writeBytesPerSecond: number;
  readonly readCallsPerSecond: number;
  readonly readBytesPerSecond: number;
  readonly maxGetRecordsBytes: number;
}

const FIELDS = ['writeRecordsPerSecond', 'writeBytesPerSecond', 'readCallsPerSecond', 'readBytesPerSecond', 'maxGetRecordsBytes', 'scale'] as const;

/**
 * Fills AWS's values for what `limits` leaves out, applies `scale`, and validates: every value must
 * be a finite number > 0. Throws a `TypeError` / `RangeError` naming the field.
 */
export function resolveShardLimits(limits: Partial<ShardLimits> = {}, path = 'limits'): ResolvedShardLimits {
  if (limits === null || typeof limits !== 'object') throw new TypeError(`${path} must be an object (got ${limits === null ? 'null' : typeof limits})`);
  for (const key of Object.keys(limits)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw new TypeError(`${path}.${key} is not a limit; known: ${FIELDS.join(', ')}`);
  }
  const given = Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as Partial<ShardLimits>;
  const merged = { ...AWS_SHARD_LIMITS, ...given };
  for (const key of FIELDS) {
    const value = merged[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${path}.${key} must be a finite number (got ${String(value)})`);
    if (value <= 0) throw new RangeError(`${path}.${key} must be greater than 0 (got ${value})`);
  }
  const s = merged.scale;
  return {
    writeRecordsPerSecond: merged.writeRecordsPerSecond * s,
    writeBytesPerSecond: merged.writeBytesPerSecond * s,
    readCallsPerSecond: merged.readCallsPerSecond * s,
    readBytesPerSecond: merged.readBytesPerSecond * s,
    maxGetRecordsBytes: merged.maxGetRecordsBytes,
  };
}
