import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, type LogFields, type Logger, type ManualClock } from '@shardline/core';
import { pollUntil, startEmulators, uniqueName, type Emulators } from '@shardline/testkit';
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

/** One line a {@link RecordingLogger} received, with its bindings merged into `fields`. */
export interface LogLine {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string | undefined;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every line in memory (children share the list), to assert on what was logged. */
export class RecordingLogger implements Logger {
  readonly trace = this.method('trace');
  readonly debug = this.method('debug');
  readonly info = this.method('info');
  readonly warn = this.method('warn');
  readonly error = this.method('error');

  constructor(
    readonly lines: LogLine[] = [],
    private readonly bindings: LogFields = {},
  ) {}

  child(bindings: LogFields): Logger {
    return new RecordingLogger(this.lines, { ...this.bindings, ...bindings });
  }

  /** Lines at `level` whose message contains `text`. */
  find(level: LogLine['level'], text: string): LogLine[] {
    return this.lines.filter((l) => l.level === level && (l.msg ?? '').includes(text));
  }

  private method(level: LogLine['level']): Logger['info'] {
    return (fieldsOrMessage: LogFields | string, message?: string) => {
      const line = typeof fieldsOrMessage === 'string' ? { msg: fieldsOrMessage, fields: {} } : { msg: message, fields: { ...fieldsOrMessage } };
      this.lines.push({ level, msg: line.msg, fields: { ...this.bindings, ...line.fields } });
    };
  }
}

/**
 * Moves a ManualClock forward by `totalMs` in `stepMs` steps while real I/O (dynalite) runs: before
 * each step it waits (real time, up to 1 s) until at least `sleepers` sleeps are pending, i.e. the
 * loops under test have finished their requests and are parked on the clock again.
 */
export async function advanceClock(clock: ManualClock, totalMs: number, options: { stepMs?: number; sleepers?: number } = {}): Promise<void> {
  const stepMs = options.stepMs ?? 25;
  const sleepers = options.sleepers ?? 1;
  for (let elapsed = 0; elapsed < totalMs; elapsed += stepMs) {
    await pollUntil(() => clock.pendingSleeps >= sleepers, 1_000, 1);
    clock.advance(Math.min(stepMs, totalMs - elapsed));
  }
  await pollUntil(() => clock.pendingSleeps >= sleepers, 1_000, 1);
}
