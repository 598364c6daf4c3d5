import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '@shardline/core';
import { startEmulators, uniqueName, type Emulators } from '@shardline/testkit';
import { LeaseTable } from '../src';

/** dynalite in this process, plus every client a test made, closed together. */
export class DynamoHarness {
  private readonly clients: DynamoDBClient[] = [];
  private readonly tableClients = new WeakMap<LeaseTable, DynamoDBClient>();
  private constructor(readonly emulators: Emulators) {}

  static async start(): Promise<DynamoHarness> {
    return new DynamoHarness(await startEmulators({ kinesis: false, dynamodb: true }));
  }

  get env(): Readonly<Record<string, string>> {
    return this.emulators.env;
  }

  /** A fresh client (one per simulated worker, so fault injection stays per worker). */
  client(): DynamoDBClient {
    const client = createDynamoDbClient({ env: this.emulators.env });
    this.clients.push(client);
    return client;
  }

  /** A LeaseTable on a new client and a unique, created table. */
  async table(tableName = uniqueName('leases')): Promise<LeaseTable> {
    const client = this.client();
    const table = new LeaseTable({ tableName, client });
    this.tableClients.set(table, client);
    await table.createTableIfNotExists();
    return table;
  }

  /** The client a table from {@link table} uses (to inject faults into it). */
  clientOf(table: LeaseTable): DynamoDBClient {
    const client = this.tableClients.get(table);
    if (!client) throw new Error('table not made by this harness');
    return client;
  }

  async stop(): Promise<void> {
    for (const client of this.clients) client.destroy();
    await this.emulators.stop();
  }
}

/** Polls `condition` every `intervalMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
