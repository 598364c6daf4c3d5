// Stand-ins for the application code the README examples call. Nothing here touches AWS.

/** What the stand-ins need of a record. */
interface Row {
  readonly data: Buffer;
}

/** Writes one order somewhere (idempotently: records can come twice). */
export async function saveOrder(shardId: string, order: unknown): Promise<void> {
  void shardId;
  void order;
}

/** Buffers the rows of one shard and writes them in bulk, 10,000 at a time. */
export class Warehouse {
  private buffered: Row[] = [];

  constructor(readonly shardId: string) {}

  /** Buffers the records; resolves with those a bulk write stored meanwhile, in order (often none). */
  async add<T extends Row>(records: readonly T[]): Promise<readonly T[]> {
    this.buffered.push(...records);
    return (this.buffered.length >= 10_000 ? this.buffered.splice(0, 10_000) : []) as T[];
  }

  /** Writes everything buffered. */
  async flush(): Promise<void> {
    this.buffered = [];
  }
}
