import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { ExtendedSequenceNumber, MAX_HASH_KEY, ProtocolError } from '@shardline/core';
import type { Lease } from './Lease';

/**
 * The exact attribute names of the Java KCL 2.x/3.x lease table (`DynamoDBLeaseSerializer`), so
 * that a table written by one can be read by the other. Note the singular `parentShardId`, which
 * holds a string set.
 * @public
 */
export const LEASE_ATTRIBUTES = {
  leaseKey: 'leaseKey',
  leaseOwner: 'leaseOwner',
  leaseCounter: 'leaseCounter',
  ownerSwitchesSinceCheckpoint: 'ownerSwitchesSinceCheckpoint',
  checkpoint: 'checkpoint',
  checkpointSubSequenceNumber: 'checkpointSubSequenceNumber',
  pendingCheckpoint: 'pendingCheckpoint',
  pendingCheckpointSubSequenceNumber: 'pendingCheckpointSubSequenceNumber',
  pendingCheckpointState: 'pendingCheckpointState',
  parentShardId: 'parentShardId',
  childShardIds: 'childShardIds',
  startingHashKey: 'startingHashKey',
  endingHashKey: 'endingHashKey',
  checkpointOwner: 'checkpointOwner',
  throughputKBps: 'throughputKBps',
  entityType: 'entityType',
  streamName: 'streamName',
  shardId: 'shardId',
} as const;

/** A DynamoDB item in the low-level client's shape. @public */
export type DynamoItem = Record<string, AttributeValue>;

const A = LEASE_ATTRIBUTES;

/** A decimal `N` value. */
export function numberValue(n: number): AttributeValue {
  return { N: String(n) };
}

/** A string set, or `undefined` for an empty one (DynamoDB rejects empty sets). */
export function stringSetValue(values: readonly string[]): AttributeValue | undefined {
  const unique = [...new Set(values)];
  return unique.length > 0 ? { SS: unique } : undefined;
}

/** The `entityType` of lease items in the KCL 3.5 single-table format. */
const LEASE_ENTITY_TYPE = 'LEASE';

/** The full item for a lease, as `createLeaseIfNotExists` writes it (with `entityType` `LEASE`). @public */
export function leaseToItem(lease: Lease): DynamoItem {
  const item: DynamoItem = {
    [A.leaseKey]: { S: lease.leaseKey },
    [A.leaseCounter]: numberValue(lease.leaseCounter),
    [A.ownerSwitchesSinceCheckpoint]: numberValue(lease.ownerSwitchesSinceCheckpoint),
    // KCL 3.5 tags every item it creates; readers (both) take an item without it for a lease too.
    [A.entityType]: { S: LEASE_ENTITY_TYPE },
  };
  if (lease.leaseOwner !== undefined) item[A.leaseOwner] = { S: lease.leaseOwner };
  if (lease.checkpoint) {
    item[A.checkpoint] = { S: lease.checkpoint.sequenceNumber };
    item[A.checkpointSubSequenceNumber] = numberValue(lease.checkpoint.subSequenceNumber);
  }
  if (lease.pendingCheckpoint) {
    item[A.pendingCheckpoint] = { S: lease.pendingCheckpoint.sequenceNumber };
    item[A.pendingCheckpointSubSequenceNumber] = numberValue(lease.pendingCheckpoint.subSequenceNumber);
  }
  if (lease.pendingCheckpointState !== undefined) item[A.pendingCheckpointState] = { B: lease.pendingCheckpointState };
  const parents = stringSetValue(lease.parentShardIds);
  if (parents) item[A.parentShardId] = parents;
  const children = stringSetValue(lease.childShardIds);
  if (children) item[A.childShardIds] = children;
  if (lease.hashKeyRange) {
    item[A.startingHashKey] = { S: lease.hashKeyRange.startingHashKey.toString() };
    item[A.endingHashKey] = { S: lease.hashKeyRange.endingHashKey.toString() };
  }
  if (lease.checkpointOwner !== undefined) item[A.checkpointOwner] = { S: lease.checkpointOwner };
  if (lease.throughputKBps !== undefined) item[A.throughputKBps] = numberValue(lease.throughputKBps);
  if (lease.streamIdentifier !== undefined) item[A.streamName] = { S: lease.streamIdentifier };
  if (lease.shardId !== undefined) item[A.shardId] = { S: lease.shardId };
  return item;
}

/**
 * True for items that are leases. KCL 3.5's single-table format keeps worker metrics and
 * coordinator state in the same table, tagged by `entityType`; items without it are leases.
 * @public
 */
export function isLeaseItem(item: DynamoItem): boolean {
  const type = item[A.entityType]?.S;
  return type === undefined || type === LEASE_ENTITY_TYPE;
}

function bad(key: string, attribute: string, why: string): ProtocolError {
  return new ProtocolError(`lease item ${JSON.stringify(key)}: attribute ${attribute} ${why}`);
}

function readString(item: DynamoItem, key: string, attribute: string): string | undefined {
  const value = item[attribute];
  if (value === undefined || value.NULL) return undefined;
  if (typeof value.S !== 'string') throw bad(key, attribute, 'is not a string (S)');
  return value.S;
}

function readInteger(item: DynamoItem, key: string, attribute: string): number | undefined {
  const value = item[attribute];
  if (value === undefined || value.NULL) return undefined;
  const n = typeof value.N === 'string' ? Number(value.N) : NaN;
  if (!Number.isSafeInteger(n)) throw bad(key, attribute, `is not an integer (N) (got ${JSON.stringify(value.N ?? value)})`);
  return n;
}

function readStringSet(item: DynamoItem, key: string, attribute: string): string[] {
  const value = item[attribute];
  if (value === undefined || value.NULL) return [];
  if (Array.isArray(value.SS)) return [...value.SS].sort();
  // Tolerate a list or a single string written by a hand-rolled tool; the KCL itself writes SS.
  if (Array.isArray(value.L))
    return value.L.map((v) => v.S)
      .filter((s): s is string => typeof s === 'string')
      .sort();
  if (typeof value.S === 'string') return [value.S];
  throw bad(key, attribute, 'is not a string set (SS)');
}

function readSequence(item: DynamoItem, key: string, seqAttribute: string, subAttribute: string): ExtendedSequenceNumber | undefined {
  const sequenceNumber = readString(item, key, seqAttribute);
  if (sequenceNumber === undefined) return undefined;
  try {
    return new ExtendedSequenceNumber(sequenceNumber, readInteger(item, key, subAttribute) ?? 0);
  } catch (cause) {
    throw new ProtocolError(`lease item ${JSON.stringify(key)}: ${seqAttribute} is not a sequence number or sentinel (${(cause as Error).message})`, { cause });
  }
}

function readHashKey(item: DynamoItem, key: string, attribute: string): bigint | undefined {
  const text = readString(item, key, attribute);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || BigInt(text) > MAX_HASH_KEY) throw bad(key, attribute, `is not a hash key (got ${JSON.stringify(text)})`);
  return BigInt(text);
}

/**
 * Reads a lease item written by this package or by the Java KCL, multi-stream `streamName` and
 * `shardId` included. Unknown attributes are ignored here and left untouched in the table, because
 * every write except creation is an UpdateItem of named attributes only.
 * @throws ProtocolError when a known attribute has the wrong type.
 * @public
 */
export function leaseFromItem(item: DynamoItem): Lease {
  const leaseKey = item[A.leaseKey]?.S;
  if (typeof leaseKey !== 'string') throw new ProtocolError('lease item has no string leaseKey');
  const start = readHashKey(item, leaseKey, A.startingHashKey);
  const end = readHashKey(item, leaseKey, A.endingHashKey);
  const state = item[A.pendingCheckpointState];
  const throughput = item[A.throughputKBps]?.N;
  return {
    leaseKey,
    leaseOwner: readString(item, leaseKey, A.leaseOwner),
    leaseCounter: readInteger(item, leaseKey, A.leaseCounter) ?? 0,
    checkpoint: readSequence(item, leaseKey, A.checkpoint, A.checkpointSubSequenceNumber),
    pendingCheckpoint: readSequence(item, leaseKey, A.pendingCheckpoint, A.pendingCheckpointSubSequenceNumber),
    pendingCheckpointState: state?.B !== undefined ? new Uint8Array(state.B) : undefined,
    ownerSwitchesSinceCheckpoint: readInteger(item, leaseKey, A.ownerSwitchesSinceCheckpoint) ?? 0,
    parentShardIds: readStringSet(item, leaseKey, A.parentShardId),
    childShardIds: readStringSet(item, leaseKey, A.childShardIds),
    hashKeyRange: start !== undefined && end !== undefined ? { startingHashKey: start, endingHashKey: end } : undefined,
    checkpointOwner: readString(item, leaseKey, A.checkpointOwner),
    throughputKBps: throughput !== undefined && Number.isFinite(Number(throughput)) ? Number(throughput) : undefined,
    ...multiStreamFields(item, leaseKey),
  };
}

function multiStreamFields(item: DynamoItem, leaseKey: string): Pick<Lease, 'streamIdentifier' | 'shardId'> {
  const streamIdentifier = readString(item, leaseKey, A.streamName);
  if (streamIdentifier === undefined) return {};
  return { streamIdentifier, shardId: readString(item, leaseKey, A.shardId) ?? leaseKey.slice(leaseKey.lastIndexOf(':') + 1) };
}
