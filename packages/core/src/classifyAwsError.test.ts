import { ConditionalCheckFailedException, InternalServerError } from '@aws-sdk/client-dynamodb';
import {
  ExpiredIteratorException,
  InvalidArgumentException,
  KMSDisabledException,
  KMSThrottlingException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import { awsErrorName, classifyAwsError } from './classifyAwsError';
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

const meta = { $metadata: {}, message: 'm' };

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyAwsError', () => {
  it.each([
    [new ProvisionedThroughputExceededException(meta), ThrottledError, true],
    [new LimitExceededException(meta), ThrottledError, true],
    [new KMSThrottlingException(meta), ThrottledError, true],
    [new ExpiredIteratorException(meta), ExpiredIteratorError, true],
    [new ResourceNotFoundException(meta), ResourceNotFoundError, false],
    [new InvalidArgumentException(meta), InvalidArgumentError, false],
    [new KMSDisabledException(meta), AwsServiceError, false],
    [new InternalServerError(meta), ServiceUnavailableError, true],
    [new ConditionalCheckFailedException(meta), AwsServiceError, false],
    [Object.assign(new Error('x'), { name: 'InternalFailure' }), ServiceUnavailableError, true],
    [Object.assign(new Error('x'), { name: 'AccessDeniedException', $fault: 'client' }), AccessDeniedError, false],
    [Object.assign(new Error('x'), { name: 'TimeoutError' }), TimeoutError, true],
    [withCode('socket hang up', 'ECONNRESET'), ServiceUnavailableError, true],
    [new Error('AWS SDK error wrapper for Error: read ECONNRESET'), ServiceUnavailableError, true],
    [Object.assign(new Error('x'), { name: 'Weird', $metadata: { httpStatusCode: 503 } }), ServiceUnavailableError, true],
    [Object.assign(new Error('x'), { name: 'Weird', $retryable: { throttling: true } }), ThrottledError, true],
    [Object.assign(new Error('x'), { name: 'Weird', $metadata: { httpStatusCode: 400 } }), AwsServiceError, false],
  ])('maps %p', (input, type, retryable) => {
    const e = classifyAwsError(input);
    expect(e).toBeInstanceOf(type);
    expect(e.retryable).toBe(retryable);
    expect(e.cause).toBe(input);
    expect(ShardlineError.isShardlineError(e)).toBe(true);
  });

  it('keeps the AWS name in the message and on AwsServiceError', () => {
    const e = classifyAwsError(new KMSDisabledException({ $metadata: {}, message: 'key disabled' }));
    expect(e.message).toBe('KMSDisabledException: key disabled');
    expect((e as AwsServiceError).awsErrorName).toBe('KMSDisabledException');
  });

  it('returns Shardline errors unchanged and handles non-errors', () => {
    const t = new ThrottledError('x');
    expect(classifyAwsError(t)).toBe(t);
    expect(classifyAwsError('boom')).toBeInstanceOf(AwsServiceError);
    expect(awsErrorName(undefined)).toBe('Unknown');
    expect(awsErrorName(withCode('x', 'ETIMEDOUT'))).toBe('ETIMEDOUT');
  });

  it('gives every error a stable code and passes the cause through', () => {
    const cause = new Error('root');
    const e = new TimeoutError('late', { cause });
    expect(e.code).toBe('SHARDLINE_TIMEOUT');
    expect(e.name).toBe('TimeoutError');
    expect(e.cause).toBe(cause);
    expect(new TimeoutError('ttl', { retryable: false }).retryable).toBe(false);
  });
});
