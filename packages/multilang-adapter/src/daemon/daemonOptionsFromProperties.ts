import { hostname as osHostname } from 'node:os';
import { type AwsClientOptions, type AwsCredentials, InvalidArgumentError, ShardlineError } from '@shardline/core';
import { type InitialPosition, type RecordProcessorFactory, resolveWorkerOptions } from '@shardline/kcl-consumer';
import { mapCredentialsProvider, type CredentialsProviderMapping } from './credentialsProvider';
import type { MultiLangDaemonOptions } from './MultiLangDaemonOptions';
import { PropertiesMap } from './parseProperties';
import { canonicalKey, MULTILANG_PROPERTY_KEYS, suggestKey } from './propertyKeys';
import { PropertyReader } from './PropertyReader';
import { stableWorkerId } from './stableWorkerId';

/** Where the properties come from and what surrounds the daemon. @public */
export interface DaemonPropertiesContext {
  /** The environment: `AWS_*` variables for the clients (and the children's environment). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** This host's name, for the default worker id. Default `os.hostname()`. */
  readonly hostname?: string;
  /** The properties file, for messages and the default worker id. */
  readonly propertiesPath?: string;
}

/** The result of {@link daemonOptionsFromProperties}. @public */
export interface DaemonOptionsFromProperties {
  readonly options: MultiLangDaemonOptions;
  /** One sentence per problem that does not stop the daemon, each naming the key and, when known, the file and line. */
  readonly warnings: string[];
}

/**
 * `timeoutInSeconds` when it is absent, in ms. The Java daemon then waits for a child forever, so
 * a hung child stalls its shard for good (the most reported MultiLang problem); here the call is
 * bounded, and a hung child costs its shard lease, not the whole daemon (the Java daemon halts the
 * JVM on a timeout). Five minutes is far beyond any batch a healthy child takes.
 * @public
 */
export const DEFAULT_PROCESSING_TIMEOUT_MS = 300_000;

/**
 * `shutdownGraceMillis` when it is absent or 0, in ms. The Java default 0 makes the shutdown hook
 * give up at once (awslabs/amazon-kinesis-client#1374), so SIGTERM is not graceful there. 20 s
 * leaves the children's exit grace (5 s) inside the 30 s that Kubernetes and ECS wait before
 * SIGKILL.
 * @public
 */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;

const STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const STREAM_ARN = /^arn:aws[a-z-]*:kinesis:([a-z0-9-]+):(\d{12}):stream\/(.+)$/;
const POLLING_KEYS = ['maxRecords', 'idleTimeBetweenReadsInMillis', 'retryGetRecordsInSeconds', 'maxGetRecordsThreadPool', 'millisBehindLatestThresholdForReducedTps'];

/** The worker option each key sets, to name the key when the worker's own validation fails. */
const FIELD_KEYS: Readonly<Record<string, string>> = {
  applicationName: 'applicationName',
  tableName: 'tableName',
  workerId: 'workerId',
  streamName: 'streamName',
  initialPosition: 'initialPositionInStream',
  processEmptyBatches: 'callProcessRecordsEvenForEmptyRecordList',
  maxRecords: 'maxRecords',
  idleTimeBetweenReadsMs: 'idleTimeBetweenReadsInMillis',
  failoverTimeMs: 'failoverTimeMillis',
  maxLeasesForWorker: 'maxLeasesForWorker',
  maxLeasesToStealAtOneTime: 'maxLeasesToStealAtOneTime',
  gracefulHandoff: 'isGracefulLeaseHandoffEnabled',
  handoffTimeoutMs: 'gracefulLeaseHandoffTimeoutMillis',
  shardSyncIntervalMs: 'shardSyncIntervalMillis',
  processingTimeoutMs: 'timeoutInSeconds',
  processingRetryBackoff: 'taskBackoffTimeMillis',
  shutdownTimeoutMs: 'shutdownGraceMillis',
  clientOptions: 'regionName',
};

function resolveStreamName(p: PropertyReader, regionName: string | undefined): string {
  let streamName = p.text('streamName');
  if (streamName !== undefined && !STREAM_NAME.test(streamName)) p.fail('streamName', `streamName must be 1 to 128 letters, digits, '_', '.' or '-' (got ${JSON.stringify(streamName)})`);
  const arn = p.text('streamArn');
  if (arn !== undefined) {
    const m = STREAM_ARN.exec(arn);
    if (!m || !STREAM_NAME.test(m[3]!)) p.fail('streamArn', `streamArn must be a Kinesis stream ARN, arn:aws:kinesis:<region>:<account>:stream/<name> (got ${JSON.stringify(arn)})`);
    const [, arnRegion, , fromArn] = m;
    if (streamName !== undefined && streamName !== fromArn) {
      p.warn('streamName', `streamName (${streamName}) and streamArn (stream ${fromArn}) disagree; the stream of streamArn is used, as in the Java daemon`);
    }
    if (regionName !== undefined && regionName !== arnRegion) {
      p.warn(
        'streamArn',
        `streamArn is in ${arnRegion} but regionName is ${regionName}: only the stream name is taken from the ARN (as in the Java daemon), so stream ${fromArn} is read in ${regionName}`,
      );
    }
    streamName = fromArn;
  }
  if (streamName === undefined) p.fail(undefined, 'streamName or streamArn is required');
  return streamName;
}

function resolveInitialPosition(p: PropertyReader): InitialPosition {
  const position = p.choice('initialPositionInStream', ['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'] as const);
  const seconds = p.integer('initialPositionInStreamExtended', { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (seconds === undefined) {
    if (position === 'AT_TIMESTAMP') p.fail('initialPositionInStream', 'initialPositionInStream=AT_TIMESTAMP needs initialPositionInStreamExtended (the time, in epoch seconds)');
    return position ?? 'LATEST';
  }
  // 1e11 seconds is in the year 5138; a value that large is milliseconds, and would read nothing.
  if (seconds >= 1e11) p.fail('initialPositionInStreamExtended', `initialPositionInStreamExtended is in epoch seconds; ${seconds} looks like milliseconds (use ${Math.floor(seconds / 1000)})`);
  if (position !== undefined && position !== 'AT_TIMESTAMP') {
    p.warn('initialPositionInStream', `initialPositionInStream=${position} and initialPositionInStreamExtended are both set; the timestamp is used (the Java daemon applies them in no defined order)`);
  }
  return { type: 'AT_TIMESTAMP', timestamp: new Date(seconds * 1000) };
}

function resolveCredentials(p: PropertyReader, env: DaemonPropertiesContext['env']): AwsCredentials | undefined {
  const map = (key: string): CredentialsProviderMapping | undefined => {
    const value = p.text(key);
    if (value === undefined) return undefined;
    const mapping = mapCredentialsProvider(value, env);
    for (const w of mapping.warnings) p.warn(key, `${p.written(key)}: ${w}`);
    return mapping;
  };
  const kinesis = map('AwsCredentialsProvider');
  const dynamo = map('AwsCredentialsProviderDynamoDB');
  const effective: Pick<CredentialsProviderMapping, 'source' | 'profile'> = kinesis ?? { source: 'default-chain' };
  if (dynamo && (dynamo.source !== effective.source || dynamo.profile !== effective.profile)) {
    p.warn(
      'AwsCredentialsProviderDynamoDB',
      `${p.written('AwsCredentialsProviderDynamoDB')}: separate DynamoDB credentials are not supported; the credentials of ${kinesis ? p.written('AwsCredentialsProvider') : 'the default chain'} are used for DynamoDB too`,
    );
  }
  if (kinesis?.source !== 'environment') return undefined;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) {
    p.fail('AwsCredentialsProvider', `${p.written('AwsCredentialsProvider')} is EnvironmentVariableCredentialsProvider, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set`);
  }
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/** `fanoutConfig.*` key → the `worker.fanout` field it sets, to name the key when the worker's validation fails. */
const FANOUT_FIELD_KEYS: Readonly<Record<string, string>> = {
  consumerArn: 'fanoutConfig.consumerArn',
  consumerName: 'fanoutConfig.consumerName',
  registrationPollMs: 'fanoutConfig.retryBackoffMillis',
  registrationTimeoutMs: 'fanoutConfig.maxDescribeStreamConsumerRetries',
};
const FANOUT_RETRIES_KEYS = ['fanoutConfig.maxDescribeStreamSummaryRetries', 'fanoutConfig.maxDescribeStreamConsumerRetries', 'fanoutConfig.registerStreamConsumerRetries'];

/**
 * `retrievalMode` and `fanoutConfig.*` → `worker.retrieval` and `worker.fanout`. FANOUT, and
 * DEFAULT where the Java daemon would choose fan-out (no polling key set), read with enhanced
 * fan-out; POLLING, and DEFAULT with a polling key, poll. An absent `retrievalMode` polls (the
 * worker's default). Fan-out keys are ignored, with a warning, when the daemon polls.
 */
function resolveRetrieval(p: PropertyReader): Pick<MultiLangDaemonOptions['worker'], 'retrieval' | 'fanout'> {
  const mode = p.choice('retrievalMode', ['POLLING', 'FANOUT', 'DEFAULT'] as const);
  const pollingKeys = POLLING_KEYS.filter((k) => p.has(k) && p.raw(k)?.trim() !== '0');
  const fanoutKeys = [...p.entries()].map(([k]) => k).filter((k) => k.startsWith('fanoutConfig.'));
  if (mode !== 'FANOUT' && (mode !== 'DEFAULT' || pollingKeys.length > 0)) {
    for (const k of fanoutKeys) p.warn(k, `${p.written(k)} is ignored: the daemon polls (GetRecords) unless retrievalMode=FANOUT`);
    return mode === undefined ? {} : { retrieval: 'polling' };
  }
  for (const k of pollingKeys.filter((k) => k === 'maxRecords' || k === 'idleTimeBetweenReadsInMillis')) {
    p.warn(k, `${p.written(k)} has no effect with retrievalMode=${mode}: records are pushed by SubscribeToShard`);
  }
  const consumerArn = p.text('fanoutConfig.consumerArn');
  const consumerName = p.text('fanoutConfig.consumerName');
  const pollMs = p.javaInteger('fanoutConfig.retryBackoffMillis', { min: 10, max: 60_000 }, '1000');
  const retries = FANOUT_RETRIES_KEYS.map((k) => p.javaInteger(k, { min: 1, max: 100_000 }, '10')).filter((n): n is number => n !== undefined);
  // The KCL retries each registration step `retries` times, `retryBackoffMillis` apart; the worker bounds the whole registration.
  const registrationTimeoutMs = retries.length === 0 ? undefined : Math.min(3_600_000, Math.max(100, Math.max(...retries) * (pollMs ?? 1_000)));
  const fanout = {
    ...(consumerArn !== undefined ? { consumerArn } : {}),
    ...(consumerName !== undefined ? { consumerName } : {}),
    ...(pollMs !== undefined ? { registrationPollMs: pollMs } : {}),
    ...(registrationTimeoutMs !== undefined ? { registrationTimeoutMs } : {}),
  };
  return { retrieval: 'fanout', ...(Object.keys(fanout).length > 0 ? { fanout } : {}) };
}

/** Warnings for keys that are unknown, unsupported, or given twice. */
function classifyKeys(p: PropertyReader, located: PropertiesMap | undefined): void {
  for (const [key, { written, value }] of p.entries()) {
    const info = MULTILANG_PROPERTY_KEYS[key];
    if (!info) {
      const hint = suggestKey(written);
      p.warn(key, `${written} is not a key of the MultiLang daemon and is ignored${hint ? `; did you mean ${hint}? (keys are case-sensitive)` : ''}`);
    } else if (info.support === 'unsupported' && !(info.honouredWhen ?? []).some((v) => v.toLowerCase() === value.trim().toLowerCase())) {
      p.warn(key, `${written} is not supported and is ignored: ${info.note}`);
    }
  }
  for (const d of located?.duplicates ?? []) {
    p.warnings.push({ line: d.line, text: `${p.where(canonicalKey(d.key))}${d.key} is set more than once (lines ${d.firstLine} and ${d.line}); the last value is used` });
  }
}

/**
 * Maps the Java MultiLang daemon's properties (KCL 2.x/3.x key names, case-sensitive, with the
 * Java daemon's defaults) onto {@link MultiLangDaemonOptions}. Pure: no I/O; the environment is
 * read from `context.env` only.
 *
 * Differences from the Java daemon, each reported in `warnings` when a file relies on it: unknown
 * keys (silently ignored there) are named, with a case-insensitive "did you mean"; keys that are
 * known but not supported are named; `cleanupLeasesUponShardCompletion=false` is reported (the
 * Java daemon drops it silently); an absent `retrievalMode` polls; `shutdownGraceMillis` 0 becomes
 * {@link DEFAULT_SHUTDOWN_TIMEOUT_MS}; an absent `timeoutInSeconds` becomes
 * {@link DEFAULT_PROCESSING_TIMEOUT_MS}; an absent `workerId` becomes a stable id
 * ({@link stableWorkerId}) instead of a random UUID.
 *
 * `kinesisEndpoint` and `dynamoDBEndpoint` go to one client each: the worker has a single
 * `clientOptions`, so they are passed as `AWS_ENDPOINT_URL_KINESIS` / `AWS_ENDPOINT_URL_DYNAMODB`
 * in `clientOptions.env`, which `createKinesisClient` / `createDynamoDbClient` read per service;
 * the worker still builds, owns and destroys both clients.
 *
 * Throws {@link InvalidArgumentError} naming the key and its `file:line` for a missing required
 * key or an invalid value.
 * @public
 */
export function daemonOptionsFromProperties(properties: ReadonlyMap<string, string>, context: DaemonPropertiesContext): DaemonOptionsFromProperties {
  if (!(properties instanceof Map)) throw new InvalidArgumentError('properties must be a Map of key to value (see parseProperties)');
  if (context === null || typeof context !== 'object' || context.env === null || typeof context.env !== 'object') {
    throw new InvalidArgumentError('context.env is required (pass process.env)');
  }
  const located = properties instanceof PropertiesMap ? properties : undefined;
  const p = new PropertyReader(properties, located, context.propertiesPath);
  classifyKeys(p, located);

  const executableName = p.required('executableName');
  const applicationName = p.required('applicationName');
  const regionName = p.text('regionName');
  if (regionName !== undefined && !/^[a-z0-9-]+$/.test(regionName)) p.fail('regionName', `regionName must be an AWS region such as us-east-1 (got ${JSON.stringify(regionName)})`);
  const streamName = resolveStreamName(p, regionName);

  const tableName = p.text('tableName');
  if (tableName !== undefined && !TABLE_NAME.test(tableName)) p.fail('tableName', `tableName must be 3 to 255 letters, digits, '_', '.' or '-' (got ${JSON.stringify(tableName)})`);
  if (tableName === undefined && !TABLE_NAME.test(applicationName)) {
    p.fail(
      'applicationName',
      `applicationName is also the lease table's name unless tableName is set, so it must be 3 to 255 letters, digits, '_', '.' or '-' (got ${JSON.stringify(applicationName)})`,
    );
  }

  const workerId = p.text('workerId');
  const workerIdentifier = p.text('workerIdentifier');
  if (workerId !== undefined && workerIdentifier !== undefined && workerId !== workerIdentifier) {
    p.warn('workerIdentifier', `workerId (${workerId}) and workerIdentifier (${workerIdentifier}) are both set; workerId is used`);
  }
  const chosenId = workerId ?? workerIdentifier;
  if (chosenId !== undefined && chosenId.length > 1024) p.fail(workerId !== undefined ? 'workerId' : 'workerIdentifier', 'workerId must be at most 1024 characters');

  const kinesisEndpoint = p.url('kinesisEndpoint');
  const dynamoDBEndpoint = p.url('dynamoDBEndpoint');
  const credentials = resolveCredentials(p, context.env);
  const clientOptions: AwsClientOptions = {
    ...(regionName !== undefined ? { region: regionName } : {}),
    ...(credentials !== undefined ? { credentials } : {}),
    env: {
      ...context.env,
      ...(kinesisEndpoint !== undefined ? { AWS_ENDPOINT_URL_KINESIS: kinesisEndpoint } : {}),
      ...(dynamoDBEndpoint !== undefined ? { AWS_ENDPOINT_URL_DYNAMODB: dynamoDBEndpoint } : {}),
    },
  };

  const initialPosition = resolveInitialPosition(p);
  const retrieval = resolveRetrieval(p);

  const failoverTimeMs = p.javaInteger('failoverTimeMillis', { min: 200, max: 86_400_000 }, '10000') ?? 10_000;
  const shardSyncIntervalMs = p.javaInteger('shardSyncIntervalMillis', { min: 100, max: 86_400_000 }, '60000') ?? 60_000;
  const maxLeasesForWorker = p.javaInteger('maxLeasesForWorker', { min: 1, max: 2_147_483_647 }, 'unbounded');
  const maxLeasesToStealAtOneTime = p.javaInteger('maxLeasesToStealAtOneTime', { min: 1, max: 1000 }, '1') ?? 1;
  const maxRecords = p.javaInteger('maxRecords', { min: 1, max: 10_000 }, '10000') ?? 10_000;
  let idleTimeBetweenReadsMs = p.javaInteger('idleTimeBetweenReadsInMillis', { min: 1, max: 3_600_000 }, '1500') ?? 1_500;
  if (idleTimeBetweenReadsMs < 200) {
    p.warn('idleTimeBetweenReadsInMillis', `idleTimeBetweenReadsInMillis=${idleTimeBetweenReadsMs} is below the 200 ms floor and is raised to 200, as in the Java daemon`);
    idleTimeBetweenReadsMs = 200;
  }
  const taskBackoffMs = p.javaInteger('taskBackoffTimeMillis', { min: 1, max: 3_600_000 }, '500');
  const processEmptyBatches = p.boolean('callProcessRecordsEvenForEmptyRecordList') ?? false;
  if (p.boolean('cleanupLeasesUponShardCompletion') === false) {
    p.warn(
      'cleanupLeasesUponShardCompletion',
      'cleanupLeasesUponShardCompletion=false is ignored (the Java daemon ignores it too, silently): the lease of a finished shard is deleted 5 minutes after all its child shards have leases, as with true',
    );
  }
  const gracefulHandoff = p.boolean('isGracefulLeaseHandoffEnabled') ?? true;
  const handoffTimeoutMs = p.integer('gracefulLeaseHandoffTimeoutMillis', { min: 0, max: 86_400_000 }) ?? 30_000;
  const timeoutInSeconds = p.integer('timeoutInSeconds', { min: 1, max: 86_400 });
  const processingTimeoutMs = timeoutInSeconds === undefined ? DEFAULT_PROCESSING_TIMEOUT_MS : timeoutInSeconds * 1000;
  let shutdownTimeoutMs = p.integer('shutdownGraceMillis', { min: 0, max: 3_600_000 });
  if (shutdownTimeoutMs === 0) {
    p.warn(
      'shutdownGraceMillis',
      `shutdownGraceMillis=0 would make SIGTERM not graceful (in the Java daemon the shutdown wait times out at once, awslabs/amazon-kinesis-client#1374); ${DEFAULT_SHUTDOWN_TIMEOUT_MS} ms is used`,
    );
    shutdownTimeoutMs = undefined;
  }

  const worker: MultiLangDaemonOptions['worker'] = {
    applicationName,
    ...(tableName !== undefined ? { tableName } : {}),
    workerId: chosenId ?? stableWorkerId({ hostname: context.hostname ?? osHostname(), applicationName, propertiesPath: context.propertiesPath ?? located?.source }),
    streamName,
    initialPosition,
    processEmptyBatches,
    maxRecords,
    idleTimeBetweenReadsMs,
    ...retrieval,
    failoverTimeMs,
    ...(maxLeasesForWorker !== undefined ? { maxLeasesForWorker } : {}),
    maxLeasesToStealAtOneTime,
    shardSyncIntervalMs,
    gracefulHandoff,
    handoffTimeoutMs,
    processingTimeoutMs,
    ...(taskBackoffMs !== undefined ? { processingRetryBackoff: { baseDelayMs: taskBackoffMs, maxDelayMs: Math.max(30_000, taskBackoffMs) } } : {}),
    shutdownTimeoutMs: shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS,
    clientOptions,
  };
  checkWithWorker(p, worker);

  const warnings = [...p.warnings].sort((a, b) => a.line - b.line).map((w) => w.text);
  return { options: { executableName, worker, env: context.env }, warnings };
}

/** Runs the worker's own validation now, so a combination it rejects is reported against the key. */
function checkWithWorker(p: PropertyReader, worker: MultiLangDaemonOptions['worker']): void {
  const processor: RecordProcessorFactory = () => ({ processRecords: () => undefined });
  try {
    resolveWorkerOptions({ ...worker, processor });
  } catch (error) {
    if (!ShardlineError.isShardlineError(error)) throw error;
    const [, field, sub] = /worker\.(\w+)(?:\.(\w+))?/.exec(error.message) ?? [];
    const key = field === 'fanout' ? (FANOUT_FIELD_KEYS[sub ?? ''] ?? 'retrievalMode') : field === undefined ? undefined : FIELD_KEYS[field];
    p.fail(key, `${key ?? 'properties'}: ${error.message}`, error);
  }
}
