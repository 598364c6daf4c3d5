import { booleanOption, integerOption, rejectUnknownOptions } from '@shardline/core/base';

/** Options of an {@link Aggregator}. @public */
export interface AggregatorOptions {
  /**
   * Largest aggregate, in bytes, counting everything Kinesis counts: magic, protobuf (tags, varints,
   * key tables), MD5 and the outer partition key. Default 51,200 (the KPL's AggregationMaxSize).
   * At most `maxRecordBytes`. A user record that alone exceeds it is sent raw.
   */
  readonly maxAggregateBytes?: number;
  /** Most user records per aggregate. Default 4,294,967,295 (the KPL's AggregationMaxCount). */
  readonly maxAggregateRecords?: number;
  /**
   * The stream's maximum record size (data + partition key), in bytes: 1 MiB by default, up to
   * 10 MiB for streams raised with UpdateMaxRecordSize. A larger user record is rejected with
   * RecordTooLargeError.
   */
  readonly maxRecordBytes?: number;
  /** Validate partition keys and explicit hash keys on add. Default true; a producer that already did may turn it off. */
  readonly validate?: boolean;
}

/** {@link AggregatorOptions} with defaults filled. @public */
export interface ResolvedAggregatorOptions {
  readonly maxAggregateBytes: number;
  readonly maxAggregateRecords: number;
  readonly maxRecordBytes: number;
  readonly validate: boolean;
}

/** 1 MiB, the default maximum Kinesis record size. @public */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;
/** 10 MiB, the largest record size a stream can be raised to. @public */
export const MAX_RECORD_BYTES_LIMIT = 10 * 1024 * 1024;

/** Fills defaults and validates; `path` names the options object in errors. @public */
export function resolveAggregatorOptions(input: AggregatorOptions = {}, path = 'aggregator'): ResolvedAggregatorOptions {
  rejectUnknownOptions(path, input, ['maxAggregateBytes', 'maxAggregateRecords', 'maxRecordBytes', 'validate'], {
    aggregationMaxSize: 'maxAggregateBytes',
    aggregationMaxCount: 'maxAggregateRecords',
    maxUserRecordSize: 'maxRecordBytes',
  });
  const maxRecordBytes = integerOption(`${path}.maxRecordBytes`, input.maxRecordBytes, DEFAULT_MAX_RECORD_BYTES, { min: 1024, max: MAX_RECORD_BYTES_LIMIT });
  return {
    maxRecordBytes,
    maxAggregateBytes: integerOption(`${path}.maxAggregateBytes`, input.maxAggregateBytes, Math.min(51_200, maxRecordBytes), { min: 64, max: maxRecordBytes }),
    maxAggregateRecords: integerOption(`${path}.maxAggregateRecords`, input.maxAggregateRecords, 4_294_967_295, { min: 1, max: 4_294_967_295 }),
    validate: booleanOption(`${path}.validate`, input.validate, true),
  };
}
