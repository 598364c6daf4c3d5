import { inspect } from 'node:util';
import type { Attempt, PutResult } from './PutResult';

/**
 * The {@link PutResult} the producer resolves `put` with. The attempt list is built on first read:
 * most callers never look at it, and a producer resolves hundreds of thousands of results a second.
 * @internal
 */
export class ProducerPutResult implements PutResult {
  private list: readonly Attempt[] | undefined;

  constructor(
    readonly shardId: string,
    readonly sequenceNumber: string,
    readonly subSequenceNumber: number,
    readonly aggregated: boolean,
    private readonly failed: readonly Attempt[] | undefined,
    private readonly delayMs: number,
    private readonly durationMs: number,
  ) {}

  get attempts(): readonly Attempt[] {
    return (this.list ??= [...(this.failed ?? []), { delayMs: this.delayMs, durationMs: this.durationMs, successful: true }]);
  }

  toJSON(): PutResult {
    return { shardId: this.shardId, sequenceNumber: this.sequenceNumber, subSequenceNumber: this.subSequenceNumber, aggregated: this.aggregated, attempts: this.attempts };
  }

  [inspect.custom](): PutResult {
    return this.toJSON();
  }
}
