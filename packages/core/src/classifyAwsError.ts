import {
  AccessDeniedError,
  AwsServiceError,
  ClockSkewError,
  ExpiredIteratorError,
  InvalidArgumentError,
  ResourceNotFoundError,
  ServiceUnavailableError,
  ShardlineError,
  ThrottledError,
  TimeoutError,
} from './errors';

// Whether an error is retryable is the SDK's own decision (@smithy/service-error-classification,
// the predicates its retry strategy uses); the names below only choose the typed class, and add
// what the SDK's lists lack for Kinesis and DynamoDB.

/** Throttling the SDK does not list (it lists PTEE, LimitExceeded, Throttling, SlowDown, …). */
const THROTTLING = new Set(['KMSThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestThrottled', 'RequestThrottledException', 'BandwidthLimitExceeded']);
const TRANSIENT = new Set([
  'InternalFailure',
  'InternalFailureException',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ReplicatedWriteConflictException',
]);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_HTTP2_STREAM_ERROR',
]);
const ACCESS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'KMSAccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'AuthFailure',
  'InvalidAccessKeyId',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidClientTokenId',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'NotAuthorized',
  'UnauthorizedOperation',
  'CredentialsProviderError',
]);
const INVALID = new Set(['InvalidArgumentException', 'ValidationException', 'SerializationException', 'ExpiredNextTokenException', 'InvalidParameterValue', 'InvalidParameterException']);
/** Names that mean a skewed clock by themselves (the SDK lists them with AccessDenied, which need not). */
const SKEW_ONLY = new Set(['RequestTimeTooSkewed', 'RequestExpired', 'RequestInTheFuture']);
/** What Kinesis and DynamoDB say in an InvalidSignatureException when the signing time is off. */
const SKEW_MESSAGE = /\bSignature (?:expired|not yet current)\b|\bclock skew\b|\btoo skewed\b/i;
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const MAX_CAUSES = 10;

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown; clockSkewCorrected?: unknown };
}

/** `error` and its causes, outermost first: objects only, at most {@link MAX_CAUSES} deep, no cycles. */
function causeChain(error: unknown): SdkLikeError[] {
  const chain: SdkLikeError[] = [];
  for (let e = error; e !== null && typeof e === 'object' && chain.length <= MAX_CAUSES && !chain.includes(e); e = (e as SdkLikeError).cause) {
    chain.push(e);
  }
  return chain;
}

/** The name of this one error, without looking at its causes. */
function ownName(e: SdkLikeError): string {
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
  if (typeof e.name === 'string' && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string') return e.code;
  // The SDK's retry middleware wraps non-Error throwables (e.g. socket errors from another realm,
  // as under jest) as "AWS SDK error wrapper for Error: read ECONNRESET": keep the socket code.
  const wrapped = typeof e.message === 'string' ? /\b(E[A-Z]{4,}[A-Z_]*)\b/.exec(e.message)?.[1] : undefined;
  if (wrapped && NETWORK_CODES.has(wrapped)) return wrapped;
  return 'Unknown';
}

type Classification = typeof import('@smithy/service-error-classification');
type SdkPredicate = 'isClockSkewCorrectedError' | 'isClockSkewError' | 'isServerError' | 'isThrottlingError' | 'isTransientError';

/**
 * Calls one of the SDK's predicates, which expect an Error-like object and may throw on odd ones.
 * The module (and the @smithy/core it loads) is required on the first error classified, not when
 * core is imported: a codec-only application never loads it.
 */
function sdkSays(predicate: SdkPredicate, e: SdkLikeError): boolean {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const classification = require('@smithy/service-error-classification') as Classification;
  try {
    return Boolean(classification[predicate](e as never));
  } catch {
    return false;
  }
}

/** A refused signature (or access) that is the clock's fault, not the credentials'. */
function isSkew(e: SdkLikeError, name: string): boolean {
  if (SKEW_ONLY.has(name)) return true;
  if (!ACCESS.has(name) && !sdkSays('isClockSkewError', e)) return false;
  return sdkSays('isClockSkewCorrectedError', e) || (typeof e.message === 'string' && SKEW_MESSAGE.test(e.message));
}

/** Whether the SDK's classification calls this error worth retrying, looking through its causes. */
function sdkRetryable(chain: readonly SdkLikeError[]): boolean {
  for (const e of chain) {
    // An abort is deliberate, whatever it interrupted (the SDK says the same).
    if (e.name === 'AbortError') return false;
    if (sdkSays('isThrottlingError', e) || sdkSays('isTransientError', e) || sdkSays('isServerError', e) || isSkew(e, ownName(e))) return true;
    if (e.$fault === 'server' && typeof e.$metadata?.httpStatusCode !== 'number') return true;
  }
  return false;
}

/** True when the name alone says which class the error belongs to. */
function isKnownName(name: string): boolean {
  return (
    THROTTLING.has(name) ||
    TRANSIENT.has(name) ||
    TIMEOUTS.has(name) ||
    NETWORK_CODES.has(name) ||
    ACCESS.has(name) ||
    INVALID.has(name) ||
    SKEW_ONLY.has(name) ||
    name === 'ExpiredIteratorException' ||
    name === 'ResourceNotFoundException' ||
    name === 'AbortError'
  );
}

/** True for an error the SDK built from a response (or a socket error): it carries AWS metadata. */
function isSdkShaped(e: SdkLikeError): boolean {
  return e.$metadata !== undefined || e.$fault !== undefined || e.$retryable !== undefined || typeof e.code === 'string';
}

/**
 * The error of the chain that says what happened: the first with a known name, else the first
 * the SDK built, else the first with any name.
 */
function primaryError(chain: readonly SdkLikeError[]): SdkLikeError | undefined {
  return chain.find((e) => isKnownName(ownName(e)) || sdkSays('isThrottlingError', e)) ?? chain.find(isSdkShaped) ?? chain.find((e) => ownName(e) !== 'Unknown');
}

/**
 * The AWS error name of an SDK v3 error (`ProvisionedThroughputExceededException`, `TimeoutError`,
 * `ECONNRESET`, …), looking through the `cause` chain of a wrapper, or `"Unknown"`.
 * @public
 */
export function awsErrorName(error: unknown): string {
  const chain = causeChain(error);
  const primary = primaryError(chain);
  return primary ? ownName(primary) : 'Unknown';
}

/**
 * Maps an AWS SDK v3 error to a {@link ShardlineError}, keeping the original as `cause`. A
 * ShardlineError is returned unchanged (also when a wrapper carries one as its cause).
 *
 * Whether it is retryable is the SDK's own call: `isThrottlingError`, `isTransientError`,
 * `isServerError` and clock skew from `@smithy/service-error-classification`, through the `cause`
 * chain (an abort stays final). The class says what happened: throttling → ThrottledError;
 * clock skew (`Signature expired`, `RequestTimeTooSkewed`, an AccessDenied the SDK corrected its
 * clock for) → ClockSkewError, retryable; ExpiredIterator, ResourceNotFound, access and
 * credential errors, validation errors, timeouts and transient or network failures → their
 * classes; anything else → AwsServiceError with the SDK's verdict.
 * @public
 */
export function classifyAwsError(error: unknown): ShardlineError {
  if (ShardlineError.isShardlineError(error)) return error;
  const chain = causeChain(error);
  const inner = chain.find((e) => ShardlineError.isShardlineError(e));
  if (inner) return inner;
  const primary = primaryError(chain);
  const e = primary ?? chain[0] ?? {};
  const name = primary ? ownName(primary) : 'Unknown';
  const message = `${name}: ${typeof e.message === 'string' && e.message ? e.message : String(error)}`;
  const opts = { cause: error };
  const retryable = sdkRetryable(chain);
  if (isSkew(e, name)) return new ClockSkewError(message, opts);
  if (THROTTLING.has(name) || sdkSays('isThrottlingError', e)) return new ThrottledError(message, opts);
  if (name === 'ExpiredIteratorException') return new ExpiredIteratorError(message, opts);
  // These are final unless the service marked the error retryable (the SDK's `$retryable` trait).
  if (name === 'ResourceNotFoundException') return new ResourceNotFoundError(message, { ...opts, retryable });
  if (ACCESS.has(name)) return new AccessDeniedError(message, { ...opts, retryable });
  if (INVALID.has(name)) return new InvalidArgumentError(message, { ...opts, retryable });
  if (name === 'AbortError') return new TimeoutError(message, { ...opts, retryable: false });
  if (TIMEOUTS.has(name)) return new TimeoutError(message, opts);
  const status = e.$metadata?.httpStatusCode;
  if (
    TRANSIENT.has(name) ||
    NETWORK_CODES.has(name) ||
    (typeof status === 'number' && (TRANSIENT_STATUS.has(status) || sdkSays('isServerError', e))) ||
    (e.$fault === 'server' && typeof status !== 'number')
  ) {
    return new ServiceUnavailableError(message, { ...opts, retryable: retryable || TRANSIENT.has(name) || NETWORK_CODES.has(name) });
  }
  return new AwsServiceError(name, message, { ...opts, retryable });
}
