export * from './protocol/messages';
export { parseChildLine, parseDaemonLine } from './protocol/parseLine';
export { LineSplitter, type LineSplitterEvents } from './protocol/LineSplitter';
export { parseProperties, PropertiesMap, type DuplicateProperty, type ParsePropertiesOptions } from './daemon/parseProperties';
export {
  daemonOptionsFromProperties,
  DEFAULT_PROCESSING_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  type DaemonOptionsFromProperties,
  type DaemonPropertiesContext,
} from './daemon/daemonOptionsFromProperties';
export { MULTILANG_PROPERTY_KEYS, type PropertyKeyInfo, type PropertySupport } from './daemon/propertyKeys';
export { CREDENTIALS_PROVIDERS, mapCredentialsProvider, type CredentialsProviderInfo, type CredentialsProviderMapping, type CredentialsSource } from './daemon/credentialsProvider';
export { stableWorkerId, type StableWorkerIdInput } from './daemon/stableWorkerId';
export { runMultiLangProcessor, type RunMultiLangProcessorOptions } from './child/runMultiLangProcessor';
export { MultiLangCheckpointer, type CheckpointScope } from './child/MultiLangCheckpointer';
export { checkpointErrorFromName } from './child/checkpointErrorFromName';
export { toKinesisClientRecords } from './child/toKinesisClientRecords';
export { guardStdout, type StdoutGuard, type StdoutGuardOptions } from './child/stdoutGuard';
export { MultiLangDaemon } from './daemon/MultiLangDaemon';
export type { MultiLangDaemonOptions } from './daemon/MultiLangDaemonOptions';
export { resolveMultiLangDaemonOptions, type ResolvedMultiLangDaemonOptions } from './daemon/resolveMultiLangDaemonOptions';
export { MultiLangShardProcessor, type MultiLangShardProcessorOptions } from './daemon/MultiLangShardProcessor';
export { ChildConnection, type CheckpointHandler, type ChildConnectionOptions, type ChildExit } from './daemon/ChildConnection';
export { ChildProcessError, type ChildFailure } from './daemon/ChildProcessError';
// What a processor author needs, from the package they installed (types only: no worker is loaded).
export type {
  InitializationInput,
  KinesisClientRecord,
  LeaseLostInput,
  ProcessRecordsInput,
  RecordProcessor,
  RecordProcessorFactory,
  ShardCheckpointer,
  ShardContext,
  ShardEndedInput,
  ShutdownRequestedInput,
} from '@shardline/kcl-consumer';
export {
  CheckpointOutOfRangeError,
  ExtendedSequenceNumber,
  InvalidArgumentError,
  InvalidStateError,
  LeaseLostError,
  ProcessorFailedError,
  ShardlineError,
  ShutdownError,
  ThrottledError,
  // The rest of core that this package's API uses, so that an application imports only this package.
  createLogger,
  createNoopLogger,
  ProcessorTimeoutError,
  ProtocolError,
  TimeoutError,
  type LogDestination,
  type LogFields,
  type LogFn,
  type Logger,
  type LoggerOptions,
  type SentinelCheckpoint,
  type ShardlineErrorOptions,
} from '@shardline/core';
