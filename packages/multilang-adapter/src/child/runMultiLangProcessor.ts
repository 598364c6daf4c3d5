import type { Readable, Writable } from 'node:stream';
import { createLogger, ExtendedSequenceNumber, type Logger, ProtocolError, type ShardlineError, ShutdownError } from '@shardline/core';
import { type ProcessorCall, ProcessorFailedError } from '@shardline/core';
import type { RecordProcessor, ShardContext } from '@shardline/kcl-consumer';
import { LineSplitter } from '../protocol/LineSplitter';
import { type DaemonAction, type DaemonMessage, encodeStatus, positionOf } from '../protocol/messages';
import { parseDaemonLine } from '../protocol/parseLine';
import { type CheckpointScope, MultiLangCheckpointer } from './MultiLangCheckpointer';
import { guardStdout, type StdoutGuard } from './stdoutGuard';
import { toKinesisClientRecords } from './toKinesisClientRecords';

/** Options of {@link runMultiLangProcessor}. All optional. @public */
export interface RunMultiLangProcessorOptions {
  /** Where the daemon's lines come from. Default `process.stdin`. */
  readonly input?: Readable;
  /** Where the protocol lines go. Default `process.stdout`. */
  readonly output?: Writable;
  /** Where the child's own log lines, processor errors and redirected stdout writes go. Default `process.stderr`. */
  readonly errorOutput?: Writable;
  /** Logger for ignored lines and processor errors. Default: a pino logger on `errorOutput` (level `SHARDLINE_LOG_LEVEL` or `info`). */
  readonly logger?: Logger;
  /**
   * `streamName` of the processor's `ShardContext` and `InitializationInput`. The protocol does not
   * carry it (neither daemon tells the child). Default `''`.
   */
  readonly streamName?: string;
  /**
   * What a throwing `initialize`, `processRecords` or `shardEnded` does. Default `'fail'`:
   * - `'fail'`: the error goes to `errorOutput`, the child answers no `status`, stops reading, and
   *   the returned promise rejects with `ProcessorFailedError`; the process must then exit
   *   non-zero. No record is skipped: shardline's daemon retries the batch on a new child, and the
   *   Java daemon exits (every shard of that JVM stops) so that after a restart the shard resumes
   *   from its last checkpoint.
   * - `'skip'`: as amazon_kclpy and aws-kcl do, the error goes to `errorOutput` and `status` is
   *   answered anyway. Both daemons then move on: the batch is skipped, and lost for good once a
   *   later checkpoint passes it.
   *
   * `leaseLost` and `shutdownRequested` failures are always logged and answered: the lease is
   * gone or about to be released, the shard resumes from its checkpoint elsewhere, and the Java
   * daemon treats a failed `shutdownRequested` as harmless anyway.
   */
  readonly onProcessorError?: 'fail' | 'skip';
  /**
   * Reserve stdout for the protocol while the child runs (see `guardStdout`): `console.log/info/
   * debug/warn` and `process.stdout.write` go to `errorOutput`. Default: true when `output` is `process.stdout`.
   */
  readonly guardStdout?: boolean;
  /**
   * Longest daemon line read, in bytes. A longer line cannot be answered, so it is fatal
   * (`ProtocolError`): the child stops rather than leave the daemon waiting for a `status`.
   * Default 64 MiB (a 10 MB GetRecords batch is about 14 MB as MultiLang JSON).
   */
  readonly maxLineBytes?: number;
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;
const LOGGED_LINE_CHARS = 200;

function clip(line: string): string {
  return line.length > LOGGED_LINE_CHARS ? `${line.slice(0, LOGGED_LINE_CHARS)}…` : line;
}

/**
 * Runs a record processor as a KCL MultiLang child: reads the daemon's messages from stdin,
 * calls the processor serially, and answers on stdout. Works under the Java `MultiLangDaemon`
 * (KCL 2.x/3.x, and the KCL 1.x `shutdown` message) and under shardline's daemon.
 *
 * | daemon sends | the processor gets | child answers |
 * | --- | --- | --- |
 * | `initialize` | `initialize({ shardId, streamName, leaseKey: shardId, checkpoint, pendingCheckpoint: undefined, pendingCheckpointState: undefined })` | `status` |
 * | `processRecords` | `processRecords({ records, millisBehindLatest, checkpointer, isAtShardEnd: false, signal })` | `checkpoint`*, `status` |
 * | `shardEnded` | `shardEnded({ checkpointer })`; without the method, the child checkpoints `SHARD_END` itself, as the worker does | `checkpoint`*, `status` |
 * | `shutdownRequested` | `shutdownRequested({ checkpointer })`, if the processor has it | `checkpoint`*, `status` |
 * | `leaseLost` | `leaseLost()` | `status` |
 * | `shutdown` (KCL 1.x) | `TERMINATE`: as `shardEnded`; `ZOMBIE`: `leaseLost()`; `REQUESTED`: `shutdownRequested` then `leaseLost()` | `status` with `responseFor: "shutdown"` |
 *
 * - `checkpoint` in `initialize` is the lease's checkpoint (a sentinel such as `TRIM_HORIZON` as
 *   sent). When the daemon sends nulls (a lease without a checkpoint) it is `TRIM_HORIZON`:
 *   nothing is known to be processed. `checkpointer.lastCheckpoint` stays undefined then.
 * - Records: see `toKinesisClientRecords` (base64 → Buffer, a KCL 1.x `null` sub-sequence
 *   number → 0, arrival epoch ms → Date).
 * - Every call gets a `signal`, aborted when stdin ends during the call (the daemon went away;
 *   checkpoints now fail) or when the child stops.
 * - Lines that are not protocol messages are logged to `errorOutput` and ignored.
 * - `processor` may be a factory; it is called once, at `initialize`, with the shard's context.
 * - A throwing processor call: see {@link RunMultiLangProcessorOptions.onProcessorError}. By
 *   default the child stops without answering, so no batch is skipped:
 *   ```ts
 *   runMultiLangProcessor(processor).catch(() => process.exit(1));
 *   ```
 *
 * Resolves when stdin ends and every message received has been answered: the process may exit.
 * @public
 */
export function runMultiLangProcessor(processor: RecordProcessor | ((shard: ShardContext) => RecordProcessor), options: RunMultiLangProcessorOptions = {}): Promise<void> {
  return new ChildSession(processor, options).run();
}

/** One child's conversation with its daemon. */
class ChildSession {
  private readonly input: Readable;
  private readonly output: Writable;
  private readonly errorOutput: Writable;
  private readonly baseLog: Logger;
  private log: Logger;
  private readonly streamName: string;
  private readonly failOnError: boolean;
  private readonly checkpointer: MultiLangCheckpointer;
  private readonly splitter: LineSplitter;
  private readonly queue: DaemonMessage[] = [];
  private wake: (() => void) | undefined;
  private inputEnded = false;
  private fatal: ShardlineError | undefined;
  private guard: StdoutGuard | undefined;
  private outputBroken = false;
  private lastWrite: Promise<void> = Promise.resolve();
  private processor: RecordProcessor | undefined;
  private shardId = '';
  /** The signal of the processor call in progress. */
  private current: AbortController | undefined;

  constructor(
    private readonly source: RecordProcessor | ((shard: ShardContext) => RecordProcessor),
    options: RunMultiLangProcessorOptions,
  ) {
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.errorOutput = options.errorOutput ?? process.stderr;
    this.baseLog = options.logger ?? createLogger({ destination: this.errorOutput, name: 'shardline-multilang-child' });
    this.log = this.baseLog;
    this.streamName = options.streamName ?? '';
    this.failOnError = (options.onProcessorError ?? 'fail') === 'fail';
    if (options.guardStdout ?? this.output === process.stdout) this.guard = guardStdout({ stdout: this.output, stderr: this.errorOutput });
    this.checkpointer = new MultiLangCheckpointer((line) => this.write(line));
    this.splitter = new LineSplitter(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES, {
      onLine: (line) => this.onLine(line),
      onOverflow: (bytes) => this.stop(new ProtocolError(`the daemon sent a line of ${bytes} bytes, over maxLineBytes; it cannot be answered`)),
    });
  }

  async run(): Promise<void> {
    this.output.on('error', this.onOutputError);
    this.input.on('data', this.onData);
    this.input.once('end', this.onEnd);
    this.input.once('error', this.onInputError);
    try {
      for (;;) {
        const message = await this.next();
        if (!message) break;
        await this.dispatch(message);
      }
      await this.lastWrite;
    } catch (error) {
      this.input.pause();
      throw error;
    } finally {
      this.input.off('data', this.onData);
      this.input.off('end', this.onEnd);
      this.input.off('error', this.onInputError);
      this.output.off('error', this.onOutputError);
      this.guard?.restore();
    }
  }

  private readonly onData = (chunk: Buffer | string): void => {
    if (this.fatal) return;
    this.splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  };

  private readonly onEnd = (): void => {
    this.splitter.end();
    this.inputEnded = true;
    const gone = new ShutdownError(`the daemon closed stdin${this.shardId ? ` of ${this.shardId}` : ''}`);
    this.checkpointer.close(gone);
    this.current?.abort(gone);
    this.wake?.();
  };

  private readonly onInputError = (error: Error): void => {
    this.log.error({ err: error }, 'reading stdin failed; treating it as the end of input');
    this.onEnd();
  };

  private readonly onOutputError = (error: Error): void => {
    if (!this.outputBroken) this.log.error({ err: error }, 'writing to the daemon failed; no more protocol lines are written');
    this.outputBroken = true;
  };

  /** The child cannot go on: fail whatever waits, and end the loop with `error`. */
  private stop(error: ShardlineError): void {
    this.fatal ??= error;
    this.log.error({ err: error }, 'the MultiLang child stops');
    this.checkpointer.close(error);
    this.current?.abort(error);
    this.wake?.();
  }

  private onLine(line: string): void {
    if (this.fatal) return;
    const message = parseDaemonLine(line);
    if (!message) {
      if (line.trim() !== '') this.log.warn({ line: clip(line) }, 'ignoring a stdin line that is not a MultiLang message');
      return;
    }
    if (message.action === 'checkpoint') {
      if (!this.checkpointer.receive(message)) this.log.warn({ line: clip(line) }, 'ignoring a checkpoint reply that no checkpoint was waiting for');
      return;
    }
    // amazon_kclpy's rule: anything but the reply fails the waiting checkpoint.
    this.checkpointer.interrupt(message.action);
    this.queue.push(message);
    this.wake?.();
  }

  private async next(): Promise<DaemonMessage | undefined> {
    for (;;) {
      if (this.fatal) throw this.fatal;
      const message = this.queue.shift();
      if (message) return message;
      if (this.inputEnded) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  private write(line: string): void {
    // Once the child stops, it says nothing more: the daemon must see it die, not a late status.
    if (this.outputBroken || this.fatal) return;
    const data = Buffer.from(`${line}\n`, 'utf8');
    try {
      this.lastWrite = new Promise<void>((resolve) => {
        const done = (): void => resolve();
        if (this.guard) this.guard.write(data, done);
        else this.output.write(data, done);
      });
    } catch (error) {
      this.onOutputError(error as Error);
    }
  }

  private answer(responseFor: DaemonAction | 'shutdown'): void {
    this.write(encodeStatus(responseFor));
  }

  private async dispatch(message: DaemonMessage): Promise<void> {
    switch (message.action) {
      case 'initialize':
        await this.initialize(message.shardId, message.sequenceNumber, message.subSequenceNumber);
        return this.answer('initialize');
      case 'processRecords':
        await this.processRecords(message.records, message.millisBehindLatest);
        return this.answer('processRecords');
      case 'shardEnded':
        await this.shardEnded();
        return this.answer('shardEnded');
      case 'shutdownRequested':
        await this.shutdownRequested();
        return this.answer('shutdownRequested');
      case 'leaseLost':
        await this.leaseLost();
        return this.answer('leaseLost');
      case 'shutdown':
        // KCL 1.x: one message for both ends of a lease.
        if (message.reason === 'TERMINATE') await this.shardEnded();
        else if (message.reason === 'REQUESTED') {
          await this.shutdownRequested();
          await this.leaseLost();
        } else {
          if (message.reason !== 'ZOMBIE') this.log.warn({ reason: message.reason }, 'unknown KCL 1.x shutdown reason; treating it as ZOMBIE (lease lost)');
          await this.leaseLost();
        }
        return this.answer('shutdown');
      default:
        // checkpoint replies never reach the queue.
        return;
    }
  }

  private context(): ShardContext {
    return { shardId: this.shardId, streamName: this.streamName, leaseKey: this.shardId };
  }

  private theProcessor(): RecordProcessor {
    if (this.processor) return this.processor;
    if (typeof this.source !== 'function') return (this.processor = this.source);
    try {
      return (this.processor = this.source(this.context()));
    } catch (error) {
      this.log.error({ err: error }, 'the processor factory threw; the child stops');
      throw new ProcessorFailedError(this.shardId, 'create', 1, `creating the processor of ${this.shardId || 'the shard'} failed`, { cause: error });
    }
  }

  /**
   * Runs one processor call. A throw is logged; then, when `mayFail` and `onProcessorError` is
   * `'fail'`, the child stops without answering (`ProcessorFailedError`). `fn` gets the call's
   * signal, aborted when stdin ends (the daemon is gone) or the child stops.
   */
  private async call(call: ProcessorCall, mayFail: boolean, fn: (signal: AbortSignal) => unknown): Promise<void> {
    const controller = new AbortController();
    if (this.inputEnded) controller.abort(new ShutdownError(`the daemon closed stdin${this.shardId ? ` of ${this.shardId}` : ''}`));
    this.current = controller;
    try {
      await fn(controller.signal);
    } catch (error) {
      if (mayFail && this.failOnError) {
        this.log.error({ err: error, call }, `${call} threw: the child stops without answering status, so that the daemon does not move past this input`);
        const failure = new ProcessorFailedError(this.shardId, call, 1, `${call} on ${this.shardId || 'the shard'} threw; the child stops without answering status so that no input is skipped`, {
          cause: error,
        });
        this.fatal ??= failure;
        const stopping = new ShutdownError(`the MultiLang child of ${this.shardId || 'the shard'} is stopping`, { cause: failure });
        this.checkpointer.close(stopping);
        controller.abort(stopping);
        throw failure;
      }
      this.log.error({ err: error, call }, `${call} threw; answering status anyway${mayFail ? ' (onProcessorError: skip): the daemon moves on' : ''}`);
    } finally {
      this.current = undefined;
    }
  }

  /** A call that gets the checkpointer: `status` waits until its checkpoints have their replies. */
  private async callWithCheckpointer(scope: CheckpointScope, mayFail: boolean, fn: (signal: AbortSignal) => unknown): Promise<void> {
    this.checkpointer.open(scope);
    try {
      await this.call(scope, mayFail, fn);
    } finally {
      const settled = this.checkpointer.settle();
      if (!this.fatal) await settled;
    }
  }

  private async initialize(shardId: string, sequenceNumber: string | null, subSequenceNumber: number | null): Promise<void> {
    if (this.processor && shardId !== this.shardId) this.log.warn({ shardId }, 'a second initialize for another shard; the same processor is used');
    this.shardId = shardId;
    this.log = this.baseLog.child({ shardId });
    let checkpoint: ExtendedSequenceNumber | undefined;
    try {
      checkpoint = positionOf(sequenceNumber, subSequenceNumber);
    } catch (error) {
      this.log.warn({ err: error, sequenceNumber, subSequenceNumber }, 'initialize carries a malformed checkpoint; treating it as none');
    }
    this.checkpointer.initialized(shardId, checkpoint);
    const processor = this.theProcessor();
    if (!processor.initialize) return;
    await this.call('initialize', true, (signal) =>
      processor.initialize!({
        ...this.context(),
        checkpoint: checkpoint ?? ExtendedSequenceNumber.TRIM_HORIZON,
        pendingCheckpoint: undefined,
        pendingCheckpointState: undefined,
        signal,
      }),
    );
  }

  private async processRecords(raw: readonly unknown[], millisBehindLatest: number | null): Promise<void> {
    const processor = this.theProcessor();
    const records = toKinesisClientRecords(raw);
    for (const record of records) {
      try {
        this.checkpointer.delivered(new ExtendedSequenceNumber(record.sequenceNumber, record.subSequenceNumber));
      } catch {
        this.log.warn({ sequenceNumber: clip(record.sequenceNumber) }, 'a record with a malformed sequence number; it cannot be checkpointed by position');
      }
    }
    await this.callWithCheckpointer('processRecords', true, (signal) =>
      processor.processRecords({ records, millisBehindLatest: millisBehindLatest ?? undefined, checkpointer: this.checkpointer, isAtShardEnd: false, signal }),
    );
  }

  private async shardEnded(): Promise<void> {
    const processor = this.theProcessor();
    const checkpointer = this.checkpointer;
    await this.callWithCheckpointer('shardEnded', true, async (signal) => {
      // As the worker: a processor without shardEnded gets SHARD_END checkpointed for it.
      if (processor.shardEnded) await processor.shardEnded({ checkpointer, signal });
      else await checkpointer.checkpoint();
    });
    if (!checkpointer.lastCheckpoint?.equals(ExtendedSequenceNumber.SHARD_END)) {
      this.log.error('shardEnded returned without checkpointing SHARD_END: the Java daemon does not ask again, so the shard stays unfinished and its children do not start');
    }
  }

  private async shutdownRequested(): Promise<void> {
    const processor = this.theProcessor();
    if (!processor.shutdownRequested) return;
    await this.callWithCheckpointer('shutdownRequested', false, (signal) => processor.shutdownRequested!({ checkpointer: this.checkpointer, signal }));
  }

  private async leaseLost(): Promise<void> {
    const processor = this.theProcessor();
    if (!processor.leaseLost) return;
    await this.call('leaseLost', false, (signal) => processor.leaseLost!({ signal }));
  }
}
