// Stand-in for the reader's own code that the kcl-consumer README's examples import from './app'.

/** Stores one order. */
export async function saveOrder(shardId: string, order: unknown): Promise<void> {
  void shardId;
  void order;
}

/** Buffers rows and writes them in bulk. */
export class Warehouse {
  private rows: unknown[] = [];
  constructor(readonly shardId: string) {}
  /** Buffers the records; returns how many are buffered. */
  add(records: readonly unknown[]): number {
    this.rows.push(...records);
    return this.rows.length;
  }
  async flush(): Promise<void> {
    this.rows = [];
  }
  discard(): void {
    this.rows = [];
  }
}
