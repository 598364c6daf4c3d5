import { format } from 'node:util';

/** Where {@link guardStdout} redirects to, and what it guards. Defaults: the process's own. @public */
export interface StdoutGuardOptions {
  /** The stream that carries the protocol. Default `process.stdout`. */
  readonly stdout?: NodeJS.WritableStream;
  /** Where everything else written to `stdout` goes. Default `process.stderr`. */
  readonly stderr?: NodeJS.WritableStream;
  /** The console whose `log`, `info`, `debug` and `warn` are redirected. Default the global `console`. */
  readonly console?: Console;
}

/** An installed {@link guardStdout}. @public */
export interface StdoutGuard {
  /** Writes protocol bytes to the real stdout, past the guard. */
  write(chunk: string | Uint8Array, callback?: (error?: Error | null) => void): boolean;
  /** Puts back `stdout.write` and the console methods. Idempotent. */
  restore(): void;
}

const ORIGINAL_WRITE = Symbol('shardline.stdoutGuard.originalWrite');
const CONSOLE_METHODS = ['log', 'info', 'debug', 'warn'] as const;

type WriteFn = NodeJS.WritableStream['write'];

/**
 * Reserves stdout for the MultiLang protocol. Until `restore()`:
 * - `stdout.write` from any code (user code, libraries, the global console) goes to stderr;
 * - `console.log`, `console.info`, `console.debug` and `console.warn` write to stderr;
 * - only {@link StdoutGuard.write} reaches stdout.
 *
 * What it cannot catch: writes to file descriptor 1 that bypass the stream, such as
 * `fs.writeSync(1, …)` or a pino logger created with `destination: 1` (sonic-boom writes the fd
 * directly). Log to fd 2 in a MultiLang child.
 *
 * Installing a second guard over a guarded stream keeps the protocol on the real stdout.
 * @public
 */
export function guardStdout(options: StdoutGuardOptions = {}): StdoutGuard {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const target = options.console ?? console;
  const ownWrite = Object.prototype.hasOwnProperty.call(stdout, 'write');
  // Kept to be put back by restore(), and called only through .apply with its stream.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const previousWrite = stdout.write;
  // A guard over a guard still writes the protocol to the real stream, never to stderr.
  const realWrite: WriteFn = (previousWrite as unknown as Record<symbol, WriteFn | undefined>)[ORIGINAL_WRITE] ?? previousWrite;

  const redirected = function (this: unknown, ...args: unknown[]): boolean {
    return (stderr.write as (...a: unknown[]) => boolean).apply(stderr, args);
  } as unknown as WriteFn;
  (redirected as unknown as Record<symbol, WriteFn>)[ORIGINAL_WRITE] = realWrite;
  stdout.write = redirected;

  const savedConsole = CONSOLE_METHODS.map((name) => {
    // The console's own method, kept to be put back by restore().
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const saved = { name, own: Object.prototype.hasOwnProperty.call(target, name), previous: target[name] };
    const replacement = (...args: unknown[]): void => {
      stderr.write(`${format(...args)}\n`);
    };
    target[name] = replacement;
    return { ...saved, replacement };
  });

  let restored = false;
  return {
    write(chunk, callback) {
      return (realWrite as (chunk: string | Uint8Array, cb?: (error?: Error | null) => void) => boolean).call(stdout, chunk, callback);
    },
    restore() {
      if (restored) return;
      restored = true;
      // Only undo what is still ours: a later patch by someone else stays.
      if (stdout.write === redirected) {
        if (ownWrite) stdout.write = previousWrite;
        else delete (stdout as { write?: WriteFn }).write;
      }
      for (const { name, own, previous, replacement } of savedConsole) {
        if (target[name] !== replacement) continue;
        if (own) target[name] = previous;
        else delete (target as Partial<Console>)[name];
      }
    },
  };
}
