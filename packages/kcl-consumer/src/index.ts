export { Worker, type ShardStatus, type WorkerEvents } from './Worker';
export { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './resolveWorkerOptions';
export type {
  InitializationInput,
  KinesisClientRecord,
  LeaseLostInput,
  ProcessRecordsInput,
  RecordHandler,
  RecordHandlerContext,
  RecordProcessor,
  RecordProcessorFactory,
  ShardCheckpointer,
  ShardContext,
  ShardEndedInput,
  ShutdownRequestedInput,
} from './RecordProcessor';
export { RecordProcessorCheckpointer, type CheckpointPosition, type PreparedCheckpointer } from './RecordProcessorCheckpointer';
export { kclExceptionName, type KclExceptionName } from './kclExceptionName';
export { ProcessorFailedError, ProcessorTimeoutError, type ProcessorCall } from './ProcessorErrors';
export { PollingRetrieval, type PollingRetrievalOptions, type RecordsRetriever, type Retrieval, type RetrievalTarget, type RetrievedBatch } from './Retrieval';
export type { ShardConsumerOutcome, ShardConsumerState } from './ShardConsumer';
export { planShardLeases, type ExistingLease, type ListedShard, type PlannedLease } from './planShardLeases';
export { leasesToCleanUp, type CleanupReason } from './LeaseCleanup';
export { leaseKeyOf, shardIdOf, type InitialPosition, type StreamConfig, type TrackedStream } from './streams';
export { createWorkerInstruments, type WorkerInstruments } from './workerMetrics';
export { handleShutdownSignals, type ShutdownSignalsOptions, type Stoppable } from './shutdownSignals';
export {
  CheckpointOutOfRangeError,
  ExtendedSequenceNumber,
  InvalidArgumentError,
  InvalidStateError,
  LeaseLostError,
  ShardlineError,
  ShutdownError,
  ThrottledError,
  createPromMetrics,
  createLogger,
  MemoryMetrics,
} from '@shardline/core';
