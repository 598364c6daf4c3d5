import {
  AccessDeniedError,
  AwsServiceError,
  ExpiredIteratorError,
  InvalidArgumentError,
  ResourceNotFoundError,
  ServiceUnavailableError,
  ShardlineError,
  ThrottledError,
  TimeoutError,
} from './errors';

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'KMSThrottlingException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'BandwidthLimitExceeded',
]);
const TRANSIENT = new Set([
  'InternalFailure',
  'InternalFailureException',
  'InternalServerError',
  'InternalServerErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'EC2ThrottledException',
]);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutException']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET']);
const ACCESS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'KMSAccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'CredentialsProviderError',
]);
const INVALID = new Set(['InvalidArgumentException', 'ValidationException', 'SerializationException']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * The AWS error name of an SDK v3 error (`ProvisionedThroughputExceededException`, `TimeoutError`,
 * `ECONNRESET`, …), or `"Unknown"`.
 * @public
 */
export function awsErrorName(error: unknown): string {
  if (error === null || typeof error !== 'object') return 'Unknown';
  const e = error as SdkLikeError;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string') return e.code;
  // The SDK's retry middleware wraps non-Error throwables (e.g. socket errors from another realm,
  // as under jest) as "AWS SDK error wrapper for Error: read ECONNRESET": keep the socket code.
  const wrapped = typeof e.message === 'string' ? /\b(E[A-Z]{4,}[A-Z_]*)\b/.exec(e.message)?.[1] : undefined;
  if (wrapped && NETWORK_CODES.has(wrapped)) return wrapped;
  return 'Unknown';
}

/**
 * Maps an AWS SDK v3 error (by `name`, `$retryable`, `$fault`, HTTP status and Node network error
 * codes) to a {@link ShardlineError}. The original error is kept as `cause`. A ShardlineError is
 * returned unchanged.
 *
 * Retryable: throttling (PTEE, LimitExceeded, KMSThrottling), InternalFailure, 5xx, timeouts and
 * connection errors. Not retryable: validation, missing resources, access and KMS configuration errors.
 * @public
 */
export function classifyAwsError(error: unknown): ShardlineError {
  if (ShardlineError.isShardlineError(error)) return error;
  const e = (error ?? {}) as SdkLikeError;
  const name = awsErrorName(error);
  const message = `${name}: ${typeof e.message === 'string' && e.message ? e.message : String(error)}`;
  const opts = { cause: error };
  if (THROTTLING.has(name)) return new ThrottledError(message, opts);
  if (name === 'ExpiredIteratorException') return new ExpiredIteratorError(message, opts);
  if (name === 'ResourceNotFoundException') return new ResourceNotFoundError(message, opts);
  if (ACCESS.has(name)) return new AccessDeniedError(message, opts);
  if (INVALID.has(name)) return new InvalidArgumentError(message, opts);
  if (TIMEOUTS.has(name)) return new TimeoutError(message, opts);
  if (TRANSIENT.has(name) || NETWORK_CODES.has(name)) return new ServiceUnavailableError(message, opts);
  if (e.$retryable && typeof e.$retryable === 'object' && (e.$retryable as { throttling?: unknown }).throttling) {
    return new ThrottledError(message, opts);
  }
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && TRANSIENT_STATUS.has(status)) return new ServiceUnavailableError(message, opts);
  if (status === 429) return new ThrottledError(message, opts);
  if (name === 'AbortError') return new TimeoutError(message, { ...opts, retryable: false });
  const retryable = Boolean(e.$retryable) || (e.$fault === 'server' && typeof status !== 'number');
  return new AwsServiceError(name, message, { ...opts, retryable });
}
