// Stand-ins for the application code the README examples call. Nothing here touches AWS.
import type { KinesisClientRecord } from '../../src';

/** Writes one order somewhere (idempotently: records can come twice). */
export async function saveOrder(shardId: string, order: unknown): Promise<void> {
  void shardId;
  void order;
}

/** Buffers rows of one shard and writes them in bulk. */
export class Warehouse {
  private rows: KinesisClientRecord[] = [];

  constructor(readonly shardId: string) {}

  /** Buffers the records; returns how many are buffered. */
  add(records: readonly KinesisClientRecord[]): number {
    this.rows.push(...records);
    return this.rows.length;
  }

  /** Writes what is buffered. */
  async flush(): Promise<void> {
    this.rows = [];
  }

  /** Drops what is buffered. */
  discard(): void {
    this.rows = [];
  }
}
