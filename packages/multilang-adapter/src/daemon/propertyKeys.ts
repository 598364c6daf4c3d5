/**
 * How the daemon treats a properties key:
 * - `supported`: mapped onto the daemon's options;
 * - `no-op`: accepted without a warning, because it changes nothing here (nor, for some, in the
 *   Java daemon);
 * - `unsupported`: ignored with a warning that names it, unless its value asks for what this
 *   daemon does anyway (`honouredWhen`).
 * @public
 */
export type PropertySupport = 'supported' | 'no-op' | 'unsupported';

/** One key of the Java MultiLang daemon's properties file. @public */
export interface PropertyKeyInfo {
  readonly support: PropertySupport;
  /** What it maps to, or why it is a no-op / unsupported. */
  readonly note: string;
  /** For an unsupported key: values (compared case-insensitively) that match this daemon's behaviour, so need no warning. */
  readonly honouredWhen?: readonly string[];
}

const supported = (note: string): PropertyKeyInfo => ({ support: 'supported', note });
const noop = (note: string): PropertyKeyInfo => ({ support: 'no-op', note });
const unsupported = (note: string, ...honouredWhen: string[]): PropertyKeyInfo => ({ support: 'unsupported', note, honouredWhen });

const METRICS = 'this daemon publishes no CloudWatch metrics (use the logger and `metrics` options of the library)';
const UTILIZATION = 'KCL 3.x utilization-aware lease assignment is not implemented: leases are balanced by count, as in the KCL 2.x, with graceful handoff';
const FANOUT_RETRIES =
  'the largest of the three retry counts × `fanoutConfig.retryBackoffMillis` becomes `worker.fanout.registrationTimeoutMs`, the bound on registering the consumer and waiting for it to be ACTIVE (default 60 s); with fan-out only';
const KCL3_TABLE = 'this daemon creates no KCL 3.x worker-metrics or coordinator-state table';

/**
 * Every key the Java MultiLang daemon (KCL 2.x/3.x) reads, exactly as it spells them (names are
 * case-sensitive there and here), and what this daemon does with it. Keys that start with
 * `AwsCredentialsProvider` are matched case-insensitively on that prefix, as the Java daemon does.
 * @public
 */
export const MULTILANG_PROPERTY_KEYS: Readonly<Record<string, PropertyKeyInfo>> = {
  // The daemon itself
  executableName: supported('the child command; required'),
  processingLanguage: noop('only logged by the Java daemon (its user-agent use is commented out); ignored here'),
  maxActiveThreads: noop('there is no thread pool: each child is served by asynchronous I/O, so no value can starve it'),
  timeoutInSeconds: supported('`worker.processingTimeoutMs` (×1000); default 300 s here, none in the Java daemon'),
  shutdownGraceMillis: supported('`worker.shutdownTimeoutMs`; default 20,000 here (the Java default 0 makes SIGTERM not graceful)'),
  validateSequenceNumberBeforeCheckpointing: noop('read by no code in the KCL 2.x/3.x daemon; ignored here too'),

  // Identity
  applicationName: supported('`worker.applicationName`; required'),
  streamName: supported('`worker.streamName`; required unless `streamArn` is given'),
  streamArn: supported('the stream name is taken from it (its account and region are not used, as in the Java daemon)'),
  tableName: supported('`worker.tableName`; default `applicationName`'),
  workerId: supported('`worker.workerId`; default: stable per host, properties file and application'),
  workerIdentifier: supported('alias of `workerId`'),

  // AWS
  AwsCredentialsProvider: supported('credentials of both clients, mapped onto the AWS SDK for JavaScript (see the credentials table)'),
  AwsCredentialsProviderDynamoDB: supported('honoured when it resolves to the same credentials as `AwsCredentialsProvider`; otherwise a warning, and the Kinesis credentials are used'),
  AwsCredentialsProviderCloudWatch: unsupported(METRICS),
  regionName: supported('`worker.clientOptions.region` (both clients)'),
  kinesisEndpoint: supported('the Kinesis client only (as `AWS_ENDPOINT_URL_KINESIS` in `worker.clientOptions.env`)'),
  dynamoDBEndpoint: supported('the DynamoDB client only (as `AWS_ENDPOINT_URL_DYNAMODB` in `worker.clientOptions.env`)'),

  // Leases
  failoverTimeMillis: supported('`worker.failoverTimeMs`; default 10,000'),
  leaseAssignmentIntervalMillis: unsupported('the KCL 3.x leader assignment interval; the lease taker here runs every `failoverTimeMillis / 4`'),
  enablePriorityLeaseAssignment: unsupported('not configurable here (always on)', 'true'),
  leaseTableDeletionProtectionEnabled: unsupported('the lease table is created without deletion protection', 'false'),
  leaseTablePitrEnabled: unsupported('the lease table is created without point-in-time recovery', 'false'),
  shardSyncIntervalMillis: supported('`worker.shardSyncIntervalMs`; default 60,000'),
  cleanupLeasesUponShardCompletion: supported("true only: finished shards' leases are always cleaned up; false is ignored with a warning (the Java daemon ignores it silently)"),
  ignoreUnexpectedChildShards: unsupported("not configurable: shard sync plans leases as the KCL's hierarchical shard syncer does", 'false'),
  maxLeasesForWorker: supported('`worker.maxLeasesForWorker`; default unbounded'),
  maxLeasesToStealAtOneTime: supported('`worker.maxLeasesToStealAtOneTime`; default 1'),
  initialLeaseTableReadCapacity: noop('no effect in the Java daemon either: the lease table is always PAY_PER_REQUEST'),
  initialLeaseTableWriteCapacity: noop('no effect in the Java daemon either: the lease table is always PAY_PER_REQUEST'),
  leaseTableScanTotalSegments: unsupported('the lease table is read with an unsegmented scan', '0'),
  maxLeaseRenewalThreads: unsupported('renewals run concurrently (20 at a time) without threads', '20'),
  listShardsBackoffTimeInMillis: unsupported("not configurable: a failed ListShards is retried at the next shard sync (at start, with the worker's start-up backoff)"),
  maxListShardsRetryAttempts: unsupported("not configurable: a failed ListShards is retried at the next shard sync (at start, with the worker's start-up backoff)"),

  // Position
  initialPositionInStream: supported('`worker.initialPosition`: LATEST (default, as in effect in the Java daemon), TRIM_HORIZON, or AT_TIMESTAMP with `initialPositionInStreamExtended`'),
  initialPositionInStreamExtended: supported('epoch seconds → `worker.initialPosition` AT_TIMESTAMP'),

  // Coordinator
  parentShardPollIntervalMillis: noop('the worker starts a child shard as soon as a shard sync or lease scan sees its parents finished'),
  skipShardSyncAtWorkerInitializationIfLeasesExist: unsupported('the worker always syncs shards at start', 'false'),
  schedulerInitializationBackoffTimeMillis: unsupported("start-up retries use the worker's own backoff"),
  shardPrioritization: unsupported('shards are not prioritized'),
  clientVersionConfig: unsupported(
    'this daemon speaks the KCL 2.x lease protocol (with graceful handoff): run it next to Java KCL 3.x workers only in CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X',
    'CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X',
  ),
  migrateAllEntitiesToLeaseTable: unsupported(KCL3_TABLE, 'false'),
  tableMigrationCompleteBakeTimeSeconds: unsupported(KCL3_TABLE),

  // Lifecycle
  taskBackoffTimeMillis: supported('`worker.processingRetryBackoff.baseDelayMs`, the first delay before a failed processor call is retried; default 500'),
  logWarningForTaskAfterMillis: unsupported('a call that exceeds `timeoutInSeconds` is reported; there is no earlier warning'),
  callProcessRecordsEvenForEmptyRecordList: supported('`worker.processEmptyBatches`; default false'),

  // Metrics
  metricsBufferTimeMillis: unsupported(METRICS),
  metricsMaxQueueSize: unsupported(METRICS),
  metricsLevel: unsupported(METRICS, 'NONE'),
  metricsEnabledDimensions: unsupported(METRICS),

  // Retrieval
  retrievalMode: supported(
    "`worker.retrieval`: FANOUT → `'fanout'` (enhanced fan-out, SubscribeToShard over HTTP/2); POLLING → `'polling'`; DEFAULT → fan-out unless a polling key is set, as in the Java daemon; absent → polling (the Java daemon reads an absent key as DEFAULT; write it to get its choice)",
  ),
  maxRecords: supported('`worker.maxRecords`, 1 to 10,000; default 10,000'),
  idleTimeBetweenReadsInMillis: supported('`worker.idleTimeBetweenReadsMs`; default 1,500; below 200 is raised to 200, as in the Java daemon'),
  retryGetRecordsInSeconds: unsupported('GetRecords calls are not retried in parallel'),
  maxGetRecordsThreadPool: unsupported('GetRecords calls are not retried in parallel'),
  millisBehindLatestThresholdForReducedTps: unsupported('reads near the tip are not slowed down beyond idleTimeBetweenReadsInMillis', '0'),
  'fanoutConfig.consumerArn': supported('`worker.fanout.consumerArn`: a consumer registered beforehand, never registered by the daemon; with fan-out only'),
  'fanoutConfig.consumerName': supported('`worker.fanout.consumerName`; default `applicationName`; with fan-out only'),
  'fanoutConfig.maxDescribeStreamSummaryRetries': supported(FANOUT_RETRIES),
  'fanoutConfig.maxDescribeStreamConsumerRetries': supported(FANOUT_RETRIES),
  'fanoutConfig.registerStreamConsumerRetries': supported(FANOUT_RETRIES),
  'fanoutConfig.retryBackoffMillis': supported('`worker.fanout.registrationPollMs`, the pause between registration calls; default 1,000; with fan-out only'),

  // KCL 3.x
  gracefulLeaseHandoffTimeoutMillis: supported('`worker.handoffTimeoutMs`; default 30,000'),
  isGracefulLeaseHandoffEnabled: supported('`worker.gracefulHandoff`; default true'),
  inMemoryWorkerMetricsCaptureFrequencyMillis: unsupported(UTILIZATION),
  workerMetricsReporterFreqInMillis: unsupported(UTILIZATION),
  noOfPersistedMetricsPerWorkerMetrics: unsupported(UTILIZATION),
  disableWorkerMetrics: unsupported(UTILIZATION, 'true'),
  maxThroughputPerHostKBps: unsupported(UTILIZATION),
  dampeningPercentage: unsupported(UTILIZATION),
  reBalanceThresholdPercentage: unsupported(UTILIZATION),
  allowThroughputOvershoot: unsupported(UTILIZATION),
  varianceBalancingFrequency: unsupported(UTILIZATION),
  workerMetricsEMAAlpha: unsupported(UTILIZATION),
  staleWorkerMetricsEntryCleanupDuration: unsupported(UTILIZATION),
  workerMetricsTableName: unsupported(KCL3_TABLE),
  workerMetricsBillingMode: unsupported(KCL3_TABLE),
  workerMetricsReadCapacity: unsupported(KCL3_TABLE),
  workerMetricsWriteCapacity: unsupported(KCL3_TABLE),
  workerMetricsPointInTimeRecoveryEnabled: unsupported(KCL3_TABLE),
  workerMetricsDeletionProtectionEnabled: unsupported(KCL3_TABLE),
  workerMetricsTags: unsupported(KCL3_TABLE),
  coordinatorStateTableName: unsupported(KCL3_TABLE),
  coordinatorStateBillingMode: unsupported(KCL3_TABLE),
  coordinatorStateReadCapacity: unsupported(KCL3_TABLE),
  coordinatorStateWriteCapacity: unsupported(KCL3_TABLE),
  coordinatorStatePointInTimeRecoveryEnabled: unsupported(KCL3_TABLE),
  coordinatorStateDeletionProtectionEnabled: unsupported(KCL3_TABLE),
  coordinatorStateTags: unsupported(KCL3_TABLE),
};

/** Shardline option names people may write instead of the daemon's keys. */
const ALIASES: Readonly<Record<string, string>> = {
  failoverTimeMs: 'failoverTimeMillis',
  idleTimeBetweenReadsMs: 'idleTimeBetweenReadsInMillis',
  shardSyncIntervalMs: 'shardSyncIntervalMillis',
  processEmptyBatches: 'callProcessRecordsEvenForEmptyRecordList',
  initialPosition: 'initialPositionInStream',
  processingTimeoutMs: 'timeoutInSeconds',
  shutdownTimeoutMs: 'shutdownGraceMillis',
  handoffTimeoutMs: 'gracefulLeaseHandoffTimeoutMillis',
  gracefulHandoff: 'isGracefulLeaseHandoffEnabled',
  region: 'regionName',
  executable: 'executableName',
};

const CREDENTIALS_PREFIX = 'AwsCredentialsProvider';

/**
 * The key as the Java daemon matches it: a leading `AwsCredentialsProvider` in any case is
 * normalized (so `AWSCredentialsProvider` works), every other key is taken as written.
 * @internal
 */
export function canonicalKey(key: string): string {
  if (key.toLowerCase().startsWith(CREDENTIALS_PREFIX.toLowerCase())) return CREDENTIALS_PREFIX + key.slice(CREDENTIALS_PREFIX.length);
  return key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known key an unknown one was probably meant to be: the same name in another case first
 * (`RetrievalMode` → `retrievalMode`), then a Shardline option name, then a `fanoutConfig.` key
 * given without its prefix, then a near spelling.
 * @internal
 */
export function suggestKey(key: string): string | undefined {
  const known = Object.keys(MULTILANG_PROPERTY_KEYS);
  const lower = key.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  if (ALIASES[key]) return ALIASES[key];
  const alias = Object.keys(ALIASES).find((k) => k.toLowerCase() === lower);
  if (alias) return ALIASES[alias];
  const nested = known.find((k) => k.includes('.') && k.slice(k.indexOf('.') + 1).toLowerCase() === lower);
  if (nested) return nested;
  if (lower.length < 5) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}
