import { ExtendedSequenceNumber, ProtocolError } from '@shardline/core';

/**
 * Where a poller keeps, per shard, the extended sequence number of the last user record it has
 * handled (or `SHARD_END` for a shard read to its end). It never stores shard iterators: those
 * expire five minutes after they are issued.
 *
 * Positions live in namespaces (by default the stream name, or `<appName>/<streamName>`), so that
 * several streams and applications can share one store. Implement this interface to keep
 * positions elsewhere; `save` must be durable when its promise resolves and may be called again
 * before an earlier call resolved only if the implementation serializes writes (the built-in
 * stores do; the poller itself never overlaps two saves).
 * @public
 */
export interface PositionStore {
  /** Every position stored in `namespace`, by shard id. */
  load(namespace: string): Promise<ReadonlyMap<string, ExtendedSequenceNumber>>;
  /** Stores positions of one or more shards of `namespace`, replacing earlier ones. */
  save(namespace: string, positions: ReadonlyMap<string, ExtendedSequenceNumber>): Promise<void>;
  /** Releases what the store holds (clients, pending writes). Idempotent. */
  close(): Promise<void>;
}

/** How a position is written in JSON and DynamoDB: the sequence number (or sentinel) and sub-sequence. @public */
export interface StoredPosition {
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
}

/** The serializable form of a position. @public */
export function toStoredPosition(position: ExtendedSequenceNumber): StoredPosition {
  return { sequenceNumber: position.sequenceNumber, subSequenceNumber: position.subSequenceNumber };
}

/** Parses a stored position; `where` names it in the error when it is malformed. @public */
export function fromStoredPosition(value: unknown, where: string): ExtendedSequenceNumber {
  const v = value as Partial<StoredPosition> | null;
  try {
    if (v === null || typeof v !== 'object' || typeof v.sequenceNumber !== 'string') throw new Error('not a position');
    return new ExtendedSequenceNumber(v.sequenceNumber, v.subSequenceNumber ?? 0);
  } catch (cause) {
    throw new ProtocolError(`${where} is not a stored position (got ${JSON.stringify(value)})`, { cause });
  }
}
