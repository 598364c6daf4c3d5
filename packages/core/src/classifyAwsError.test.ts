import { ConditionalCheckFailedException, InternalServerError } from '@aws-sdk/client-dynamodb';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ExpiredIteratorException,
  KinesisServiceException,
  ListShardsCommand,
  InvalidArgumentException,
  KMSDisabledException,
  KMSThrottlingException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis';
import fc from 'fast-check';
import { isClockSkewError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import { createKinesisClient } from './awsClients';
import { awsErrorName, classifyAwsError } from './classifyAwsError';
import {
  AccessDeniedError,
  ClockSkewError,
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

/** A service error as the SDK builds it from a response (name, fault, status, optional extras). */
function serviceError(name: string, message: string, status = 400, metadata: Record<string, unknown> = {}): Error {
  return new KinesisServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, ...metadata } });
}

const SIGNATURE_EXPIRED = 'Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)';

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

  describe('clock skew', () => {
    it.each([
      ['a signature that expired', serviceError('InvalidSignatureException', SIGNATURE_EXPIRED)],
      ['a signature from the future', serviceError('InvalidSignatureException', 'Signature not yet current: 20240101T001000Z is still later than 20240101T000500Z (20240101T000000Z + 5 min.)')],
      ['an AccessDenied the SDK corrected its clock for', serviceError('AccessDeniedException', 'denied', 400, { clockSkewCorrected: true })],
      ['an InvalidSignature the SDK corrected its clock for', serviceError('InvalidSignatureException', 'The request signature we calculated does not match', 403, { clockSkewCorrected: true })],
      ['RequestTimeTooSkewed', serviceError('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', 403)],
      ['RequestExpired', serviceError('RequestExpired', 'Request has expired.')],
      ['RequestInTheFuture', serviceError('RequestInTheFuture', 'Request is not yet valid.')],
      ['a wrapped expired signature', new Error('ListShards failed', { cause: serviceError('InvalidSignatureException', SIGNATURE_EXPIRED) })],
    ])('%s is a retryable ClockSkewError, not a permanent AccessDenied', (_, input) => {
      const e = classifyAwsError(input);
      expect(e).toBeInstanceOf(ClockSkewError);
      expect(e).not.toBeInstanceOf(AccessDeniedError);
      expect(e.retryable).toBe(true);
      expect(e.code).toBe('SHARDLINE_CLOCK_SKEW');
      expect(e.cause).toBe(input);
    });

    it.each([
      ['a wrong signature (bad secret key)', serviceError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.')],
      ['a plain AccessDenied', serviceError('AccessDeniedException', 'User is not authorized to perform: kinesis:ListShards')],
      ['an unknown access key', serviceError('UnrecognizedClientException', 'The security token included in the request is invalid.')],
      ['SignatureDoesNotMatch', serviceError('SignatureDoesNotMatch', 'The request signature we calculated does not match', 403)],
      ['an expired session token', serviceError('ExpiredTokenException', 'The security token included in the request is expired')],
    ])('%s stays a permanent AccessDeniedError', (_, input) => {
      const e = classifyAwsError(input);
      expect(e).toBeInstanceOf(AccessDeniedError);
      expect(e.retryable).toBe(false);
    });

    it('lets a call with SDK retries off succeed on our retry after a skew blip (the SDK corrects its clock offset)', async () => {
      const requests: string[] = [];
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          requests.push(String(req.headers['x-amz-date']));
          if (requests.length === 1) {
            // The server's clock is 10 minutes ahead of ours: the signature looks expired.
            res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'InvalidSignatureException', date: new Date(Date.now() + 600_000).toUTCString() });
            res.end(JSON.stringify({ __type: 'InvalidSignatureException', message: SIGNATURE_EXPIRED }));
          } else {
            res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', date: new Date(Date.now() + 600_000).toUTCString() });
            res.end(JSON.stringify({ Shards: [] }));
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      // HTTP/1.1 (the SDK's default HTTP/2 handler does not speak to a plain node:http server).
      const client = createKinesisClient({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        maxAttempts: 1,
      });
      try {
        const first = await client.send(new ListShardsCommand({ StreamName: 's' })).catch((error: unknown) => error);
        const e = classifyAwsError(first);
        expect(e).toBeInstanceOf(ClockSkewError);
        expect(e.retryable).toBe(true);
        await expect(client.send(new ListShardsCommand({ StreamName: 's' }))).resolves.toMatchObject({ Shards: [] });
        expect(requests).toHaveLength(2);
        expect(requests[1]).not.toBe(requests[0]);
      } finally {
        client.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  it.each([
    [serviceError('PriorRequestNotComplete', 'x'), ThrottledError, true],
    [serviceError('TransactionInProgressException', 'x'), ThrottledError, true],
    [serviceError('EC2ThrottledException', 'x'), ThrottledError, true],
    [serviceError('SomethingNew', 'slow down', 429), ThrottledError, true],
    [serviceError('ServiceUnavailableException', 'x', 503), ServiceUnavailableError, true],
    [serviceError('SomethingNew', 'x', 500), ServiceUnavailableError, true],
    [serviceError('SomethingNew', 'x', 501), ServiceUnavailableError, true],
    [serviceError('ExpiredNextTokenException', 'x'), InvalidArgumentError, false],
    [serviceError('InvalidAccessKeyId', 'x', 403), AccessDeniedError, false],
    [serviceError('IncompleteSignatureException', 'x'), AccessDeniedError, false],
    [serviceError('MissingAuthenticationTokenException', 'x', 403), AccessDeniedError, false],
    [serviceError('KMSInvalidStateException', 'x'), AwsServiceError, false],
    [withCode('connect EHOSTUNREACH', 'EHOSTUNREACH'), ServiceUnavailableError, true],
    [withCode('getaddrinfo EAI_AGAIN', 'EAI_AGAIN'), ServiceUnavailableError, true],
    [withCode('Connect Timeout Error', 'UND_ERR_CONNECT_TIMEOUT'), ServiceUnavailableError, true],
    [withCode('Stream closed with error code NGHTTP2_REFUSED_STREAM', 'ERR_HTTP2_STREAM_ERROR'), ServiceUnavailableError, true],
    [Object.assign(new Error('x'), { name: 'RequestTimeoutException' }), TimeoutError, true],
  ])('maps the codes the SDK knows: %p', (input, type, retryable) => {
    const e = classifyAwsError(input);
    expect(e).toBeInstanceOf(type);
    expect(e.retryable).toBe(retryable);
  });

  describe('cause chain', () => {
    it('classifies by the AWS error a wrapper carries, keeping the wrapper as cause', () => {
      const pte = new ProvisionedThroughputExceededException(meta);
      const wrapped = new Error('put failed', { cause: new Error('attempt 3', { cause: pte }) });
      const e = classifyAwsError(wrapped);
      expect(e).toBeInstanceOf(ThrottledError);
      expect(e.retryable).toBe(true);
      expect(e.cause).toBe(wrapped);
      expect(e.message).toBe('ProvisionedThroughputExceededException: m');
      expect(awsErrorName(wrapped)).toBe('ProvisionedThroughputExceededException');
      expect(classifyAwsError(new Error('x', { cause: withCode('reset', 'ECONNRESET') }))).toBeInstanceOf(ServiceUnavailableError);
    });

    it('returns a Shardline error found in the chain, survives cycles, and lets an abort stay an abort', () => {
      const inner = new ThrottledError('inner');
      expect(classifyAwsError(new Error('outer', { cause: inner }))).toBe(inner);
      const a = new Error('a') as Error & { cause?: unknown };
      const b = new Error('b', { cause: a });
      a.cause = b;
      expect(classifyAwsError(a)).toBeInstanceOf(AwsServiceError);
      const abort = Object.assign(new Error('aborted', { cause: withCode('reset', 'ECONNRESET') }), { name: 'AbortError' });
      expect(classifyAwsError(abort)).toMatchObject({ retryable: false });
      expect(classifyAwsError(abort)).toBeInstanceOf(TimeoutError);
    });

    it('is retryable whenever the SDK would retry it, however deep it is wrapped (property)', () => {
      const names = fc.constantFrom(
        'ProvisionedThroughputExceededException',
        'ThrottlingException',
        'SlowDown',
        'InvalidSignatureException',
        'AccessDeniedException',
        'RequestTimeTooSkewed',
        'TimeoutError',
        'RequestTimeout',
        'InternalFailure',
        'ValidationException',
        'ResourceNotFoundException',
        'KMSDisabledException',
        'ExpiredIteratorException',
        'Weird',
        'Error',
      );
      const errorArb = fc.record({
        name: names,
        message: fc.constantFrom('m', SIGNATURE_EXPIRED, 'Signature not yet current: x'),
        status: fc.option(fc.constantFrom(400, 403, 429, 500, 502, 503, 504), { nil: undefined }),
        code: fc.option(fc.constantFrom('ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'EPERM'), { nil: undefined }),
        clockSkewCorrected: fc.boolean(),
        throttling: fc.option(fc.boolean(), { nil: undefined }),
        wraps: fc.nat(3),
      });
      fc.assert(
        fc.property(errorArb, (r) => {
          const sdkError = Object.assign(new Error(r.message), {
            name: r.name,
            ...(r.code ? { code: r.code } : {}),
            $metadata: { ...(r.status ? { httpStatusCode: r.status } : {}), ...(r.clockSkewCorrected ? { clockSkewCorrected: true } : {}) },
            ...(r.throttling === undefined ? {} : { $retryable: { throttling: r.throttling } }),
          });
          const sdk = sdkError as never;
          let input: Error = sdkError;
          for (let i = 0; i < r.wraps; i++) input = new Error(`wrapper ${i}`, { cause: input });
          const ours = classifyAwsError(input);
          const bare = classifyAwsError(sdkError);
          // Wrapping changes nothing but the cause (and, for an error without any name, the message: the outermost one's).
          expect([ours.constructor, ours.retryable]).toEqual([bare.constructor, bare.retryable]);
          if (awsErrorName(sdkError) !== 'Unknown') expect(ours.message).toBe(bare.message);
          // What the SDK's standard strategy retries (THROTTLING, TRANSIENT) is never permanent here.
          if (isThrottlingError(sdk) || isTransientError(sdk)) expect(ours.retryable).toBe(true);
          // A signature or access refusal the SDK corrected its clock for is the clock's fault.
          if (isClockSkewError(sdk) && r.clockSkewCorrected && !r.code && r.throttling === undefined && (r.status ?? 400) < 429) expect(ours).toBeInstanceOf(ClockSkewError);
          // A refused signature or access is final unless the SDK itself would try again.
          if (ours instanceof AccessDeniedError) expect(ours.retryable).toBe(isThrottlingError(sdk) || isTransientError(sdk));
        }),
        { numRuns: 1000 },
      );
    });
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
