// Stand-in for the reader's own code that the multilang-adapter README's examples import from './app'.

/** Stores one order. */
export async function saveOrder(shardId: string, order: unknown): Promise<void> {
  void shardId;
  void order;
}

/** Buffers rows and writes them in bulk. */
export class Warehouse {
  constructor(readonly shardId: string) {}
  /** Writes the records in bulk; resolves with what was stored, in order. */
  async add<R extends { sequenceNumber: string; subSequenceNumber: number }>(records: readonly R[]): Promise<R[]> {
    return [...records];
  }
  async flush(): Promise<void> {}
}
