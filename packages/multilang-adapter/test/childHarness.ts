import { PassThrough } from 'node:stream';
import type { RecordProcessor, ShardContext } from '@shardline/kcl-consumer';
import { LineSplitter } from '../src/protocol/LineSplitter';
import { runMultiLangProcessor, type RunMultiLangProcessorOptions } from '../src/child/runMultiLangProcessor';

/** The daemon's side of a MultiLang child in tests: recorded daemon and client lines, and a daemon on in-memory streams. */
// What the Java daemon (KCL 2.x/3.x) writes to a child, byte for byte: field order and nulls as it serializes them.
export const DAEMON = {
  initialize: '{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}',
  initializeNulls: '{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":null,"subSequenceNumber":null}',
  processRecords:
    '{"action":"processRecords","records":[{"data":"aGVsbG8=","partitionKey":"pk1","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","approximateArrivalTimestamp":1700000000000,"subSequenceNumber":0,"action":"record"}],"millisBehindLatest":0}',
  leaseLost: '{"action":"leaseLost"}',
  shardEnded: '{"action":"shardEnded"}',
  shutdownRequested: '{"action":"shutdownRequested"}',
  checkpointOk: '{"action":"checkpoint","sequenceNumber":"4959","subSequenceNumber":0,"error":null}',
  checkpointShutdown: '{"action":"checkpoint","sequenceNumber":"4959","subSequenceNumber":null,"error":"ShutdownException"}',
  checkpointIllegal: '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":"IllegalArgumentException"}',
};

// What aws-kcl (Node) and amazon_kclpy write back, framing included, as recorded from the real clients.
export const CLIENT = {
  nodeStatusInitialize: '\n{"action":"status","responseFor":"initialize"}\n',
  nodeCheckpointAll: '\n{"action":"checkpoint","sequenceNumber":null}\n',
  nodeStatusShutdownRequested: '\n{"action":"status","responseFor":"shutdownRequested"}\n',
  pythonCheckpointSub: '\n{"action": "checkpoint", "sequenceNumber": "4959", "subSequenceNumber": 2}\n',
  pythonCheckpointAll: '\n{"action": "checkpoint", "sequenceNumber": null, "subSequenceNumber": null}\n',
};

export const SEQ = '49590338271490256608559692538361571095921575989136588898';

/** The daemon side of a child, on in-memory streams. */
export class FakeDaemon {
  readonly input = new PassThrough();
  readonly output = new PassThrough();
  readonly errorOutput = new PassThrough();
  readonly done: Promise<void>;
  private readonly raw: Buffer[] = [];
  private readonly lines: string[] = [];
  private readonly waiters: ((line: string) => void)[] = [];
  private stderrText = '';

  constructor(processor: RecordProcessor | ((shard: ShardContext) => RecordProcessor), options: RunMultiLangProcessorOptions = {}) {
    const splitter = new LineSplitter(1 << 24, {
      onLine: (line) => {
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      },
    });
    this.output.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      splitter.push(chunk);
    });
    this.errorOutput.on('data', (chunk: Buffer) => (this.stderrText += chunk.toString('utf8')));
    this.done = runMultiLangProcessor(processor, { input: this.input, output: this.output, errorOutput: this.errorOutput, ...options });
    this.done.catch(() => undefined);
  }

  send(...lines: string[]): void {
    for (const line of lines) this.input.write(`${line}\n`);
  }

  /** The next line the child writes, as text. */
  nextLine(timeoutMs = 2000): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the child wrote no line in time')), timeoutMs);
      this.waiters.push((l) => {
        clearTimeout(timer);
        resolve(l);
      });
    });
  }

  async next(): Promise<Record<string, unknown>> {
    return JSON.parse(await this.nextLine()) as Record<string, unknown>;
  }

  /** True if the child writes nothing within `ms`. */
  async silent(ms = 50): Promise<boolean> {
    if (this.lines.length) return false;
    await new Promise((r) => setTimeout(r, ms));
    return this.lines.length === 0;
  }

  get bytes(): string {
    return Buffer.concat(this.raw).toString('utf8');
  }

  get stderr(): string {
    return this.stderrText;
  }

  end(): void {
    this.input.end();
  }
}

/** Same JSON, same key order. */
export function expectSameMessage(ours: string, theirs: string): void {
  const a = JSON.parse(ours) as object;
  const b = JSON.parse(theirs.trim()) as object;
  expect(a).toEqual(b);
  expect(Object.keys(a)).toEqual(Object.keys(b));
}

export function recordingProcessor(overrides: Partial<RecordProcessor> = {}): RecordProcessor & { calls: string[]; inputs: unknown[] } {
  const calls: string[] = [];
  const inputs: unknown[] = [];
  return {
    calls,
    inputs,
    initialize(input) {
      calls.push('initialize');
      inputs.push(input);
    },
    processRecords(input) {
      calls.push('processRecords');
      inputs.push(input);
    },
    leaseLost() {
      calls.push('leaseLost');
    },
    async shardEnded({ checkpointer }) {
      calls.push('shardEnded');
      await checkpointer.checkpoint();
    },
    ...overrides,
  };
}
