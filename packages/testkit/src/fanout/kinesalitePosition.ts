import { createDecipheriv } from 'node:crypto';

interface SequenceObject {
  shardCreateTime: number;
  seqIx: string;
  seqTime: number;
  shardIx: number;
  byte1?: string;
  version: number;
}
interface KinesaliteDb {
  ITERATOR_PWD_KEY: Buffer;
  ITERATOR_PWD_IV: Buffer;
  parseSequence(seq: string): SequenceObject;
  stringifySequence(obj: Partial<SequenceObject>): string;
}

let db: KinesaliteDb | null | undefined;
function kinesaliteDb(): KinesaliteDb | null {
  if (db === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      db = require('kinesalite/db') as KinesaliteDb;
    } catch {
      db = null;
    }
  }
  return db;
}

/**
 * A sequence number S such that AFTER_SEQUENCE_NUMBER S reads exactly from where `iterator` reads,
 * or undefined when the iterator is not kinesalite's. Gives a subscription that has delivered no
 * record yet a ContinuationSequenceNumber that neither skips nor repeats, as Kinesis gives one on an
 * idle shard. kinesalite's AFTER_SEQUENCE_NUMBER S is S one second later with the same index, and
 * its iterators are AES-encrypted `time/stream/shard/sequence/...` with a key it exports.
 */
export function sequenceBeforeIterator(iterator: string): string | undefined {
  const k = kinesaliteDb();
  if (!k) return undefined;
  try {
    const buffer = Buffer.from(iterator, 'base64');
    const decipher = createDecipheriv('aes-256-cbc', k.ITERATOR_PWD_KEY, k.ITERATOR_PWD_IV);
    const pieces = Buffer.concat([decipher.update(buffer.subarray(8)), decipher.final()])
      .toString('utf8')
      .split('/');
    const position = k.parseSequence(pieces[3]!);
    if (position.version !== 2) return undefined;
    return k.stringifySequence({ shardCreateTime: position.shardCreateTime, seqIx: position.seqIx, seqTime: position.seqTime - 1000, shardIx: position.shardIx });
  } catch {
    return undefined;
  }
}
