import { EventEmitter } from 'node:events';
import type { Counter, Logger } from '@shardline/core';
import type { PutFailure } from './PutResult';

/** Options of one failure subscription. @public */
export interface FailureIteratorOptions {
  /** Ends the iteration when aborted. */
  readonly signal?: AbortSignal;
}

class Subscription implements AsyncIterableIterator<PutFailure> {
  private readonly buffer: PutFailure[] = [];
  private head = 0;
  private reader: ((r: IteratorResult<PutFailure>) => void) | undefined;
  private ended = false;
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private onEnd: ((s: Subscription) => void) | undefined,
  ) {}

  /** Offers one failure; false when the buffer was full and it was dropped. */
  offer(failure: PutFailure): boolean {
    if (this.ended) return true;
    if (this.reader) {
      const r = this.reader;
      this.reader = undefined;
      r({ value: failure, done: false });
      return true;
    }
    if (this.buffer.length - this.head >= this.capacity) {
      this.dropped++;
      return false;
    }
    this.buffer.push(failure);
    return true;
  }

  /** No more failures will come; the reader still gets what is buffered. */
  end(): void {
    this.ended = true;
    this.detach();
    if (this.reader && this.head >= this.buffer.length) {
      const r = this.reader;
      this.reader = undefined;
      r({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<PutFailure>> {
    if (this.head < this.buffer.length) {
      const value = this.buffer[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.reader = resolve));
  }

  return(): Promise<IteratorResult<PutFailure>> {
    this.buffer.length = 0;
    this.head = 0;
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  private detach(): void {
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.(this);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<PutFailure> {
    return this;
  }
}

/**
 * Delivers failures to fire-and-forget users: `on('failure')` listeners and `failures()` async
 * iterators. Unlike a blocking failure channel, a slow reader never blocks the pipeline, and
 * nothing is dropped silently: a full iterator buffer drops and counts.
 * @internal
 */
export class FailureChannel {
  private readonly emitter = new EventEmitter<{ failure: [PutFailure] }>();
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;
  private lastDropLog = -Infinity;

  constructor(
    private readonly capacity: number,
    private readonly logger: Logger,
    private readonly dropped: Counter,
  ) {}

  /** True when someone listens or iterates. */
  get observed(): boolean {
    return this.subscriptions.size > 0 || this.emitter.listenerCount('failure') > 0;
  }

  on(listener: (failure: PutFailure) => void): void {
    this.emitter.on('failure', listener);
  }

  once(listener: (failure: PutFailure) => void): void {
    this.emitter.once('failure', listener);
  }

  off(listener: (failure: PutFailure) => void): void {
    this.emitter.off('failure', listener);
  }

  /** Publishes to everyone; returns whether anybody received it. */
  publish(failure: PutFailure): boolean {
    let received = false;
    for (const listener of this.emitter.listeners('failure') as ((f: PutFailure) => void)[]) {
      received = true;
      try {
        listener(failure);
      } catch (error) {
        // A throwing listener must not break the pipeline or hide the failure from others.
        this.logger.error({ err: error }, 'a failure listener threw');
      }
    }
    for (const s of this.subscriptions) {
      if (s.offer(failure)) received = true;
      else {
        this.dropped.add(1);
        const now = Date.now();
        if (now - this.lastDropLog > 10_000) {
          this.lastDropLog = now;
          this.logger.warn({ droppedBySubscriber: s.dropped, bufferSize: this.capacity }, 'failures() reader is too slow; failure notifications dropped (the put promises still reject)');
        }
      }
    }
    return received;
  }

  subscribe(options: FailureIteratorOptions = {}): AsyncIterableIterator<PutFailure> {
    const signal = options.signal;
    const onAbort = (): void => void s.return();
    const s = new Subscription(this.capacity, (x) => {
      this.subscriptions.delete(x);
      signal?.removeEventListener('abort', onAbort);
    });
    if (this.closed || signal?.aborted) {
      s.end();
      return s;
    }
    this.subscriptions.add(s);
    signal?.addEventListener('abort', onAbort, { once: true });
    return s;
  }

  /** Ends every iterator (after its buffered failures) and removes listeners. */
  close(): void {
    this.closed = true;
    for (const s of [...this.subscriptions]) s.end();
    this.emitter.removeAllListeners();
  }
}
