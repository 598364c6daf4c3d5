import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, type Logger, type LoggerOptions, ShardlineError } from '@shardline/core';
import type { ShutdownSignalsOptions } from '@shardline/kcl-consumer';
import { daemonOptionsFromProperties } from './daemon/daemonOptionsFromProperties';
import { MultiLangDaemon } from './daemon/MultiLangDaemon';
import type { MultiLangDaemonOptions } from './daemon/MultiLangDaemonOptions';
import { parseProperties } from './daemon/parseProperties';

/**
 * Exit codes of `shardline-multilang`:
 * - `OK` 0: stopped gracefully after SIGTERM/SIGINT, or `--help`, `--version`, `--check` done;
 * - `FAILED` 1: the daemon failed to start (AWS unreachable, access denied, …);
 * - `USAGE` 2: invalid command-line arguments;
 * - `CONFIG` 3: the properties file is missing, unreadable or invalid.
 * A second SIGTERM/SIGINT during the graceful stop ends the process at once, by that signal.
 * @public
 */
export const EXIT_CODES = { OK: 0, FAILED: 1, USAGE: 2, CONFIG: 3 } as const;

/** What {@link main} needs of a daemon; {@link MultiLangDaemon} by default. @public */
export interface CliDaemon {
  start(): Promise<void>;
  stop(): Promise<void>;
  handleSignals(options?: ShutdownSignalsOptions): () => void;
}

/** The process around {@link main}: streams, environment, and seams for tests. @public */
export interface CliIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative properties paths are resolved against this. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Builds the daemon. Default `new MultiLangDaemon(options)`. */
  readonly createDaemon?: (options: MultiLangDaemonOptions) => CliDaemon;
}

const NAME = 'shardline-multilang';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type Level = NonNullable<LoggerOptions['level']>;

const USAGE = `Usage: ${NAME} [options] <file.properties>
       ${NAME} --properties <file.properties> [options]

Runs KCL MultiLang record processors (aws-kcl for Node, amazon_kclpy, ...) without Java. Reads the
Java MultiLang daemon's properties file (the same keys) and runs the executableName command once
per shard lease, speaking the MultiLang protocol on its stdin and stdout.

Options:
  -p, --properties <file>       the properties file (also --properties-file, or the argument)
      --log-level <level>       trace, debug, info, warn, error, fatal or silent
                                (default: SHARDLINE_LOG_LEVEL, else info)
      --check                   validate the file, print the warnings and the resolved options
                                (as JSON, without secrets) and exit without starting
  -l, --log-configuration <f>   accepted for the Java daemon's command line; ignored
  -h, --help                    print this help and exit
  -v, --version                 print the version and exit

Logs are JSON lines (pino) on stderr, with the children's stderr lines among them; stdout is not
written while the daemon runs. SIGTERM or SIGINT stops it gracefully (the children get
shutdownRequested and may checkpoint; leases are released) within shutdownGraceMillis; a second
signal exits at once.

Exit codes: 0 stopped gracefully (or --help, --version, --check); 1 the daemon failed to start;
2 invalid arguments; 3 the properties file is missing, unreadable or invalid.
`;

class UsageError extends Error {}

function packageVersion(): string {
  // One level below the package root both as src/cli.ts and as dist/cli.js.
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

interface Arguments {
  readonly help: boolean;
  readonly version: boolean;
  readonly check: boolean;
  readonly level: Level;
  readonly file: string | undefined;
  readonly notes: string[];
}

function parseArguments(argv: readonly string[], env: CliIo['env']): Arguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        properties: { type: 'string', short: 'p' },
        'properties-file': { type: 'string' },
        'log-level': { type: 'string' },
        'log-configuration': { type: 'string', short: 'l' },
        check: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const notes: string[] = [];
  const flags = [values.properties, values['properties-file']].filter((v): v is string => v !== undefined);
  if (flags.length === 2 && flags[0] !== flags[1]) throw new UsageError('--properties and --properties-file name different files');
  if (positionals.length > 1) throw new UsageError(`one properties file is expected (got ${positionals.length}: ${positionals.join(' ')})`);
  let file = flags[0] ?? positionals[0];
  if (flags.length > 0 && positionals.length === 1 && positionals[0] !== flags[0]) {
    notes.push(`the --properties file ${flags[0]} is used; the argument ${positionals[0]} is ignored`);
    file = flags[0];
  }
  if (values['log-configuration'] !== undefined) notes.push(`--log-configuration ${values['log-configuration']} is ignored: logs are pino JSON lines; use --log-level`);
  const level = values['log-level'] ?? (env.SHARDLINE_LOG_LEVEL || 'info');
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`${values['log-level'] !== undefined ? '--log-level' : 'SHARDLINE_LOG_LEVEL'} must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(level)})`);
  }
  return { help: values.help === true, version: values.version === true, check: values.check === true, level: level as Level, file, notes };
}

/** The resolved options as `--check` prints them: no environment, no keys. */
function printableOptions(options: MultiLangDaemonOptions): unknown {
  const { clientOptions, ...worker } = options.worker;
  const env = clientOptions?.env ?? {};
  return {
    executableName: options.executableName,
    worker: {
      ...worker,
      clientOptions: {
        region: clientOptions?.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined),
        kinesisEndpoint: env.AWS_ENDPOINT_URL_KINESIS || env.AWS_ENDPOINT_URL || undefined,
        dynamoDbEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || undefined,
        credentials: clientOptions?.credentials ? 'keys from the environment' : "the AWS SDK's default chain",
      },
    },
  };
}

function loggerFor(io: CliIo, level: Level): Logger {
  // The real stderr gets a synchronous fd destination, so that the last lines survive an exit.
  const destination = io.stderr === process.stderr ? 2 : { write: (line: string) => void io.stderr.write(line) };
  return createLogger({ level, name: NAME, destination });
}

/**
 * The `shardline-multilang` command: reads the properties file, starts a {@link MultiLangDaemon}
 * and stops it gracefully on SIGTERM/SIGINT. Resolves with an exit code ({@link EXIT_CODES});
 * never rejects. Usage and configuration errors are plain text on `stderr`; while the daemon runs,
 * everything (the configuration warnings too) is pino JSON lines on `stderr`, so `stdout` stays
 * free (it carries `--help`, `--version` and `--check` output only).
 * @public
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const say = (stream: CliIo['stderr'], text: string): void => void stream.write(`${text}\n`);
  let args: Arguments;
  try {
    args = parseArguments(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(io.stderr, `${NAME}: ${error.message}\nRun ${NAME} --help for usage.`);
    return EXIT_CODES.USAGE;
  }
  if (args.help) {
    io.stdout.write(USAGE);
    return EXIT_CODES.OK;
  }
  if (args.version) {
    say(io.stdout, packageVersion());
    return EXIT_CODES.OK;
  }
  if (args.file === undefined) {
    say(io.stderr, `${NAME}: a properties file is required (${NAME} --properties app.properties)\nRun ${NAME} --help for usage.`);
    return EXIT_CODES.USAGE;
  }

  const absolute = path.resolve(io.cwd ?? process.cwd(), args.file);
  let options: MultiLangDaemonOptions;
  let warnings: string[];
  let hasWorkerId: boolean;
  try {
    const bytes = await readFile(absolute);
    const properties = parseProperties(bytes, { source: args.file });
    ({ options, warnings } = daemonOptionsFromProperties(properties, { env: io.env, hostname: hostname(), propertiesPath: absolute }));
    hasWorkerId = properties.has('workerId') || properties.has('workerIdentifier');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message = ShardlineError.isShardlineError(error)
      ? error.message
      : `cannot read the properties file ${args.file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`;
    say(io.stderr, `${NAME}: ${message}`);
    return EXIT_CODES.CONFIG;
  }

  if (args.check) {
    for (const w of [...args.notes, ...warnings]) say(io.stderr, `${NAME}: warning: ${w}`);
    say(io.stdout, JSON.stringify(printableOptions(options), null, 2));
    return EXIT_CODES.OK;
  }

  const logger = loggerFor(io, args.level);
  for (const note of args.notes) logger.warn(note);
  for (const w of warnings) logger.warn({ propertiesFile: args.file }, w);
  if (!hasWorkerId) {
    logger.info(
      { workerId: options.worker.workerId },
      'workerId is not set: using an id derived from the host name, the properties file and applicationName, the same at every restart; set workerId if two daemons on this host use this file',
    );
  }

  let daemon: CliDaemon;
  try {
    daemon = (io.createDaemon ?? ((o) => new MultiLangDaemon(o)))({ ...options, logger });
  } catch (error) {
    say(io.stderr, `${NAME}: ${(error as Error).message}`);
    return EXIT_CODES.CONFIG;
  }
  const worker = (daemon as Partial<MultiLangDaemon>).worker;
  worker?.on('error', (err) => logger.error({ err }, 'a background task failed'));

  let signalled = false;
  let removeHandlers: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    removeHandlers = daemon.handleSignals({
      onSignal: () => {
        signalled = true;
        resolve();
      },
    });
  });
  // A signal during the start (which may wait long on an unreachable endpoint) stops at once.
  const failure = await Promise.race([
    daemon.start().then(
      () => undefined,
      (err: unknown) => ({ err }),
    ),
    stopped.then(() => undefined),
  ]);
  if (failure && !signalled) {
    logger.error({ err: failure.err }, 'the MultiLang daemon failed to start');
    await daemon.stop();
    removeHandlers();
    return EXIT_CODES.FAILED;
  }
  await stopped;
  await daemon.stop();
  return EXIT_CODES.OK;
}

/**
 * Runs {@link main} on this process's arguments and streams and sets the exit code. If something
 * (a request still in flight on a dead endpoint, a stuck child) keeps the process alive 5 s after
 * the daemon stopped, it exits anyway: the leases are released by then, and a supervisor must not
 * wait on a stopped daemon.
 * @public
 */
export function runCli(): void {
  void main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
    (code) => {
      process.exitCode = code;
      setTimeout(() => process.exit(code), 5_000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`${NAME}: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(EXIT_CODES.FAILED);
    },
  );
}

if (require.main === module) runCli();
