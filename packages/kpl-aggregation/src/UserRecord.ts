/** Record payload: bytes (a Uint8Array or Buffer), or a string written as UTF-8. @public */
export type UserRecordData = Uint8Array | string;

/** A record as a producer hands it in: data, partition key and an optional explicit hash key. @public */
export interface UserRecord {
  /** 1 to 256 characters. */
  readonly partitionKey: string;
  /** Decimal hash key in [0, 2^128 − 1]; overrides the partition key's MD5 for routing. */
  readonly explicitHashKey?: string;
  /**
   * Bytes, or a string (sent as its UTF-8 bytes), as the producer accepts them. Anything else
   * (ArrayBuffer, DataView, other typed arrays, …) is rejected with InvalidArgumentError.
   */
  readonly data: UserRecordData;
}

/**
 * One Kinesis record ready for PutRecords: either a single user record sent raw with its own keys, or
 * a KPL aggregate of several with partition key `"a"` and an explicit hash key inside the target
 * shard. `userRecords` lists what it carries, in sub-sequence order.
 * @public
 */
export interface KinesisRecord<T extends UserRecord = UserRecord> {
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  readonly data: Buffer;
  /** True for a KPL aggregate (magic, protobuf, MD5), false for a raw single record. */
  readonly aggregated: boolean;
  /** The user records inside, index = sub-sequence number. */
  readonly userRecords: readonly T[];
  /** Bytes Kinesis counts against the record-size limit: data plus UTF-8 partition key. */
  readonly sizeBytes: number;
  /** The shard this record was aggregated for, when built by a {@link ShardAggregator}. */
  readonly predictedShardId?: string;
}
