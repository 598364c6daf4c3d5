import { InvalidArgumentError } from '@shardline/core';
import type { MultiLangDaemonOptions } from './MultiLangDaemonOptions';
import { resolveMultiLangDaemonOptions } from './resolveMultiLangDaemonOptions';

const worker = { applicationName: 'app', streamName: 'stream' };
const resolve = (input: Partial<MultiLangDaemonOptions> & Record<string, unknown>): unknown => resolveMultiLangDaemonOptions({ executableName: 'node app.js', worker, ...input });

describe('resolveMultiLangDaemonOptions', () => {
  it('fills the defaults', () => {
    expect(resolve({})).toMatchObject({ executableName: 'node app.js', worker, childExitGraceMs: 5_000, maxLineBytes: 1024 * 1024, env: undefined, cwd: undefined });
  });

  it.each([
    [{ executableName: undefined }, 'multiLangDaemon.executableName is required'],
    [{ executableName: '   ' }, 'multiLangDaemon.executableName must name a command'],
    [{ worker: undefined }, 'multiLangDaemon.worker is required'],
    [{ worker: { ...worker, processor: () => ({}) } }, 'multiLangDaemon.worker.processor is not an option'],
    [{ worker: { ...worker, autoCheckpoint: true } }, 'multiLangDaemon.worker.autoCheckpoint is not an option'],
    [{ childExitGraceMs: -1 }, 'multiLangDaemon.childExitGraceMs must be an integer between 0 and 3600000 (got -1)'],
    [{ maxLineBytes: 10 }, 'multiLangDaemon.maxLineBytes must be an integer between 1024'],
    [{ env: { A: 1 } }, 'multiLangDaemon.env.A must be a string (got number)'],
    [{ cwd: '' }, 'multiLangDaemon.cwd must not be empty'],
    [{ logger: {} }, 'multiLangDaemon.logger must be a logger'],
    [{ timeoutInSeconds: 5 }, 'multiLangDaemon.timeoutInSeconds is not an option; did you mean multiLangDaemon.worker.processingTimeoutMs?'],
  ])('rejects %j before anything starts', (input, message) => {
    expect(() => resolve(input as Record<string, unknown>)).toThrow(InvalidArgumentError);
    expect(() => resolve(input as Record<string, unknown>)).toThrow(message);
  });
});
