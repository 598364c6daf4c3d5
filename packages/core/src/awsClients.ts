import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import * as http from 'node:http';
import * as https from 'node:https';
import { InvalidArgumentError } from './errors';
import { booleanOption, integerOption, rejectUnknownOptions, stringOption } from './options';
import { loadPeerDependency } from './peerDependency';
import { isSecretKey } from './redactSecrets';

/** Static AWS credentials, or a provider the SDK calls to refresh them. @public */
export type AwsCredentials =
  | { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string; readonly expiration?: Date }
  | (() => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }>);

/** How to reach an AWS service (or an emulator of it). Every field is optional. @public */
export interface AwsClientOptions {
  /** Region. Default: `AWS_REGION`, `AWS_DEFAULT_REGION`, `us-east-1` for local endpoints, else the SDK's chain. */
  readonly region?: string;
  /**
   * Endpoint URL. Default: `AWS_ENDPOINT_URL_KINESIS` / `AWS_ENDPOINT_URL_DYNAMODB`, then
   * `AWS_ENDPOINT_URL`, then the AWS endpoint of the region.
   */
  readonly endpoint?: string;
  /** Credentials. Default: the SDK's provider chain; dummy keys for a loopback endpoint when none are set. */
  readonly credentials?: AwsCredentials;
  /** Attempts the SDK itself makes per call (1 = no SDK retries). Default 3. */
  readonly maxAttempts?: number;
  /** Socket inactivity timeout per request, in milliseconds; the call fails with a TimeoutError. Default 30,000. */
  readonly requestTimeoutMs?: number;
  /** TCP connect timeout, in milliseconds. Default 6,000. */
  readonly connectionTimeoutMs?: number;
  /** Maximum concurrent sockets (keep-alive pool size). Default 50. */
  readonly maxSockets?: number;
  /**
   * Use the SDK's default HTTP/2 handler for Kinesis (needed only for SubscribeToShard against AWS).
   * Default false: HTTP/1.1 with keep-alive, which every emulator speaks.
   */
  readonly http2?: boolean;
  /** The environment to read `AWS_*` variables from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** {@link AwsClientOptions} after resolution, as passed to the SDK client constructor. @public */
export interface ResolvedAwsClientOptions {
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly credentials: AwsCredentials | undefined;
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly maxSockets: number;
  readonly http2: boolean;
}

/** The services Shardline talks to. @public */
export type AwsService = 'kinesis' | 'dynamodb';

const ENDPOINT_ENV: Record<AwsService, string> = { kinesis: 'AWS_ENDPOINT_URL_KINESIS', dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB' };

/** True when the URL points at this machine (an emulator). @public */
export function isLoopbackEndpoint(endpoint: string | undefined): boolean {
  if (!endpoint) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host.startsWith('127.') || host === '[::1]' || host === '::1' || host.endsWith('.localhost') || host === 'localstack';
  } catch {
    return false;
  }
}

/**
 * Resolves client options for one service from the arguments and the standard environment,
 * validating every field before any connection is made.
 * @public
 */
export function resolveAwsClientOptions(service: AwsService, input: AwsClientOptions = {}, path: string = service): ResolvedAwsClientOptions {
  rejectUnknownOptions(path, input, ['region', 'endpoint', 'credentials', 'maxAttempts', 'requestTimeoutMs', 'connectionTimeoutMs', 'maxSockets', 'http2', 'env']);
  const env = input.env ?? process.env;
  const endpoint = stringOption(`${path}.endpoint`, input.endpoint, env[ENDPOINT_ENV[service]] || env.AWS_ENDPOINT_URL || '') || undefined;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch (cause) {
      throw new InvalidArgumentError(`${path}.endpoint must be an absolute http(s) URL (got ${JSON.stringify(endpoint)})`, { cause });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidArgumentError(`${path}.endpoint must use http or https (got ${JSON.stringify(endpoint)})`);
    }
  }
  const local = isLoopbackEndpoint(endpoint);
  const region = stringOption(`${path}.region`, input.region, env.AWS_REGION || env.AWS_DEFAULT_REGION || (local ? 'us-east-1' : ''), { pattern: /^$|^[a-z0-9-]+$/ }) || undefined;
  let credentials = input.credentials;
  if (credentials !== undefined && typeof credentials !== 'function') {
    if (typeof credentials !== 'object' || !credentials.accessKeyId || !credentials.secretAccessKey) {
      throw new InvalidArgumentError(`${path}.credentials must have accessKeyId and secretAccessKey, or be a provider function`);
    }
  }
  if (credentials === undefined && input.env && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    // An explicit environment is self-contained: the SDK's own chain would read process.env instead.
    credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  }
  if (credentials === undefined && local && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
    // Emulators accept any signature; without this a fresh machine fails in the credential chain.
    credentials = { accessKeyId: 'shardline-local', secretAccessKey: 'shardline-local' };
  }
  return {
    region,
    endpoint,
    credentials,
    maxAttempts: integerOption(`${path}.maxAttempts`, input.maxAttempts, 3, { min: 1, max: 20 }),
    requestTimeoutMs: integerOption(`${path}.requestTimeoutMs`, input.requestTimeoutMs, 30_000, { min: 100, max: 600_000 }),
    connectionTimeoutMs: integerOption(`${path}.connectionTimeoutMs`, input.connectionTimeoutMs, 6_000, { min: 100, max: 300_000 }),
    maxSockets: integerOption(`${path}.maxSockets`, input.maxSockets, 50, { min: 1, max: 1024 }),
    http2: booleanOption(`${path}.http2`, input.http2, false),
  };
}

/**
 * A copy of client options that prints no secret but builds the same clients: static
 * `credentials` become a provider function returning them (the SDK takes either; JSON, pino and
 * `util.inspect` show no keys of a function), and the secret entries of `env`
 * (`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, …) become non-enumerable (read as before, never
 * listed). Components apply it to the options they keep and expose. The input is not changed;
 * credentials that validation must refuse are left as they are; applying it twice is harmless.
 * @public
 */
export function hideCredentials(options: AwsClientOptions): AwsClientOptions;
export function hideCredentials(options: AwsClientOptions | undefined): AwsClientOptions | undefined;
export function hideCredentials(options: AwsClientOptions | undefined): AwsClientOptions | undefined {
  if (options === undefined || options === null || typeof options !== 'object') return options;
  const credentials = options.credentials;
  const wrap =
    credentials !== null &&
    typeof credentials === 'object' &&
    typeof credentials.accessKeyId === 'string' &&
    credentials.accessKeyId !== '' &&
    typeof credentials.secretAccessKey === 'string' &&
    credentials.secretAccessKey !== '';
  const env = options.env;
  const hideEnv = env !== null && typeof env === 'object' && Object.keys(env).some(isSecretKey);
  if (!wrap && !hideEnv) return options;
  const copy: Record<string, unknown> = { ...options };
  if (wrap) {
    const staticCredentials = credentials;
    copy.credentials = async function credentialsProvider() {
      return staticCredentials;
    };
  }
  if (hideEnv) {
    const hidden: Record<string, string | undefined> = {};
    // Every own property, so that entries hidden by an earlier call stay readable.
    for (const key of Object.getOwnPropertyNames(env)) {
      Object.defineProperty(hidden, key, { value: (env as Record<string, string | undefined>)[key], enumerable: !isSecretKey(key), writable: false, configurable: false });
    }
    copy.env = hidden;
  }
  return copy;
}

/**
 * An HTTP/1.1 keep-alive handler. An instance, not options: given options, the Kinesis client
 * builds its default HTTP/2 handler from them. @smithy/node-http-handler is loaded on the first
 * client made, not when core is imported; the SDK only calls the handler's interface, so it need
 * not be the SDK's own copy (npm and pnpm dedupe the two within one major version).
 */
function httpHandler(resolved: ResolvedAwsClientOptions): import('@smithy/node-http-handler').NodeHttpHandler {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { NodeHttpHandler } = require('@smithy/node-http-handler') as typeof import('@smithy/node-http-handler');
  const agentOptions = { keepAlive: true, maxSockets: resolved.maxSockets };
  return new NodeHttpHandler({
    httpAgent: new http.Agent(agentOptions),
    httpsAgent: new https.Agent(agentOptions),
    connectionTimeout: resolved.connectionTimeoutMs,
    requestTimeout: resolved.requestTimeoutMs,
    // Without this the handler only logs a warning when requestTimeout passes and the call hangs on.
    throwOnRequestTimeout: true,
  });
}

function baseConfig(resolved: ResolvedAwsClientOptions) {
  return {
    region: resolved.region,
    endpoint: resolved.endpoint,
    credentials: resolved.credentials,
    maxAttempts: resolved.maxAttempts,
  };
}

/**
 * A Kinesis client over HTTP/1.1 keep-alive (HTTP/2 fails against emulators), configured from
 * `options` and the environment. The caller owns it: call `client.destroy()` to release its sockets.
 * @public
 */
export function createKinesisClient(options: AwsClientOptions = {}): KinesisClient {
  const resolved = resolveAwsClientOptions('kinesis', options);
  // Loaded here, not at import: the SDK is a peer dependency that codec-only users need not install.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KinesisClient } = loadPeerDependency(() => require('@aws-sdk/client-kinesis') as typeof import('@aws-sdk/client-kinesis'), '@aws-sdk/client-kinesis', 'createKinesisClient');
  return new KinesisClient({ ...baseConfig(resolved), ...(resolved.http2 ? {} : { requestHandler: httpHandler(resolved) }) });
}

/**
 * A DynamoDB client over HTTP/1.1 keep-alive, configured from `options` and the environment.
 * The caller owns it: call `client.destroy()` to release its sockets.
 * @public
 */
export function createDynamoDbClient(options: AwsClientOptions = {}): DynamoDBClient {
  const resolved = resolveAwsClientOptions('dynamodb', options);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DynamoDBClient } = loadPeerDependency(() => require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb'), '@aws-sdk/client-dynamodb', 'createDynamoDbClient');
  return new DynamoDBClient({ ...baseConfig(resolved), requestHandler: httpHandler(resolved) });
}
