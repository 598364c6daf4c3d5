import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InvalidArgumentError } from '@shardline/core';
import { CREDENTIALS_PROVIDERS, mapCredentialsProvider } from './credentialsProvider';
import { DEFAULT_PROCESSING_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS, daemonOptionsFromProperties, type DaemonPropertiesContext } from './daemonOptionsFromProperties';
import { parseProperties } from './parseProperties';
import { MULTILANG_PROPERTY_KEYS } from './propertyKeys';
import { resolveMultiLangDaemonOptions } from './resolveMultiLangDaemonOptions';
import { stableWorkerId } from './stableWorkerId';

const BASE = 'executableName = node app.js\napplicationName = orders-app\nstreamName = orders\n';
const context: DaemonPropertiesContext = { env: {}, hostname: 'host-a', propertiesPath: '/etc/kcl/app.properties' };

/** Maps BASE plus `extra` (which starts at line 4), as read from app.properties. */
const map = (extra = '', ctx: Partial<DaemonPropertiesContext> = {}, base = BASE) => daemonOptionsFromProperties(parseProperties(base + extra, { source: 'app.properties' }), { ...context, ...ctx });
const worker = (extra = '', ctx: Partial<DaemonPropertiesContext> = {}) => map(extra, ctx).options.worker;
const warningsOf = (extra: string, ctx: Partial<DaemonPropertiesContext> = {}) => map(extra, ctx).warnings;
const rejects = (extra: string, message: string | RegExp, base = BASE): void => {
  expect(() => map(extra, {}, base)).toThrow(InvalidArgumentError);
  expect(() => map(extra, {}, base)).toThrow(message);
};

describe('daemonOptionsFromProperties', () => {
  it("fills the Java daemon's defaults, and this daemon's where the Java ones are harmful", () => {
    const { options, warnings } = map();
    expect(warnings).toEqual([]);
    expect(options.executableName).toBe('node app.js');
    expect(options.env).toBe(context.env);
    expect(options.worker).toEqual({
      applicationName: 'orders-app',
      workerId: stableWorkerId({ hostname: 'host-a', applicationName: 'orders-app', propertiesPath: '/etc/kcl/app.properties' }),
      streamName: 'orders',
      initialPosition: 'LATEST',
      processEmptyBatches: false,
      maxRecords: 10_000,
      idleTimeBetweenReadsMs: 1_500,
      failoverTimeMs: 10_000,
      maxLeasesToStealAtOneTime: 1,
      shardSyncIntervalMs: 60_000,
      gracefulHandoff: true,
      handoffTimeoutMs: 30_000,
      processingTimeoutMs: DEFAULT_PROCESSING_TIMEOUT_MS,
      shutdownTimeoutMs: DEFAULT_SHUTDOWN_TIMEOUT_MS,
      clientOptions: { env: {} },
    });
    expect(DEFAULT_PROCESSING_TIMEOUT_MS).toBe(300_000);
    expect(DEFAULT_SHUTDOWN_TIMEOUT_MS).toBe(20_000);
  });

  it('maps every supported key', () => {
    const w = worker(
      [
        'tableName = orders-leases',
        'workerId = w-1',
        'regionName = eu-west-1',
        'kinesisEndpoint = http://localhost:4567',
        'dynamoDBEndpoint = http://localhost:8000',
        'initialPositionInStream = TRIM_HORIZON',
        'failoverTimeMillis = 20000',
        'maxRecords = 500',
        'idleTimeBetweenReadsInMillis = 250',
        'shardSyncIntervalMillis = 30000',
        'maxLeasesForWorker = 8',
        'maxLeasesToStealAtOneTime = 2',
        'callProcessRecordsEvenForEmptyRecordList = true',
        'timeoutInSeconds = 45',
        'shutdownGraceMillis = 12000',
        'taskBackoffTimeMillis = 750',
        'gracefulLeaseHandoffTimeoutMillis = 5000',
        'isGracefulLeaseHandoffEnabled = false',
        'retrievalMode = POLLING',
        'cleanupLeasesUponShardCompletion = true',
      ].join('\n'),
    );
    expect(w).toEqual({
      applicationName: 'orders-app',
      tableName: 'orders-leases',
      workerId: 'w-1',
      streamName: 'orders',
      initialPosition: 'TRIM_HORIZON',
      processEmptyBatches: true,
      maxRecords: 500,
      idleTimeBetweenReadsMs: 250,
      retrieval: 'polling',
      failoverTimeMs: 20_000,
      maxLeasesForWorker: 8,
      maxLeasesToStealAtOneTime: 2,
      shardSyncIntervalMs: 30_000,
      gracefulHandoff: false,
      handoffTimeoutMs: 5_000,
      processingTimeoutMs: 45_000,
      processingRetryBackoff: { baseDelayMs: 750, maxDelayMs: 30_000 },
      shutdownTimeoutMs: 12_000,
      clientOptions: {
        region: 'eu-west-1',
        env: { AWS_ENDPOINT_URL_KINESIS: 'http://localhost:4567', AWS_ENDPOINT_URL_DYNAMODB: 'http://localhost:8000' },
      },
    });
  });

  it('produces options the daemon accepts, with no warning for the sample file', () => {
    const file = path.join(__dirname, '..', '..', 'test', 'fixtures', 'sample.properties');
    const properties = parseProperties(readFileSync(file), { source: 'sample.properties' });
    const { options, warnings } = daemonOptionsFromProperties(properties, { env: {}, propertiesPath: file });
    expect(warnings).toEqual([]);
    expect(options.worker).toMatchObject({
      applicationName: 'orders-consumer',
      streamName: 'orders',
      workerId: 'orders-consumer-1',
      initialPosition: 'TRIM_HORIZON',
      maxRecords: 1000,
      processingTimeoutMs: 60_000,
      shutdownTimeoutMs: 15_000,
    });
    expect(() => resolveMultiLangDaemonOptions(options)).not.toThrow();
  });

  describe('endpoints and region', () => {
    it('gives each endpoint to its own client only, over the environment', () => {
      const env = { AWS_ENDPOINT_URL: 'http://shared:1', AWS_ENDPOINT_URL_KINESIS: 'http://old:2', AWS_REGION: 'us-west-2' };
      const w = worker('kinesisEndpoint = https://kinesis.vpce.example.com', { env });
      expect(w.clientOptions).toEqual({ env: { ...env, AWS_ENDPOINT_URL_KINESIS: 'https://kinesis.vpce.example.com' } });
      expect(worker('dynamoDBEndpoint=http://127.0.0.1:8000').clientOptions?.env).toEqual({ AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000' });
    });

    it('rejects an endpoint that is not an http(s) URL, and a malformed region', () => {
      rejects(
        '\nkinesisEndpoint = kinesis.us-east-1.amazonaws.com',
        'app.properties:5: kinesisEndpoint must be an absolute http(s) URL (got "kinesis.us-east-1.amazonaws.com"; did you mean https://kinesis.us-east-1.amazonaws.com?)',
      );
      rejects('dynamoDBEndpoint = ftp://x', 'app.properties:4: dynamoDBEndpoint must be an absolute http(s) URL');
      rejects('regionName = US East', 'app.properties:4: regionName must be an AWS region');
    });
  });

  describe('stream', () => {
    it('takes the stream name from streamArn, as the Java daemon does', () => {
      const base = 'executableName=x\napplicationName=orders-app\n';
      const { options, warnings } = map('streamArn = arn:aws:kinesis:us-east-1:123456789012:stream/orders-v2\n', {}, base);
      expect(options.worker.streamName).toBe('orders-v2');
      expect(warnings).toEqual([]);
      expect(map('streamArn = arn:aws-cn:kinesis:cn-north-1:123456789012:stream/s\n', {}, base).options.worker.streamName).toBe('s');
    });

    it('warns when streamName and streamArn disagree, or the ARN is in another region than regionName', () => {
      const { options, warnings } = map('streamArn = arn:aws:kinesis:us-west-2:123456789012:stream/other\nregionName = us-east-1');
      expect(options.worker.streamName).toBe('other');
      expect(warnings).toEqual([
        'app.properties:3: streamName (orders) and streamArn (stream other) disagree; the stream of streamArn is used, as in the Java daemon',
        'app.properties:4: streamArn is in us-west-2 but regionName is us-east-1: only the stream name is taken from the ARN (as in the Java daemon), so stream other is read in us-east-1',
      ]);
    });

    it('rejects a malformed ARN or stream name, and a file with neither', () => {
      rejects('streamArn = arn:aws:dynamodb:us-east-1:123456789012:table/orders', 'app.properties:4: streamArn must be a Kinesis stream ARN');
      rejects('streamArn = arn:aws:kinesis:us-east-1:1234:stream/orders', 'app.properties:4: streamArn must be a Kinesis stream ARN');
      rejects('', 'app.properties:3: streamName must be 1 to 128 letters', 'executableName=x\napplicationName=orders-app\nstreamName = bad/name\n');
      rejects('', /^app\.properties: streamName or streamArn is required$/, 'executableName=x\napplicationName=orders-app\n');
    });
  });

  describe('required keys and validation errors', () => {
    it('requires executableName and applicationName', () => {
      rejects('', /^app\.properties: executableName is required$/, 'applicationName=a-app\nstreamName=s\n');
      rejects('', 'app.properties:1: executableName is required (it is empty)', 'executableName =   \napplicationName=a-app\nstreamName=s\n');
      rejects('', /^app\.properties: applicationName is required$/, 'executableName=x\nstreamName=s\n');
    });

    it('names the key and the line of an invalid value', () => {
      rejects('\n\nfailoverTimeMillis = ten seconds', 'app.properties:6: failoverTimeMillis must be an integer (got "ten seconds")');
      rejects('maxRecords = 20000', 'app.properties:4: maxRecords must be between 1 and 10000 (got 20000)');
      rejects('maxLeasesForWorker = -1', 'app.properties:4: maxLeasesForWorker must be between 1 and 2147483647 (got -1)');
      rejects('failoverTimeMillis = 100', 'app.properties:4: failoverTimeMillis must be between 200 and 86400000 (got 100)');
      rejects('timeoutInSeconds = 0', 'app.properties:4: timeoutInSeconds must be between 1 and 86400 (got 0)');
      rejects('callProcessRecordsEvenForEmptyRecordList = maybe', 'app.properties:4: callProcessRecordsEvenForEmptyRecordList must be true or false (got "maybe")');
      rejects('initialPositionInStream = OLDEST', 'app.properties:4: initialPositionInStream must be one of LATEST, TRIM_HORIZON, AT_TIMESTAMP (got "OLDEST")');
      rejects('retrievalMode = STREAMING', 'app.properties:4: retrievalMode must be one of POLLING, FANOUT, DEFAULT (got "STREAMING")');
      rejects('tableName = x', 'app.properties:4: tableName must be 3 to 255 letters');
      rejects('', "app.properties:2: applicationName is also the lease table's name unless tableName is set", 'executableName=x\napplicationName=my app\nstreamName=s\n');
      const error = (() => {
        try {
          map('maxRecords = lots');
        } catch (e) {
          return e as InvalidArgumentError;
        }
        return undefined;
      })();
      expect(error?.code).toBe('SHARDLINE_INVALID_ARGUMENT');
    });

    it('accepts the boolean spellings of commons-beanutils and upper-cases enum values as the Java daemon', () => {
      expect(worker('callProcessRecordsEvenForEmptyRecordList = Yes').processEmptyBatches).toBe(true);
      expect(worker('isGracefulLeaseHandoffEnabled = off').gracefulHandoff).toBe(false);
      expect(worker('initialPositionInStream = trim_horizon').initialPosition).toBe('TRIM_HORIZON');
      expect(worker('maxRecords = +42 ').maxRecords).toBe(42);
    });

    it('without a line (a plain Map), names the key and the file only', () => {
      const properties = new Map([
        ['executableName', 'x'],
        ['applicationName', 'orders-app'],
        ['streamName', 'orders'],
        ['maxRecords', 'many'],
      ]);
      expect(() => daemonOptionsFromProperties(properties, context)).toThrow(/^\/etc\/kcl\/app\.properties: maxRecords must be an integer/);
      expect(() => daemonOptionsFromProperties(properties, { env: {} })).toThrow(/^maxRecords must be an integer/);
      expect(() => daemonOptionsFromProperties(properties, undefined as never)).toThrow('context.env is required');
    });
  });

  describe('initial position', () => {
    it('maps initialPositionInStreamExtended (epoch seconds) to AT_TIMESTAMP', () => {
      expect(worker('initialPositionInStreamExtended = 1700000000').initialPosition).toEqual({ type: 'AT_TIMESTAMP', timestamp: new Date(1_700_000_000_000) });
      expect(worker('initialPositionInStream = AT_TIMESTAMP\ninitialPositionInStreamExtended = 1700000000').initialPosition).toEqual({ type: 'AT_TIMESTAMP', timestamp: new Date(1_700_000_000_000) });
    });

    it('warns when both keys ask for different positions, and rejects AT_TIMESTAMP without a time or with milliseconds', () => {
      expect(warningsOf('initialPositionInStream = LATEST\ninitialPositionInStreamExtended = 1700000000')).toEqual([
        'app.properties:4: initialPositionInStream=LATEST and initialPositionInStreamExtended are both set; the timestamp is used (the Java daemon applies them in no defined order)',
      ]);
      rejects('initialPositionInStream = AT_TIMESTAMP', 'app.properties:4: initialPositionInStream=AT_TIMESTAMP needs initialPositionInStreamExtended');
      rejects('initialPositionInStreamExtended = 1700000000000', 'app.properties:4: initialPositionInStreamExtended is in epoch seconds; 1700000000000 looks like milliseconds (use 1700000000)');
    });
  });

  describe('timeouts and quirks of the Java daemon', () => {
    it('replaces shutdownGraceMillis=0 (not graceful in the Java daemon) with the default, and warns', () => {
      const { options, warnings } = map('shutdownGraceMillis = 0');
      expect(options.worker.shutdownTimeoutMs).toBe(DEFAULT_SHUTDOWN_TIMEOUT_MS);
      expect(warnings).toEqual([expect.stringMatching(/^app\.properties:4: shutdownGraceMillis=0 would make SIGTERM not graceful .*#1374\); 20000 ms is used$/)]);
    });

    it('ignores a zero where the Java daemon ignores it (primitive fields), and warns', () => {
      const { options, warnings } = map('failoverTimeMillis = 0\nmaxLeasesForWorker = 0\nmaxRecords=0');
      expect(options.worker).toMatchObject({ failoverTimeMs: 10_000, maxRecords: 10_000 });
      expect(options.worker.maxLeasesForWorker).toBeUndefined();
      expect(warnings).toEqual([
        'app.properties:4: failoverTimeMillis=0 is ignored, as the Java daemon ignores a zero here; the default (10000) is used',
        'app.properties:5: maxLeasesForWorker=0 is ignored, as the Java daemon ignores a zero here; the default (unbounded) is used',
        'app.properties:6: maxRecords=0 is ignored, as the Java daemon ignores a zero here; the default (10000) is used',
      ]);
    });

    it('raises idleTimeBetweenReadsInMillis to the 200 ms floor, as the Java daemon', () => {
      const { options, warnings } = map('idleTimeBetweenReadsInMillis = 50');
      expect(options.worker.idleTimeBetweenReadsMs).toBe(200);
      expect(warnings).toEqual(['app.properties:4: idleTimeBetweenReadsInMillis=50 is below the 200 ms floor and is raised to 200, as in the Java daemon']);
    });

    it('warns that cleanupLeasesUponShardCompletion=false is ignored', () => {
      expect(warningsOf('cleanupLeasesUponShardCompletion = false')).toEqual([
        expect.stringMatching(/^app\.properties:4: cleanupLeasesUponShardCompletion=false is ignored \(the Java daemon ignores it too, silently\)/),
      ]);
      expect(warningsOf('cleanupLeasesUponShardCompletion = true')).toEqual([]);
    });

    it("keeps taskBackoffTimeMillis within the retry backoff's bounds", () => {
      expect(worker('taskBackoffTimeMillis = 60000').processingRetryBackoff).toEqual({ baseDelayMs: 60_000, maxDelayMs: 60_000 });
    });
  });

  describe('retrievalMode and fanoutConfig', () => {
    it('reads with enhanced fan-out for FANOUT, and for DEFAULT where the Java daemon would', () => {
      expect(map('retrievalMode = FANOUT')).toMatchObject({ warnings: [], options: { worker: { retrieval: 'fanout' } } });
      expect(worker('retrievalMode = FANOUT').fanout).toBeUndefined();
      expect(map('retrievalMode = default')).toMatchObject({ warnings: [], options: { worker: { retrieval: 'fanout' } } });
      // A polling key makes the Java daemon's DEFAULT poll too.
      expect(map('retrievalMode = DEFAULT\nmaxRecords = 100')).toMatchObject({ warnings: [], options: { worker: { retrieval: 'polling', maxRecords: 100 } } });
      expect(worker('retrievalMode = DEFAULT\nmillisBehindLatestThresholdForReducedTps = 0').retrieval).toBe('fanout');
    });

    it("polls for POLLING, and when retrievalMode is absent (the worker's default)", () => {
      expect(map('retrievalMode = POLLING')).toMatchObject({ warnings: [], options: { worker: { retrieval: 'polling' } } });
      expect(worker('retrievalMode = POLLING').fanout).toBeUndefined();
      expect(worker()).not.toHaveProperty('retrieval');
    });

    it('maps the fanoutConfig keys onto worker.fanout', () => {
      const arn = 'arn:aws:kinesis:eu-west-1:123456789012:stream/orders/consumer/orders-efo:1700000000';
      expect(worker(`retrievalMode = FANOUT\nfanoutConfig.consumerName = orders-efo\nfanoutConfig.retryBackoffMillis = 500`).fanout).toEqual({ consumerName: 'orders-efo', registrationPollMs: 500 });
      expect(worker(`retrievalMode = FANOUT\nfanoutConfig.consumerArn = ${arn}`).fanout).toEqual({ consumerArn: arn });
      // The largest retry count × retryBackoffMillis bounds the whole registration.
      const w = worker('retrievalMode = FANOUT\nfanoutConfig.maxDescribeStreamConsumerRetries = 30\nfanoutConfig.registerStreamConsumerRetries = 5\nfanoutConfig.retryBackoffMillis = 2000');
      expect(w.fanout).toEqual({ registrationPollMs: 2_000, registrationTimeoutMs: 60_000 });
      expect(worker('retrievalMode = FANOUT\nfanoutConfig.maxDescribeStreamSummaryRetries = 20').fanout).toEqual({ registrationTimeoutMs: 20_000 });
      expect(worker('retrievalMode = FANOUT\nfanoutConfig.retryBackoffMillis = 0')).not.toHaveProperty('fanout');
      expect(() => resolveMultiLangDaemonOptions(map(`retrievalMode = FANOUT\nfanoutConfig.consumerArn = ${arn}\nfanoutConfig.retryBackoffMillis = 500`).options)).not.toThrow();
    });

    it('warns about fan-out keys while polling, and polling keys with fan-out', () => {
      expect(warningsOf('retrievalMode = POLLING\nfanoutConfig.consumerName = c')).toEqual([
        'app.properties:5: fanoutConfig.consumerName is ignored: the daemon polls (GetRecords) unless retrievalMode=FANOUT',
      ]);
      expect(worker('fanoutConfig.consumerName = c')).not.toHaveProperty('fanout');
      expect(warningsOf('retrievalMode = FANOUT\nmaxRecords = 100')).toEqual(['app.properties:5: maxRecords has no effect with retrievalMode=FANOUT: records are pushed by SubscribeToShard']);
    });

    it('names the fanoutConfig key the worker rejects', () => {
      rejects('retrievalMode = FANOUT\nfanoutConfig.consumerName = bad name', /^app\.properties:5: fanoutConfig\.consumerName: worker\.fanout\.consumerName must match/);
      rejects('retrievalMode = FANOUT\nfanoutConfig.consumerArn = arn:nope', /^app\.properties:5: fanoutConfig\.consumerArn: worker\.fanout\.consumerArn must match/);
      rejects('retrievalMode = FANOUT\nfanoutConfig.retryBackoffMillis = 5', 'app.properties:5: fanoutConfig.retryBackoffMillis must be between 10 and 60000 (got 5)');
    });
  });

  describe('keys: case sensitivity, unknown, unsupported, no-ops', () => {
    it('warns about a key in the wrong case by name, with a did-you-mean, and ignores it', () => {
      const { options, warnings } = map('RetrievalMode = FANOUT\nmaxrecords = 5\nStreamName = other');
      expect(options.worker.maxRecords).toBe(10_000);
      expect(options.worker.streamName).toBe('orders');
      expect(warnings).toEqual([
        'app.properties:4: RetrievalMode is not a key of the MultiLang daemon and is ignored; did you mean retrievalMode? (keys are case-sensitive)',
        'app.properties:5: maxrecords is not a key of the MultiLang daemon and is ignored; did you mean maxRecords? (keys are case-sensitive)',
        'app.properties:6: StreamName is not a key of the MultiLang daemon and is ignored; did you mean streamName? (keys are case-sensitive)',
      ]);
    });

    it('suggests the daemon key for a Shardline option name, a fan-out key without its prefix, or a near spelling', () => {
      expect(warningsOf('failoverTimeMs = 1000\nconsumerName = c\nmaxRecord = 5\nshardSyncIntervalMilis = 1\ncompletelyDifferent = 1')).toEqual([
        'app.properties:4: failoverTimeMs is not a key of the MultiLang daemon and is ignored; did you mean failoverTimeMillis? (keys are case-sensitive)',
        'app.properties:5: consumerName is not a key of the MultiLang daemon and is ignored; did you mean fanoutConfig.consumerName? (keys are case-sensitive)',
        'app.properties:6: maxRecord is not a key of the MultiLang daemon and is ignored; did you mean maxRecords? (keys are case-sensitive)',
        'app.properties:7: shardSyncIntervalMilis is not a key of the MultiLang daemon and is ignored; did you mean shardSyncIntervalMillis? (keys are case-sensitive)',
        'app.properties:8: completelyDifferent is not a key of the MultiLang daemon and is ignored',
      ]);
    });

    it('warns about every unsupported key by name, unless its value is what this daemon does anyway', () => {
      const unsupported = Object.entries(MULTILANG_PROPERTY_KEYS).filter(([, info]) => info.support === 'unsupported');
      const text = unsupported.map(([key]) => `${key} = 7`).join('\n');
      const warnings = warningsOf(text);
      expect(warnings).toHaveLength(unsupported.length);
      unsupported.forEach(([key, info], i) => expect(warnings[i]).toBe(`app.properties:${i + 4}: ${key} is not supported and is ignored: ${info.note}`));
      expect(
        warningsOf(
          'enablePriorityLeaseAssignment = true\nleaseTablePitrEnabled = false\nmetricsLevel = none\nclientVersionConfig = CLIENT_VERSION_CONFIG_COMPATIBLE_WITH_2X\nmaxLeaseRenewalThreads = 20',
        ),
      ).toEqual([]);
      expect(warningsOf('clientVersionConfig = CLIENT_VERSION_CONFIG_3X')).toEqual([
        expect.stringMatching(/^app\.properties:4: clientVersionConfig is not supported and is ignored: this daemon speaks the KCL 2\.x lease protocol/),
      ]);
    });

    it('accepts the no-op keys without a warning', () => {
      const noops = Object.entries(MULTILANG_PROPERTY_KEYS)
        .filter(([, info]) => info.support === 'no-op')
        .map(([key]) => key);
      expect(noops.sort()).toEqual(
        [
          'initialLeaseTableReadCapacity',
          'initialLeaseTableWriteCapacity',
          'maxActiveThreads',
          'parentShardPollIntervalMillis',
          'processingLanguage',
          'validateSequenceNumberBeforeCheckpointing',
        ].sort(),
      );
      expect(warningsOf(noops.map((k) => `${k} = 1`).join('\n'))).toEqual([]);
    });

    it('warns about a key given twice and an empty value', () => {
      expect(warningsOf('maxRecords = 5\nregionName =\nmaxRecords = 6')).toEqual([
        'app.properties:5: regionName is empty and is ignored',
        'app.properties:6: maxRecords is set more than once (lines 4 and 6); the last value is used',
      ]);
      expect(worker('maxRecords = 5\nmaxRecords = 6').maxRecords).toBe(6);
    });

    it('knows every key of the Java daemon', () => {
      // The keys the Java MultiLang daemon (KCL 3.x) reads from its properties file, in the order it documents them.
      const javaKeys = [
        'executableName',
        'processingLanguage',
        'maxActiveThreads',
        'applicationName',
        'streamName',
        'streamArn',
        'tableName',
        'workerId',
        'workerIdentifier',
        'AwsCredentialsProvider',
        'AwsCredentialsProviderDynamoDB',
        'AwsCredentialsProviderCloudWatch',
        'regionName',
        'kinesisEndpoint',
        'dynamoDBEndpoint',
        'failoverTimeMillis',
        'leaseAssignmentIntervalMillis',
        'enablePriorityLeaseAssignment',
        'leaseTableDeletionProtectionEnabled',
        'leaseTablePitrEnabled',
        'shardSyncIntervalMillis',
        'cleanupLeasesUponShardCompletion',
        'ignoreUnexpectedChildShards',
        'maxLeasesForWorker',
        'maxLeasesToStealAtOneTime',
        'initialLeaseTableReadCapacity',
        'initialLeaseTableWriteCapacity',
        'leaseTableScanTotalSegments',
        'maxLeaseRenewalThreads',
        'listShardsBackoffTimeInMillis',
        'maxListShardsRetryAttempts',
        'initialPositionInStream',
        'initialPositionInStreamExtended',
        'parentShardPollIntervalMillis',
        'skipShardSyncAtWorkerInitializationIfLeasesExist',
        'schedulerInitializationBackoffTimeMillis',
        'shardPrioritization',
        'clientVersionConfig',
        'migrateAllEntitiesToLeaseTable',
        'tableMigrationCompleteBakeTimeSeconds',
        'taskBackoffTimeMillis',
        'logWarningForTaskAfterMillis',
        'callProcessRecordsEvenForEmptyRecordList',
        'metricsBufferTimeMillis',
        'metricsMaxQueueSize',
        'metricsLevel',
        'metricsEnabledDimensions',
        'retrievalMode',
        'maxRecords',
        'idleTimeBetweenReadsInMillis',
        'retryGetRecordsInSeconds',
        'maxGetRecordsThreadPool',
        'millisBehindLatestThresholdForReducedTps',
        'fanoutConfig.consumerArn',
        'fanoutConfig.consumerName',
        'fanoutConfig.maxDescribeStreamSummaryRetries',
        'fanoutConfig.maxDescribeStreamConsumerRetries',
        'fanoutConfig.registerStreamConsumerRetries',
        'fanoutConfig.retryBackoffMillis',
        'gracefulLeaseHandoffTimeoutMillis',
        'isGracefulLeaseHandoffEnabled',
        'inMemoryWorkerMetricsCaptureFrequencyMillis',
        'workerMetricsReporterFreqInMillis',
        'noOfPersistedMetricsPerWorkerMetrics',
        'disableWorkerMetrics',
        'maxThroughputPerHostKBps',
        'dampeningPercentage',
        'reBalanceThresholdPercentage',
        'allowThroughputOvershoot',
        'varianceBalancingFrequency',
        'workerMetricsEMAAlpha',
        'staleWorkerMetricsEntryCleanupDuration',
        ...['TableName', 'BillingMode', 'ReadCapacity', 'WriteCapacity', 'PointInTimeRecoveryEnabled', 'DeletionProtectionEnabled', 'Tags'].flatMap((s) => [
          `workerMetrics${s}`,
          `coordinatorState${s}`,
        ]),
        'timeoutInSeconds',
        'shutdownGraceMillis',
        'validateSequenceNumberBeforeCheckpointing',
      ];
      expect(Object.keys(MULTILANG_PROPERTY_KEYS).sort()).toEqual([...new Set(javaKeys)].sort());
    });
  });

  describe('worker id', () => {
    it('is stable for one host, file and application, and differs when any of them does', () => {
      const id = worker().workerId;
      expect(id).toMatch(/^host-a-[0-9a-f]{12}$/);
      expect(worker().workerId).toBe(id);
      expect(worker('', { propertiesPath: '/etc/kcl/other.properties' }).workerId).not.toBe(id);
      expect(worker('', { hostname: 'host-b' }).workerId).toMatch(/^host-b-/);
      expect(map('', {}, 'executableName=x\napplicationName=billing-app\nstreamName=orders\n').options.worker.workerId).not.toBe(id);
      // The path is made absolute: the same file named relatively gives the same id.
      expect(stableWorkerId({ hostname: 'h', applicationName: 'a', propertiesPath: 'app.properties' })).toBe(
        stableWorkerId({ hostname: 'h', applicationName: 'a', propertiesPath: path.resolve('app.properties') }),
      );
    });

    it('takes workerId, or its alias workerIdentifier, and warns when both disagree', () => {
      expect(worker('workerIdentifier = w-2').workerId).toBe('w-2');
      const { options, warnings } = map('workerId = w-1\nworkerIdentifier = w-2');
      expect(options.worker.workerId).toBe('w-1');
      expect(warnings).toEqual(['app.properties:5: workerId (w-1) and workerIdentifier (w-2) are both set; workerId is used']);
    });
  });

  describe('credentials', () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' };

    it('uses the default chain for the providers that stand for it, without a warning', () => {
      for (const value of [
        'DefaultCredentialsProvider',
        'DefaultAWSCredentialsProviderChain',
        'software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider',
        'com.amazonaws.auth.DefaultAWSCredentialsProviderChain',
        'ProfileCredentialsProvider',
        'WebIdentityTokenFileCredentialsProvider',
        'ContainerCredentialsProvider',
        'InstanceProfileCredentialsProvider',
        'EnvironmentVariableCredentialsProvider, ProfileCredentialsProvider, InstanceProfileCredentialsProvider',
      ]) {
        const { options, warnings } = map(`AwsCredentialsProvider = ${value}`, { env });
        expect([value, warnings]).toEqual([value, []]);
        expect([value, options.worker.clientOptions?.credentials]).toEqual([value, undefined]);
      }
    });

    it('reads exactly the environment for EnvironmentVariableCredentialsProvider, and requires it', () => {
      expect(worker('AwsCredentialsProvider = EnvironmentVariableCredentialsProvider', { env }).clientOptions?.credentials).toEqual({
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'secret',
        sessionToken: 'token',
      });
      rejects(
        'AwsCredentialsProvider = EnvironmentVariableCredentialsProvider',
        'app.properties:4: AwsCredentialsProvider is EnvironmentVariableCredentialsProvider, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set',
      );
    });

    it('matches the AwsCredentialsProvider prefix in any case, as the Java daemon', () => {
      expect(worker('AWSCredentialsProvider = EnvironmentVariableCredentialsProvider', { env }).clientOptions?.credentials).toMatchObject({ accessKeyId: 'AKIDEXAMPLE' });
      expect(warningsOf('awscredentialsproviderDynamoDB = DefaultCredentialsProvider')).toEqual([]);
    });

    it('honours a profile argument only when AWS_PROFILE selects it', () => {
      expect(warningsOf('AwsCredentialsProvider = ProfileCredentialsProvider|analytics', { env: { AWS_PROFILE: 'analytics' } })).toEqual([]);
      expect(warningsOf('AwsCredentialsProvider = ProfileCredentialsProvider|default')).toEqual([]);
      expect(warningsOf('AwsCredentialsProvider = ProfileCredentialsProvider|analytics')).toEqual([
        "app.properties:4: AwsCredentialsProvider: ProfileCredentialsProvider|analytics: the profile is selected by the AWS_PROFILE variable here (now unset); set AWS_PROFILE=analytics in the daemon's environment",
      ]);
    });

    it('warns for providers it cannot honour, and for custom classes, and uses the default chain', () => {
      const { options, warnings } = map(
        'AwsCredentialsProvider = StsAssumeRoleCredentialsProvider|arn:aws:iam::123456789012:role/kcl|session|endpointRegion=us-east-1\n' +
          'AwsCredentialsProviderDynamoDB = com.example.MyProvider\n' +
          'AwsCredentialsProviderCloudWatch = DefaultCredentialsProvider',
        { env },
      );
      expect(options.worker.clientOptions?.credentials).toBeUndefined();
      expect(warnings).toEqual([
        'app.properties:4: AwsCredentialsProvider: StsAssumeRoleCredentialsProvider: assuming a role is not supported yet: the default chain is used (a role can be assumed through a profile with role_arn, or AWS_ROLE_ARN with web identity)',
        'app.properties:5: AwsCredentialsProviderDynamoDB: "com.example.MyProvider" is not a provider this daemon knows (Java classes cannot run here): the AWS SDK\'s default credential chain is used instead',
        expect.stringMatching(/^app\.properties:6: AwsCredentialsProviderCloudWatch is not supported and is ignored: this daemon publishes no CloudWatch metrics/),
      ]);
      expect(warningsOf('AwsCredentialsProvider = SystemPropertyCredentialsProvider')).toEqual([
        expect.stringContaining('SystemPropertyCredentialsProvider: Java system properties do not exist in Node'),
      ]);
    });

    it('warns that separate DynamoDB credentials are not supported', () => {
      expect(warningsOf('AwsCredentialsProvider = EnvironmentVariableCredentialsProvider\nAwsCredentialsProviderDynamoDB = DefaultCredentialsProvider', { env })).toEqual([
        'app.properties:5: AwsCredentialsProviderDynamoDB: separate DynamoDB credentials are not supported; the credentials of AwsCredentialsProvider are used for DynamoDB too',
      ]);
      expect(warningsOf('AwsCredentialsProvider = DefaultCredentialsProvider\nAwsCredentialsProviderDynamoDB = InstanceProfileCredentialsProvider')).toEqual([]);
    });

    it('lists what each known provider becomes', () => {
      expect(
        Object.entries(CREDENTIALS_PROVIDERS)
          .filter(([, i]) => i.honoured)
          .map(([name]) => name),
      ).toEqual([
        'DefaultCredentialsProvider',
        'DefaultAWSCredentialsProviderChain',
        'EnvironmentVariableCredentialsProvider',
        'ProfileCredentialsProvider',
        'WebIdentityTokenFileCredentialsProvider',
        'WebIdentityTokenCredentialsProvider',
        'ContainerCredentialsProvider',
        'EC2ContainerCredentialsProviderWrapper',
        'InstanceProfileCredentialsProvider',
      ]);
      expect(mapCredentialsProvider('DefaultCredentialsProvider|extra', {}).warnings).toEqual(['DefaultCredentialsProvider: the arguments "extra" are ignored']);
      expect(mapCredentialsProvider(' , ', {}).warnings).toEqual(["no provider is named: the AWS SDK's default credential chain is used"]);
    });
  });

  it('reports warnings in file order', () => {
    const warnings = warningsOf('Unknown1 = 1\nshutdownGraceMillis = 0\nmetricsLevel = DETAILED\nfanoutConfig.consumerName = c');
    expect(warnings.map((w) => w.split(':')[1])).toEqual(['4', '5', '6', '7']);
  });
});
