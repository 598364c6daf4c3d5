import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { createDynamoDbClient, type LogFields, type Logger } from '@shardline/core';
import { type Lease, LeaseTable } from '@shardline/dynamo-lease';
import type { WorkerOptions } from '@shardline/kcl-consumer';
import type { TestEmulators } from '@shardline/testkit';
export { splitShard, type TestEmulators, useEmulators, waitFor } from '@shardline/testkit';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MultiLangDaemon } from '../src/daemon/MultiLangDaemon';
import type { MultiLangDaemonOptions } from '../src/daemon/MultiLangDaemonOptions';

/** One log call, with the bindings of the child loggers it went through. */
export interface LogEntry {
  readonly level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  readonly fields: LogFields;
  readonly message: string | undefined;
}

/** A logger that keeps every line, for assertions on what the daemon logs. */
export class RecordingLogger implements Logger {
  constructor(
    readonly entries: LogEntry[] = [],
    private readonly bindings: LogFields = {},
  ) {}

  trace = this.method('trace');
  debug = this.method('debug');
  info = this.method('info');
  warn = this.method('warn');
  error = this.method('error');

  child(bindings: LogFields): Logger {
    return new RecordingLogger(this.entries, { ...this.bindings, ...bindings });
  }

  private method(level: LogEntry['level']): Logger['info'] {
    return (fields: LogFields | string, message?: string) => {
      if (typeof fields === 'string') this.entries.push({ level, fields: this.bindings, message: fields });
      else this.entries.push({ level, fields: { ...this.bindings, ...fields }, message });
    };
  }
}

/** One event a fixture child wrote to FIXTURE_LOG. */
export interface ChildEvent {
  readonly pid: number;
  readonly shardId: string | undefined;
  readonly event: string;
  readonly [field: string]: unknown;
}

/** A fresh directory for one test's fixture state, log and transcripts. */
export class FixtureRun {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multilang-'));
  readonly log = path.join(this.dir, 'events.jsonl');

  /** The command that runs a fixture child with this Node. */
  static command(fixture: string): string {
    return `${process.execPath} ${path.join(__dirname, 'fixtures', fixture)}`;
  }

  /** The environment of the children: the emulators' plus the fixture variables. */
  env(extra: Readonly<Record<string, string>> = {}): Record<string, string | undefined> {
    return { ...process.env, FIXTURE_LOG: this.log, FIXTURE_DIR: this.dir, ...extra };
  }

  events(): ChildEvent[] {
    if (!fs.existsSync(this.log)) return [];
    return fs
      .readFileSync(this.log, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ChildEvent);
  }

  /** Record ids the children got, per shard, in order (repeats included). */
  delivered(): Map<string, string[]> {
    const byShard = new Map<string, string[]>();
    for (const e of this.events()) {
      if (e.event !== 'records') continue;
      byShard.set(e.shardId!, [...(byShard.get(e.shardId!) ?? []), ...(e.ids as string[])]);
    }
    return byShard;
  }

  distinctDelivered(): Set<string> {
    return new Set([...this.delivered().values()].flat());
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Fast worker timings so that each fault plays out in a second or two. */
export function testWorker(t: TestEmulators, options: Partial<MultiLangDaemonOptions['worker']> & Pick<WorkerOptions, 'applicationName' | 'streamName'>): MultiLangDaemonOptions['worker'] {
  return {
    clientOptions: { env: t.env },
    failoverTimeMs: 1_500,
    idleTimeBetweenReadsMs: 200,
    initialPosition: 'TRIM_HORIZON',
    shardSyncIntervalMs: 1_000,
    processingTimeoutMs: 3_000,
    shutdownTimeoutMs: 5_000,
    maxProcessingAttempts: 3,
    processingRetryBackoff: { baseDelayMs: 20, maxDelayMs: 100 },
    ...options,
  };
}

/** Daemons started by a test file; stopped after each test. */
export function useDaemons(): { start(options: MultiLangDaemonOptions): Promise<MultiLangDaemon> } {
  const daemons: MultiLangDaemon[] = [];
  afterEach(async () => {
    await Promise.all(daemons.splice(0).map((d) => d.stop()));
  });
  return {
    async start(options) {
      const daemon = new MultiLangDaemon(options);
      daemons.push(daemon);
      await daemon.start();
      return daemon;
    },
  };
}

/** Puts records `<prefix>-<i>`; returns the ids and their sequence numbers by shard, in put order. */
export async function putRecords(kinesis: KinesisClient, streamName: string, count: number, prefix = 'r'): Promise<Map<string, { id: string; sequenceNumber: string }[]>> {
  const byShard = new Map<string, { id: string; sequenceNumber: string }[]>();
  for (let start = 0; start < count; start += 500) {
    const ids = Array.from({ length: Math.min(500, count - start) }, (_, i) => `${prefix}-${start + i}`);
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: ids.map((id) => ({ PartitionKey: `pk-${id}`, Data: Buffer.from(id) })) }));
    if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
    out.Records!.forEach((r, i) => byShard.set(r.ShardId!, [...(byShard.get(r.ShardId!) ?? []), { id: ids[i]!, sequenceNumber: r.SequenceNumber! }]));
  }
  return byShard;
}

export async function leasesOf(t: TestEmulators, tableName: string): Promise<Lease[]> {
  const client = createDynamoDbClient({ env: t.env });
  try {
    return await new LeaseTable({ tableName, client }).listLeases();
  } finally {
    client.destroy();
  }
}

/** Polls `condition` every 20 ms until it holds. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const shardId = (n: number): string => `shardId-${String(n).padStart(12, '0')}`;
