import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { InvalidStateError, type Logger, ProtocolError } from '@shardline/core';
import { LineSplitter } from '../protocol/LineSplitter';
import { type ChildMessage, type DaemonAction, encodeCheckpointReply } from '../protocol/messages';
import { parseChildLine } from '../protocol/parseLine';
import { ChildProcessError } from './ChildProcessError';

/** What a {@link ChildConnection} needs. @public */
export interface ChildConnectionOptions {
  /** The command, split on runs of spaces as the Java daemon does: no shell, no quoting. */
  readonly executableName: string;
  /** The shard the child processes; every log line and error names it. */
  readonly shardId: string;
  /** Longest stdout or stderr line kept, in bytes; longer ones are dropped and logged. */
  readonly maxLineBytes: number;
  /** The child's environment. Default: the daemon's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The child's working directory. Default: the daemon's. */
  readonly cwd?: string;
  /** Receives the child's stderr lines and skipped stdout lines (info), and the connection's own warnings. */
  readonly logger: Logger;
}

/**
 * Runs a checkpoint the child asked for: `sequenceNumber` null = everything delivered (`SHARD_END`
 * at shard end), `subSequenceNumber` null = 0. Resolves with the KCL exception name to send back,
 * or null on success.
 * @public
 */
export type CheckpointHandler = (sequenceNumber: string | null, subSequenceNumber: number | null) => Promise<string | null>;

/** How a child process ended. @public */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Once the child has exited (or closed stdout), how long the other half may lag before it counts as gone. */
const SETTLE_MS = 200;
/** Messages held while no action waits for them; past this, stdout is paused so the child blocks. */
const MAX_QUEUED = 1_000;
/** How long the pipes may take to drain after the exit before they are destroyed. */
const DRAIN_MS = 500;
/** How long to wait for the exit after SIGKILL before reporting the child as unkillable. */
const KILL_WAIT_MS = 5_000;

/**
 * One MultiLang child process and its pipes, as the Java daemon's `MultiLangProtocol` drives it:
 * {@link send} writes an action as one UTF-8 line and reads the child's stdout until the `status`
 * for it arrives, running and answering every `checkpoint` met on the way. A line that is not a
 * protocol message (log text, a partial or truncated message, `null`) is logged and skipped; a
 * line longer than `maxLineBytes` is dropped whole. Messages written while no action waits (after
 * a `status`) are kept for the next action, as the Java daemon reads them then.
 *
 * Unlike the Java daemon, nothing here exits the process: a failure rejects the pending
 * {@link send} with a {@link ChildProcessError} or a `ProtocolError`, and {@link close} escalates
 * from stdin EOF to SIGTERM to SIGKILL instead of waiting forever.
 * @public
 */
export class ChildConnection {
  /** The shard the child processes. */
  readonly shardId: string;
  /** Settles once the child has exited (or could not be started); never rejects. */
  readonly exited: Promise<ChildExit>;

  private readonly child: ChildProcessWithoutNullStreams | undefined;
  private readonly command: string;
  private readonly log: Logger;
  private readonly stdoutLines: LineSplitter;
  private readonly stderrLines: LineSplitter;
  private readonly queue: ChildMessage[] = [];
  private readonly closed: Promise<void>;
  private waiter: { resolve(message: ChildMessage): void; reject(error: unknown): void } | undefined;
  private failure: Error | undefined;
  private exit: ChildExit | undefined;
  private spawnError: Error | undefined;
  private writeError: Error | undefined;
  private stdoutEnded = false;
  private settleTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private busy: DaemonAction | undefined;
  private releasing: Promise<void> | undefined;
  private resolveExited!: (exit: ChildExit) => void;
  private resolveClosed!: () => void;

  /** Starts the child. A start failure is not thrown: the first {@link send} rejects with it. */
  constructor(private readonly o: ChildConnectionOptions) {
    this.shardId = o.shardId;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    const [command = '', ...args] = o.executableName.trim().split(/ +/);
    this.command = command;
    this.stdoutLines = new LineSplitter(o.maxLineBytes, { onLine: (line) => this.onStdoutLine(line), onOverflow: (bytes) => this.onOverflow('stdout', bytes) });
    this.stderrLines = new LineSplitter(o.maxLineBytes, {
      onLine: (line) => {
        if (line.trim() !== '') this.log.info({ stream: 'stderr' }, line);
      },
      onOverflow: (bytes) => this.onOverflow('stderr', bytes),
    });
    let child: ChildProcessWithoutNullStreams | undefined;
    try {
      child = spawn(command, args, { env: o.env ?? process.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    } catch (error) {
      this.log = o.logger.child({ component: 'MultiLangChild', shardId: o.shardId });
      this.onSpawnError(error as Error);
      return;
    }
    this.child = child;
    this.log = o.logger.child({ component: 'MultiLangChild', shardId: o.shardId, pid: child.pid });
    child.on('error', this.onProcessError);
    child.on('exit', this.onExit);
    child.on('close', this.onClose);
    child.stdin.on('error', this.onStdinError);
    child.stdout.on('data', this.onStdoutData);
    child.stdout.on('end', this.onStdoutEnd);
    child.stdout.on('error', this.onStreamError);
    child.stderr.on('data', this.onStderrData);
    child.stderr.on('end', this.onStderrEnd);
    child.stderr.on('error', this.onStreamError);
  }

  /** The child's process id (undefined when it could not be started). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the child runs and has not broken the protocol: it can be sent actions. */
  get running(): boolean {
    return this.child?.pid !== undefined && this.exit === undefined && this.failure === undefined;
  }

  /**
   * Writes `line` (an encoded action) and waits for `{"action":"status","responseFor":action}`.
   * Each `checkpoint` read meanwhile goes through `onCheckpoint`, and its reply is written before
   * the next line is read. One action at a time.
   * @throws ChildProcessError when the child is gone (it could not start, exited, closed its
   *   stdout, or its stdin broke); ProtocolError for a `status` that answers another action.
   */
  async send(line: string, action: DaemonAction, onCheckpoint: CheckpointHandler): Promise<void> {
    if (this.busy) throw new InvalidStateError(`${this.shardId}: ${action} sent while ${this.busy} still waits for its status`);
    this.busy = action;
    try {
      this.write(line);
      for (;;) {
        const message = await this.next();
        if (message.action === 'checkpoint') {
          const error = await onCheckpoint(message.sequenceNumber, message.subSequenceNumber);
          this.write(encodeCheckpointReply(message.sequenceNumber, message.subSequenceNumber, error));
          continue;
        }
        if (message.responseFor === action) return;
        const answered = message.responseFor === null ? 'no action' : JSON.stringify(message.responseFor);
        const mismatch = new ProtocolError(`the child process of ${this.shardId} (pid ${this.pid}) answered ${action} with a status for ${answered}`);
        this.fail(mismatch);
        throw mismatch;
      }
    } finally {
      this.busy = undefined;
    }
  }

  /**
   * Ends the child: closes its stdin (its cue to exit), waits up to `graceMs` for the exit, then
   * sends SIGTERM, waits up to `graceMs` again, then SIGKILL. Resolves once it has exited and its
   * pipes are released; never rejects.
   */
  async close(graceMs: number): Promise<ChildExit> {
    const child = this.child;
    if (child && this.exit === undefined && this.spawnError === undefined) {
      child.stdin.end();
      if (!(await this.exitedWithin(graceMs))) {
        this.log.warn({ graceMs }, 'the child process did not exit within childExitGraceMs of its stdin closing; sending SIGTERM');
        child.kill('SIGTERM');
        if (!(await this.exitedWithin(graceMs))) {
          this.log.warn({ graceMs }, 'the child process did not exit on SIGTERM; sending SIGKILL');
          return this.kill();
        }
      }
    }
    return this.release();
  }

  /** Kills the child at once (SIGKILL); resolves once it has exited and its pipes are released. */
  async kill(): Promise<ChildExit> {
    if (this.child && this.exit === undefined && this.spawnError === undefined) {
      this.child.kill('SIGKILL');
      if (!(await this.exitedWithin(KILL_WAIT_MS))) {
        this.log.error({ waitedMs: KILL_WAIT_MS }, 'the child process did not exit after SIGKILL; its pipes are released anyway');
        this.fail(this.goneError());
        this.destroyPipes();
        return { code: null, signal: 'SIGKILL' };
      }
    }
    return this.release();
  }

  private write(text: string): void {
    if (this.failure) throw this.failure;
    if (!this.child || this.exit !== undefined) {
      const gone = this.goneError();
      this.fail(gone);
      throw gone;
    }
    this.child.stdin.write(`${text}\n`, 'utf8');
  }

  private next(): Promise<ChildMessage> {
    const queued = this.queue.shift();
    if (queued) {
      if (this.paused && this.queue.length < MAX_QUEUED / 2) {
        this.paused = false;
        this.child?.stdout.resume();
      }
      return Promise.resolve(queued);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private onStdoutLine(line: string): void {
    // The Node client frames every message with blank lines; the Java daemon ignores them too.
    if (line.trim() === '') return;
    const message = parseChildLine(line);
    if (!message) {
      // The line itself is the message, so a child that logs to stdout reads as its own log.
      this.log.info({ stream: 'stdout', skipped: true }, line);
      return;
    }
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve(message);
      return;
    }
    this.queue.push(message);
    if (this.queue.length >= MAX_QUEUED && !this.paused) {
      this.paused = true;
      this.child?.stdout.pause();
    }
  }

  private onOverflow(stream: 'stdout' | 'stderr', bytes: number): void {
    this.log.warn({ stream, bytes, maxLineBytes: this.o.maxLineBytes }, `dropped a line longer than maxLineBytes from the child's ${stream}`);
  }

  private readonly onStdoutData = (chunk: Buffer): void => this.stdoutLines.push(chunk);
  private readonly onStderrData = (chunk: Buffer): void => this.stderrLines.push(chunk);
  private readonly onStderrEnd = (): void => this.stderrLines.end();

  private readonly onStdoutEnd = (): void => {
    this.stdoutLines.end();
    this.stdoutEnded = true;
    this.noteGone();
  };

  private readonly onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    this.exit = { code, signal };
    this.log.debug({ code, signal }, 'child process exited');
    this.noteGone();
    this.resolveExited(this.exit);
  };

  private readonly onClose = (): void => this.resolveClosed();

  private readonly onProcessError = (error: Error): void => {
    if (this.child?.pid === undefined) this.onSpawnError(error);
    else this.log.warn({ err: error }, 'child process error');
  };

  private readonly onStdinError = (error: Error): void => {
    this.writeError ??= error;
    this.noteGone();
  };

  private readonly onStreamError = (error: Error): void => this.log.debug({ err: error }, 'child pipe error');

  private onSpawnError(error: Error): void {
    if (this.spawnError) return;
    this.spawnError = error;
    this.exit = { code: null, signal: null };
    this.fail(
      new ChildProcessError(this.shardId, 'spawn-failed', undefined, null, null, `could not start the child process of ${this.shardId} (${JSON.stringify(this.o.executableName)}): ${error.message}`, {
        cause: error,
      }),
    );
    this.resolveExited(this.exit);
    this.resolveClosed();
  }

  /**
   * The child exited, closed its stdout or broke its stdin. Lines still in the pipe are read
   * first: it counts as gone once both the exit and the end of stdout are in, or shortly after
   * the first of them (a grandchild may hold stdout open; a child may close it and live on).
   */
  private noteGone(): void {
    if (this.failure) return;
    if (this.exit !== undefined && this.stdoutEnded) {
      this.fail(this.goneError());
      return;
    }
    this.settleTimer ??= setTimeout(() => this.fail(this.goneError()), SETTLE_MS);
  }

  private goneError(): ChildProcessError {
    const pid = this.child?.pid;
    const who = `the child process of ${this.shardId} (pid ${pid}, ${this.command})`;
    const during = this.busy ? ` while ${this.busy} waited for its status` : '';
    const exit = this.exit;
    if (exit) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      return new ChildProcessError(this.shardId, 'exited', pid, exit.code, exit.signal, `${who} ${how}${during}`);
    }
    if (this.stdoutEnded) return new ChildProcessError(this.shardId, 'stdout-closed', pid, null, null, `${who} closed its stdout${during}`);
    return new ChildProcessError(this.shardId, 'write-failed', pid, null, null, `${who} could not be written to${during}: ${this.writeError?.message}`, { cause: this.writeError });
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  private async exitedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([this.exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** After the exit: lets the pipes drain briefly (the last stderr lines), then destroys them. */
  private async release(): Promise<ChildExit> {
    const exit = await this.exited;
    this.releasing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))]);
      clearTimeout(timer);
      this.fail(this.goneError());
      this.destroyPipes();
    })();
    await this.releasing;
    return exit;
  }

  private destroyPipes(): void {
    const child = this.child;
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    if (!child) return;
    child.stdout.off('data', this.onStdoutData);
    child.stderr.off('data', this.onStderrData);
    // The error listeners stay: a late EPIPE on a destroyed pipe must not become an uncaught error.
    child.stdin.destroy();
    child.stdout.destroy();
    child.stderr.destroy();
  }
}
