import { Writable } from 'node:stream';
import { enumOption, integerOption, rejectUnknownOptions, type ShardlineError } from '@shardline/core';
import type { RecordOwner } from './PendingRecord';

/** One record written to {@link ProducerWritable}. @public */
export interface ProducerRecord {
  /** Bytes, or a string sent as UTF-8. */
  readonly data: Uint8Array | string;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
}

/** Options of `producer.writable()`. @public */
export interface ProducerWritableOptions {
  /** Records the stream itself buffers before `write()` returns false. Default 64. */
  readonly highWaterMark?: number;
  /**
   * What a record that cannot be written does to the stream: `'destroy'` (default) destroys it with
   * the record's error, so `pipeline()` rejects; `'report'` leaves the stream running and relies on
   * `producer.on('failure')` / `producer.failures()`.
   */
  readonly onRecordFailure?: 'destroy' | 'report';
}

/** Takes one record: undefined when accepted at once, a promise of acceptance otherwise; throws for invalid input. */
type Enqueue = (record: ProducerRecord, owner: RecordOwner) => Promise<void> | undefined;

/**
 * An object-mode `Writable` in front of a producer. A write completes when the producer has
 * accepted the record, so its buffer limits hold the source back; `end()` completes (the `finish`
 * event, the end of `pipeline()`) only once every record written has settled. Records already
 * accepted are not dropped when the stream is destroyed: they settle in the producer, which reports
 * failures through its failure event.
 * @public
 */
export class ProducerWritable extends Writable {
  private pending = 0;
  private firstError: ShardlineError | undefined;
  private finalCallback: ((error?: Error | null) => void) | undefined;
  private readonly onRecordFailure: 'destroy' | 'report';
  private readonly owner: RecordOwner = { settled: (error) => this.recordSettled(error) };

  /** @internal Use `producer.writable()`. */
  constructor(
    private readonly enqueue: Enqueue,
    options: ProducerWritableOptions = {},
  ) {
    rejectUnknownOptions('producer.writable', options, ['highWaterMark', 'onRecordFailure']);
    super({ objectMode: true, highWaterMark: integerOption('producer.writable.highWaterMark', options.highWaterMark, 64, { min: 1, max: 1_000_000 }) });
    this.onRecordFailure = enumOption('producer.writable.onRecordFailure', options.onRecordFailure, ['destroy', 'report'] as const, 'destroy');
  }

  /** Records written to this stream and not yet settled. */
  get pendingRecords(): number {
    return this.pending;
  }

  /** True when `error` reached the user: it destroyed the stream. */
  private recordSettled(error: ShardlineError | undefined): boolean {
    this.pending--;
    let reported = false;
    if (error) {
      this.firstError ??= error;
      if (this.onRecordFailure === 'destroy' && !this.destroyed) {
        this.destroy(error);
        reported = true;
      }
    }
    if (this.pending === 0 && this.finalCallback) {
      const cb = this.finalCallback;
      this.finalCallback = undefined;
      cb(this.onRecordFailure === 'destroy' ? this.firstError : undefined);
    }
    return reported;
  }

  override _write(chunk: ProducerRecord, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const accepted = this.offer(chunk);
    if (accepted instanceof Error) callback(accepted);
    else if (accepted === undefined) callback();
    else accepted.then(() => callback(), callback);
  }

  override _writev(chunks: { chunk: ProducerRecord }[], callback: (error?: Error | null) => void): void {
    let last: Promise<void> | undefined;
    for (const { chunk } of chunks) {
      const accepted = this.offer(chunk);
      if (accepted instanceof Error) {
        callback(accepted);
        return;
      }
      if (accepted !== undefined) last = accepted;
    }
    // Acceptance is FIFO: once the last waiting record is in, all are.
    if (last === undefined) callback();
    else last.then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.pending === 0) callback(this.onRecordFailure === 'destroy' ? this.firstError : undefined);
    else this.finalCallback = callback;
  }

  private offer(chunk: ProducerRecord): Promise<void> | undefined | Error {
    this.pending++;
    try {
      return this.enqueue(chunk, this.owner);
    } catch (error) {
      this.pending--;
      return error as Error;
    }
  }
}
