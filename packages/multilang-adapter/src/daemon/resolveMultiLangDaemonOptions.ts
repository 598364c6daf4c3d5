import { createNoopLogger, integerOption, InvalidArgumentError, type Logger, rejectUnknownOptions, requiredString, stringOption } from '@shardline/core';
import type { WorkerOptions } from '@shardline/kcl-consumer';
import type { MultiLangDaemonOptions } from './MultiLangDaemonOptions';

/** {@link MultiLangDaemonOptions} after validation. @public */
export interface ResolvedMultiLangDaemonOptions {
  readonly executableName: string;
  readonly worker: Omit<WorkerOptions, 'processor' | 'handler' | 'autoCheckpoint'>;
  readonly childExitGraceMs: number;
  readonly maxLineBytes: number;
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
  readonly cwd: string | undefined;
  readonly logger: Logger;
}

const KNOWN = ['executableName', 'worker', 'childExitGraceMs', 'maxLineBytes', 'env', 'cwd', 'logger'] as const;

/** The Java daemon's property names, for a helpful error when one is passed here. */
const JAVA_NAMES: Readonly<Record<string, string>> = {
  timeoutInSeconds: 'worker.processingTimeoutMs',
  shutdownGraceMillis: 'worker.shutdownTimeoutMs',
  applicationName: 'worker.applicationName',
  streamName: 'worker.streamName',
  workerId: 'worker.workerId',
};

/** Fills defaults and validates {@link MultiLangDaemonOptions} before any process is started. @public */
export function resolveMultiLangDaemonOptions(input: MultiLangDaemonOptions): ResolvedMultiLangDaemonOptions {
  if (input === null || typeof input !== 'object') throw new InvalidArgumentError('multiLangDaemon options must be an object');
  rejectUnknownOptions('multiLangDaemon', input, KNOWN, JAVA_NAMES);
  const executableName = requiredString('multiLangDaemon.executableName', input.executableName);
  if (executableName.trim() === '') throw new InvalidArgumentError('multiLangDaemon.executableName must name a command (got only spaces)');
  const worker = input.worker as WorkerOptions | undefined;
  if (worker === null || typeof worker !== 'object') throw new InvalidArgumentError('multiLangDaemon.worker is required (the application, stream and lease settings)');
  for (const key of ['processor', 'handler', 'autoCheckpoint'] as const) {
    if (worker[key] !== undefined) throw new InvalidArgumentError(`multiLangDaemon.worker.${key} is not an option: the daemon's processor runs the child processes, and they checkpoint themselves`);
  }
  const env = input.env;
  if (env !== undefined && (env === null || typeof env !== 'object')) throw new InvalidArgumentError('multiLangDaemon.env must be an object of strings');
  for (const [key, value] of Object.entries(env ?? {})) {
    if (value !== undefined && typeof value !== 'string') throw new InvalidArgumentError(`multiLangDaemon.env.${key} must be a string (got ${typeof value})`);
  }
  const logger = input.logger;
  if (logger !== undefined && (logger === null || typeof logger !== 'object' || typeof logger.info !== 'function' || typeof logger.child !== 'function')) {
    throw new InvalidArgumentError('multiLangDaemon.logger must be a logger (pino or compatible, with info() and child())');
  }
  return {
    executableName,
    worker,
    childExitGraceMs: integerOption('multiLangDaemon.childExitGraceMs', input.childExitGraceMs, 5_000, { min: 0, max: 3_600_000 }),
    maxLineBytes: integerOption('multiLangDaemon.maxLineBytes', input.maxLineBytes, 1024 * 1024, { min: 1024, max: 1024 * 1024 * 1024 }),
    env,
    cwd: input.cwd === undefined ? undefined : stringOption('multiLangDaemon.cwd', input.cwd, '', { nonEmpty: true }),
    logger: logger ?? worker.logger ?? createNoopLogger(),
  };
}
