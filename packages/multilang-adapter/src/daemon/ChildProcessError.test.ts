import { ShardlineError, ShutdownError } from '@shardline/core';
import { ChildProcessError } from './ChildProcessError';

describe('ChildProcessError across two copies of the package', () => {
  let Other: typeof ChildProcessError | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Other = (require('./ChildProcessError') as typeof import('./ChildProcessError')).ChildProcessError;
  });

  it('is recognised by instanceof of either copy, as a retryable ShardlineError', () => {
    const error = new Other!('shardId-0', 'exited', 42, 1, null, 'child exited');
    expect(Other).not.toBe(ChildProcessError);
    expect(error instanceof ChildProcessError).toBe(true);
    expect(error instanceof ShardlineError).toBe(true);
    expect(error).toMatchObject({ code: 'SHARDLINE_CHILD_PROCESS', retryable: true, shardId: 'shardId-0', failure: 'exited' });
    expect(new ShutdownError('stopping') instanceof Other!).toBe(false);
  });
});
