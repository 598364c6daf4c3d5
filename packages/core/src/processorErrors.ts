import { brandErrorClass, ShardlineError, type ShardlineErrorOptions } from './errors';

/** Which processor call failed. @public */
export type ProcessorCall = 'create' | 'initialize' | 'processRecords' | 'shardEnded' | 'shutdownRequested' | 'leaseLost';

/**
 * A record-processor call kept throwing (or, for `shardEnded`, kept returning without checkpointing
 * `SHARD_END`) for `maxProcessingAttempts` attempts: the worker released the shard's lease so
 * that another worker (or a later attempt here) starts again from its checkpoint.
 * @public
 */
export class ProcessorFailedError extends ShardlineError {
  static {
    brandErrorClass(this, 'ProcessorFailedError');
  }

  constructor(
    readonly leaseKey: string,
    readonly call: ProcessorCall,
    readonly attempts: number,
    message: string,
    options?: ShardlineErrorOptions,
  ) {
    super('SHARDLINE_PROCESSOR_FAILED', message, options);
  }
}

/**
 * A processor call did not settle within `processingTimeoutMs`: the worker gave up on it, revoked
 * its checkpointer and released the shard's lease; the rest of the worker kept going.
 * @public
 */
export class ProcessorTimeoutError extends ShardlineError {
  static {
    brandErrorClass(this, 'ProcessorTimeoutError');
  }

  constructor(
    readonly leaseKey: string,
    readonly call: ProcessorCall,
    readonly timeoutMs: number,
  ) {
    super('SHARDLINE_PROCESSOR_TIMEOUT', `${call} on ${leaseKey} did not settle within ${timeoutMs} ms`);
  }
}
