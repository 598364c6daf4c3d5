import {
  booleanOption,
  createNoopMetrics,
  enumOption,
  functionOption,
  type HashKeyRange,
  type Metrics,
  parseExplicitHashKey,
  partitionKeyToHashKey,
  rangeContains,
  rejectUnknownOptions,
} from '@shardline/core/base';
import { type CorruptAggregateReason, type DecodedAggregate, decodeAggregatedRecord, isNotAggregateReason, type NotAggregateReason } from './decodeAggregatedRecord';

/** A record as the AWS SDK v3 returns it from GetRecords (or SubscribeToShard). @public */
export interface SdkKinesisRecord {
  readonly Data?: Uint8Array;
  readonly PartitionKey?: string;
  readonly SequenceNumber?: string;
  readonly ApproximateArrivalTimestamp?: Date;
  readonly ExplicitHashKey?: string;
}

/** The `kinesis` part of a Lambda Kinesis event record (base64 data, epoch-seconds arrival). @public */
export interface LambdaKinesisPayload {
  readonly data: string;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly approximateArrivalTimestamp?: number;
  readonly explicitHashKey?: string;
  readonly kinesisSchemaVersion?: string;
}

/** A Lambda event record (`event.Records[i]`) or just its `kinesis` payload. @public */
export type LambdaKinesisRecord = { readonly kinesis: LambdaKinesisPayload } | LambdaKinesisPayload;

/** Any record shape {@link deaggregate} accepts. @public */
export type DeaggregateInput = SdkKinesisRecord | LambdaKinesisRecord;

/** A user record recovered from a Kinesis record. @public */
export interface DeaggregatedRecord {
  /** The user's data; a view into the Kinesis record's bytes (no copy). */
  readonly data: Buffer;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** Sequence number of the Kinesis record that carried this one (shared by all its sub-records). */
  readonly sequenceNumber: string;
  /** Index inside the aggregate; 0 for a record that was not aggregated. */
  readonly subSequenceNumber: number;
  readonly approximateArrivalTimestamp: Date | undefined;
  /** True when it came out of a KPL aggregate. */
  readonly aggregated: boolean;
  /**
   * Set when the Kinesis record is a corrupt aggregate: magic and a matching MD5, but a malformed
   * protobuf (`PROTOBUF`) or no records (`EMPTY`). The record is returned raw and unchanged (the
   * KCL's behaviour); its producer wrote a broken aggregate.
   */
  readonly deaggregationFailure?: CorruptAggregateReason;
  /**
   * Set when the data starts with the KPL magic but is no aggregate: too short for the MD5 trailer
   * (`TOO_SHORT`) or the trailer does not match (`MD5_MISMATCH`). This is a plain record that
   * happens to begin with those 4 bytes, returned as it is; nothing is wrong with it.
   */
  readonly notAggregate?: NotAggregateReason;
  /** Set in `report` mode when the record's hash key lies outside the shard it was read from. */
  readonly outOfShardRange?: boolean;
}

/** Options of {@link Deaggregator} and {@link deaggregate}. @public */
export interface DeaggregateOptions {
  /**
   * Verify the MD5 trailer. Default true. A mismatch returns the raw record, flagged `notAggregate`.
   * When false, the MD5 is still checked for data that fails to decode, to tell a plain record
   * (`notAggregate`) from a corrupt aggregate (`deaggregationFailure`).
   */
  readonly verifyChecksum?: boolean;
  /**
   * Hash-key range of the shard the records were read from; enables the range check of the
   * sub-records of aggregates (records returned raw are never checked: Kinesis placed them).
   */
  readonly shardRange?: HashKeyRange;
  /**
   * What to do with sub-records whose hash key is outside `shardRange`: `report` (default) keeps
   * them, flagged `outOfShardRange`; `drop-aggregate` discards the whole aggregate as the KCL 2.x
   * does. Both count it and call `onOutOfRange`.
   */
  readonly outOfRange?: 'report' | 'drop-aggregate';
  /** Called for each Kinesis record that held an out-of-range sub-record. */
  readonly onOutOfRange?: (record: DeaggregatedRecord, action: 'reported' | 'dropped') => void;
  /**
   * Called for each corrupt aggregate returned raw (`deaggregationFailure` set). Not called for a
   * plain record that merely starts with the magic (`notAggregate` set).
   */
  readonly onCorrupt?: (record: DeaggregatedRecord) => void;
  /**
   * Counters `kpl_deaggregated_records_total`, `kpl_corrupt_aggregates_total{reason}`,
   * `kpl_not_aggregate_records_total{reason}`, `kpl_out_of_range_total{action}`.
   */
  readonly metrics?: Metrics;
}

/** Running counts of one {@link Deaggregator}. @public */
export interface DeaggregationStats {
  kinesisRecords: number;
  aggregates: number;
  userRecords: number;
  /** Corrupt aggregates returned raw (`deaggregationFailure` set). */
  corrupt: number;
  /** Records that start with the KPL magic but are no aggregate (`notAggregate` set). */
  notAggregate: number;
  outOfRange: number;
  droppedAggregates: number;
}

interface NormalizedInput {
  data: Buffer;
  partitionKey: string;
  explicitHashKey: string | undefined;
  sequenceNumber: string;
  approximateArrivalTimestamp: Date | undefined;
  failure?: CorruptAggregateReason;
  notAggregate?: NotAggregateReason;
}

function toBuffer(data: Uint8Array | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

function normalize(input: DeaggregateInput): NormalizedInput {
  const payload = 'kinesis' in input && input.kinesis ? input.kinesis : input;
  if ('Data' in payload || 'PartitionKey' in payload || 'SequenceNumber' in payload) {
    const r: SdkKinesisRecord = payload;
    return {
      data: toBuffer(r.Data),
      partitionKey: r.PartitionKey ?? '',
      explicitHashKey: r.ExplicitHashKey,
      sequenceNumber: r.SequenceNumber ?? '',
      approximateArrivalTimestamp: r.ApproximateArrivalTimestamp,
    };
  }
  const l = payload as LambdaKinesisPayload;
  return {
    data: Buffer.from(l.data ?? '', 'base64'),
    partitionKey: l.partitionKey,
    explicitHashKey: l.explicitHashKey,
    sequenceNumber: l.sequenceNumber,
    approximateArrivalTimestamp: l.approximateArrivalTimestamp === undefined ? undefined : new Date(l.approximateArrivalTimestamp * 1000),
  };
}

/**
 * Expands Kinesis records into user records with KCL semantics: aggregates are expanded with
 * sub-sequence numbers; plain records pass through, including those whose data merely starts with
 * the magic (too short, MD5 mismatch: `notAggregate` says why); a corrupt aggregate (MD5 matches,
 * protobuf error or no records) comes back raw and flagged `deaggregationFailure`. Never an
 * exception and never zero records. Keeps counts in {@link stats}.
 * @public
 */
export class Deaggregator {
  readonly stats: DeaggregationStats = { kinesisRecords: 0, aggregates: 0, userRecords: 0, corrupt: 0, notAggregate: 0, outOfRange: 0, droppedAggregates: 0 };
  private readonly verifyChecksum: boolean;
  private readonly shardRange: HashKeyRange | undefined;
  private readonly dropOnOutOfRange: boolean;
  private readonly onOutOfRange: DeaggregateOptions['onOutOfRange'];
  private readonly onCorrupt: DeaggregateOptions['onCorrupt'];
  private readonly counters;

  constructor(options: DeaggregateOptions = {}) {
    rejectUnknownOptions('deaggregate', options, ['verifyChecksum', 'shardRange', 'outOfRange', 'onOutOfRange', 'onCorrupt', 'metrics']);
    this.verifyChecksum = booleanOption('deaggregate.verifyChecksum', options.verifyChecksum, true);
    this.shardRange = options.shardRange;
    this.dropOnOutOfRange = enumOption('deaggregate.outOfRange', options.outOfRange, ['report', 'drop-aggregate'] as const, 'report') === 'drop-aggregate';
    this.onOutOfRange = functionOption('deaggregate.onOutOfRange', options.onOutOfRange);
    this.onCorrupt = functionOption('deaggregate.onCorrupt', options.onCorrupt);
    const metrics = options.metrics ?? createNoopMetrics();
    this.counters = {
      records: metrics.counter({ name: 'kpl_deaggregated_records_total', help: 'User records produced by deaggregation' }),
      corrupt: metrics.counter({ name: 'kpl_corrupt_aggregates_total', help: 'Aggregates (MD5 matching) returned raw because their content could not be decoded', labelNames: ['reason'] }),
      notAggregate: metrics.counter({ name: 'kpl_not_aggregate_records_total', help: 'Plain records whose data starts with the KPL magic (too short, or MD5 not matching)', labelNames: ['reason'] }),
      outOfRange: metrics.counter({ name: 'kpl_out_of_range_total', help: 'Kinesis records holding sub-records outside the shard hash-key range', labelNames: ['action'] }),
    };
  }

  /** All user records of one Kinesis record, as an array. */
  deaggregate(record: DeaggregateInput): DeaggregatedRecord[] {
    const out: DeaggregatedRecord[] = [];
    this.expandInto(record, out);
    return out;
  }

  /** All user records of many Kinesis records, in order. */
  deaggregateAll(records: Iterable<DeaggregateInput>): DeaggregatedRecord[] {
    const out: DeaggregatedRecord[] = [];
    for (const r of records) this.expandInto(r, out);
    return out;
  }

  /**
   * User records of one Kinesis record, created lazily. The aggregate is decoded and validated in
   * full before the first one is yielded, so a corrupt aggregate never yields a partial set.
   */
  *iterate(record: DeaggregateInput): IterableIterator<DeaggregatedRecord> {
    const input = normalize(record);
    const decoded = this.decode(input);
    if (decoded === undefined || this.shardRange) {
      // Raw records are one object, and a range check needs them all first: nothing to be lazy about.
      yield* this.finish(input, decoded);
      return;
    }
    this.count(decoded.count);
    for (let i = 0; i < decoded.count; i++) yield subRecord(input, decoded, i);
  }

  private expandInto(record: DeaggregateInput, out: DeaggregatedRecord[]): void {
    const input = normalize(record);
    const decoded = this.decode(input);
    if (decoded === undefined || this.shardRange) {
      for (const r of this.finish(input, decoded)) out.push(r);
      return;
    }
    this.count(decoded.count);
    for (let i = 0; i < decoded.count; i++) out.push(subRecord(input, decoded, i));
  }

  /** Decodes; returns undefined for a record to pass through raw (plain, magic but no aggregate, or corrupt). */
  private decode(input: NormalizedInput): DecodedAggregate | undefined {
    this.stats.kinesisRecords++;
    const decoded = decodeAggregatedRecord(input.data, this.verifyChecksum);
    if (typeof decoded === 'string') {
      if (isNotAggregateReason(decoded)) {
        this.stats.notAggregate++;
        this.counters.notAggregate.add(1, { reason: decoded });
        input.notAggregate = decoded;
      } else {
        this.stats.corrupt++;
        this.counters.corrupt.add(1, { reason: decoded });
        input.failure = decoded;
      }
      return undefined;
    }
    if (decoded) this.stats.aggregates++;
    return decoded;
  }

  private count(n: number): void {
    this.stats.userRecords += n;
    this.counters.records.add(n);
  }

  /** The user records of a raw or range-checked Kinesis record. */
  private finish(input: NormalizedInput, decoded: DecodedAggregate | undefined): DeaggregatedRecord[] {
    let records: DeaggregatedRecord[];
    if (decoded === undefined) {
      const raw: DeaggregatedRecord = {
        data: input.data,
        partitionKey: input.partitionKey,
        explicitHashKey: input.explicitHashKey,
        sequenceNumber: input.sequenceNumber,
        subSequenceNumber: 0,
        approximateArrivalTimestamp: input.approximateArrivalTimestamp,
        aggregated: false,
        ...(input.failure ? { deaggregationFailure: input.failure } : {}),
        ...(input.notAggregate ? { notAggregate: input.notAggregate } : {}),
      };
      if (input.failure) this.onCorrupt?.(raw);
      records = [raw];
    } else {
      records = [];
      for (let i = 0; i < decoded.count; i++) records.push(subRecord(input, decoded, i));
    }
    // Only sub-records are checked, as the KCL does: Kinesis placed a raw record itself, perhaps by
    // an explicit hash key that GetRecords does not return, so its partition key proves nothing.
    const range = decoded === undefined ? undefined : this.shardRange;
    if (range) {
      const inRange = records.map((r) => rangeContains(range, hashKeyOf(r)));
      const firstOut = inRange.indexOf(false);
      if (firstOut >= 0) {
        this.stats.outOfRange++;
        if (this.dropOnOutOfRange) {
          this.stats.droppedAggregates++;
          this.counters.outOfRange.add(1, { action: 'dropped' });
          this.onOutOfRange?.(records[firstOut]!, 'dropped');
          return [];
        }
        this.counters.outOfRange.add(1, { action: 'reported' });
        this.onOutOfRange?.(records[firstOut]!, 'reported');
        records = records.map((r, i) => (inRange[i] ? r : { ...r, outOfShardRange: true }));
      }
    }
    this.count(records.length);
    return records;
  }
}

function subRecord(input: NormalizedInput, d: DecodedAggregate, i: number): DeaggregatedRecord {
  const e = d.explicitHashKeyIndexes[i]!;
  return {
    data: input.data.subarray(d.dataStart[i], d.dataEnd[i]),
    partitionKey: d.partitionKeys[d.partitionKeyIndexes[i]!]!,
    explicitHashKey: e >= 0 ? d.explicitHashKeys[e] : undefined,
    sequenceNumber: input.sequenceNumber,
    subSequenceNumber: i,
    approximateArrivalTimestamp: input.approximateArrivalTimestamp,
    aggregated: true,
  };
}

/** The effective hash key of a user record; -1 (outside every range) when its keys are invalid. */
function hashKeyOf(record: DeaggregatedRecord): bigint {
  try {
    return record.explicitHashKey !== undefined ? parseExplicitHashKey(record.explicitHashKey) : partitionKeyToHashKey(record.partitionKey);
  } catch {
    return -1n;
  }
}

/**
 * User records of one Kinesis record (SDK v3 or Lambda shape). See {@link Deaggregator}.
 * @public
 */
export function deaggregate(record: DeaggregateInput, options?: DeaggregateOptions): DeaggregatedRecord[] {
  return new Deaggregator(options).deaggregate(record);
}

/** Lazy variant of {@link deaggregate}. @public */
export function deaggregateIterator(record: DeaggregateInput, options?: DeaggregateOptions): IterableIterator<DeaggregatedRecord> {
  return new Deaggregator(options).iterate(record);
}
