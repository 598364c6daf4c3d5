import { ExtendedSequenceNumber } from '@shardline/core';
import type { KinesisClientRecord } from '@shardline/kcl-consumer';

/**
 * The KCL MultiLang protocol (2.x/3.x), byte for byte as the Java daemon writes it: one JSON
 * object per line, `action` first, then the fields in the Java classes' declaration order, nulls
 * written out (amazon_kclpy needs every key present).
 */

/** A record as the daemon sends it (`JsonFriendlyRecord`). @public */
export interface MultiLangRecord {
  readonly data: string | null;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly approximateArrivalTimestamp: number;
  readonly subSequenceNumber: number;
  readonly action: 'record';
}

/** Actions the daemon sends to the child. @public */
export type DaemonAction = 'initialize' | 'processRecords' | 'leaseLost' | 'shardEnded' | 'shutdownRequested';

/** A message the daemon sends, as the child parses it. @public */
export type DaemonMessage =
  | { readonly action: 'initialize'; readonly shardId: string; readonly sequenceNumber: string | null; readonly subSequenceNumber: number | null }
  | { readonly action: 'processRecords'; readonly records: readonly MultiLangRecord[]; readonly millisBehindLatest: number | null }
  | { readonly action: 'leaseLost' }
  | { readonly action: 'shardEnded' }
  | { readonly action: 'shutdownRequested' }
  /** KCL 1.x only: `TERMINATE` (shard end, with a checkpointer) or `ZOMBIE` (lease lost). */
  | { readonly action: 'shutdown'; readonly reason: 'TERMINATE' | 'ZOMBIE' | (string & {}) }
  | { readonly action: 'checkpoint'; readonly sequenceNumber: string | null; readonly subSequenceNumber: number | null; readonly error: string | null };

/** A message the child sends, as the daemon parses it. @public */
export type ChildMessage =
  { readonly action: 'status'; readonly responseFor: string | null } | { readonly action: 'checkpoint'; readonly sequenceNumber: string | null; readonly subSequenceNumber: number | null };

/** `{"action":"initialize",…}`: the lease's checkpoint, or nulls when it has none. @public */
export function encodeInitialize(shardId: string, checkpoint: ExtendedSequenceNumber | undefined): string {
  return JSON.stringify({ action: 'initialize', shardId, sequenceNumber: checkpoint?.sequenceNumber ?? null, subSequenceNumber: checkpoint?.subSequenceNumber ?? null });
}

/** One record in the daemon's shape: data base64 (standard, padded), arrival time in epoch ms. @public */
export function toMultiLangRecord(record: KinesisClientRecord): MultiLangRecord {
  return {
    data: record.data.toString('base64'),
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
    // Never null: amazon_kclpy calls int() on it. Kinesis always sets it.
    approximateArrivalTimestamp: record.approximateArrivalTimestamp?.getTime() ?? 0,
    subSequenceNumber: record.subSequenceNumber,
    action: 'record',
  };
}

/** `{"action":"processRecords","records":[…],"millisBehindLatest":…}`. @public */
export function encodeProcessRecords(records: readonly KinesisClientRecord[], millisBehindLatest: number | undefined): string {
  return JSON.stringify({ action: 'processRecords', records: records.map(toMultiLangRecord), millisBehindLatest: millisBehindLatest ?? null });
}

/** `{"action":"leaseLost"}`, `{"action":"shardEnded"}` or `{"action":"shutdownRequested"}`. Never the KCL 1.x `shutdown`. @public */
export function encodeLifecycle(action: 'leaseLost' | 'shardEnded' | 'shutdownRequested'): string {
  return JSON.stringify({ action });
}

/** The reply to a child's checkpoint: the position it sent, echoed, and the KCL exception name or null. @public */
export function encodeCheckpointReply(sequenceNumber: string | null, subSequenceNumber: number | null, error: string | null): string {
  return JSON.stringify({ action: 'checkpoint', sequenceNumber, subSequenceNumber, error });
}

/** `{"action":"status","responseFor":…}`, the child's answer to an action. @public */
export function encodeStatus(responseFor: DaemonAction | 'shutdown'): string {
  return JSON.stringify({ action: 'status', responseFor });
}

/** The child's checkpoint request; null sequence = everything delivered (or SHARD_END at shard end). @public */
export function encodeCheckpointRequest(sequenceNumber: string | null, subSequenceNumber: number | null): string {
  return JSON.stringify({ action: 'checkpoint', sequenceNumber, subSequenceNumber });
}

/** The position a checkpoint reply or initialize names, or undefined for nulls. @internal */
export function positionOf(sequenceNumber: string | null, subSequenceNumber: number | null): ExtendedSequenceNumber | undefined {
  return sequenceNumber === null ? undefined : new ExtendedSequenceNumber(sequenceNumber, subSequenceNumber ?? 0);
}
