import { type ExtendedSequenceNumber, ShutdownError } from '@shardline/core';
import type { PositionStore } from './PositionStore';

/**
 * Positions in this process's memory: lost when it exits. The default store; fine for tests and
 * for readers that start from LATEST or AT_TIMESTAMP on every run.
 * @public
 */
export class MemoryPositionStore implements PositionStore {
  private readonly namespaces = new Map<string, Map<string, ExtendedSequenceNumber>>();
  private closed = false;

  async load(namespace: string): Promise<ReadonlyMap<string, ExtendedSequenceNumber>> {
    this.check();
    return new Map(this.namespaces.get(namespace) ?? []);
  }

  async save(namespace: string, positions: ReadonlyMap<string, ExtendedSequenceNumber>): Promise<void> {
    this.check();
    let ns = this.namespaces.get(namespace);
    if (!ns) this.namespaces.set(namespace, (ns = new Map<string, ExtendedSequenceNumber>()));
    for (const [shardId, position] of positions) ns.set(shardId, position);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new ShutdownError('MemoryPositionStore is closed');
  }
}
