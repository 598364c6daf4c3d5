import {
  AccessDeniedError,
  CheckpointOutOfRangeError,
  InvalidArgumentError,
  InvalidStateError,
  LeaseLostError,
  ServiceUnavailableError,
  ShardlineError,
  ShutdownError,
  ThrottledError,
  TimeoutError,
} from '@shardline/core';
import { kclExceptionName } from './kclExceptionName';

describe('kclExceptionName', () => {
  it.each([
    [new LeaseLostError('taken', { leaseKey: 'shardId-1' }), 'ShutdownException'],
    [new ShutdownError('stopping'), 'ShutdownException'],
    [new InvalidStateError('no checkpointer during initialize'), 'InvalidStateException'],
    [new ThrottledError('slow down'), 'ThrottlingException'],
    [new CheckpointOutOfRangeError('beyond the last record'), 'IllegalArgumentException'],
    [new InvalidArgumentError('not a sequence number'), 'IllegalArgumentException'],
    [new ServiceUnavailableError('500'), 'KinesisClientLibDependencyException'],
    [new TimeoutError('timed out'), 'KinesisClientLibDependencyException'],
    [new AccessDeniedError('no'), 'KinesisClientLibDependencyException'],
    [new ShardlineError('SHARDLINE_OTHER', 'other'), 'KinesisClientLibDependencyException'],
    [new Error('plain'), 'KinesisClientLibDependencyException'],
    [new TypeError('x is undefined'), 'KinesisClientLibDependencyException'],
    ['a string', 'KinesisClientLibDependencyException'],
    [undefined, 'KinesisClientLibDependencyException'],
  ] as const)('%p → %s', (error, name) => {
    expect(kclExceptionName(error)).toBe(name);
  });

  it('an error that only looks like a Shardline error by its name is not mapped by name', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'LeaseLostError' });
    expect(kclExceptionName(lookalike)).toBe('KinesisClientLibDependencyException');
  });
});
