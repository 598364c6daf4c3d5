import { describeValue } from './describeValue';
import { Agent, request } from 'node:http';
import { KinesisApiError } from './types';

/** A response of kinesalite, as received. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const JSON_TYPE = 'application/x-amz-json-1.1';
// Response headers that must not cross from HTTP/1.1 to HTTP/2 (connection-specific, RFC 9113 §8.2.2).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'content-length', 'date']);
// Request headers worth forwarding: kinesalite checks content-type, target and the presence of a signature.
const FORWARDED = [
  'content-type',
  'x-amz-target',
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'x-amz-user-agent',
  'user-agent',
];

/**
 * The front's HTTP/1.1 side: forwards client requests to kinesalite and makes the front's own JSON
 * calls (GetShardIterator, GetRecords, ListShards, DescribeStreamSummary) with a placeholder
 * signature, which kinesalite checks only for shape.
 */
export class Upstream {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly url: URL;
  private readonly authorization: string;

  constructor(endpoint: string, region: string) {
    this.url = new URL(endpoint);
    this.authorization = `AWS4-HMAC-SHA256 Credential=shardline-front/20200101/${region}/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`;
  }

  /** Sends a client's request on; `headers` are the client's (HTTP/2, lower-case). */
  forward(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<UpstreamResponse> {
    const out: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = headers[name];
      if (typeof value === 'string') out[name] = value;
    }
    return this.send(out, body);
  }

  /** Calls `operation` with a JSON body and returns the parsed answer; a Kinesis error becomes {@link KinesisApiError}. */
  async call<T = Record<string, unknown>>(operation: string, input: object): Promise<T> {
    const headers = { 'content-type': JSON_TYPE, 'x-amz-target': `Kinesis_20131202.${operation}`, authorization: this.authorization, 'x-amz-date': '20200101T000000Z' };
    const response = await this.send(headers, Buffer.from(JSON.stringify(input)));
    const text = response.body.toString('utf8');
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      throw new KinesisApiError('InternalFailureException', `kinesalite answered ${operation} with ${response.status} and a body that is not JSON`, 500);
    }
    if (response.status !== 200) {
      const type = describeValue(parsed.__type ?? 'InternalFailureException').replace(/^.*#/, '');
      throw new KinesisApiError(type, describeValue(parsed.message ?? parsed.Message ?? `${operation} failed`), response.status);
    }
    return parsed as T;
  }

  /** Closes the keep-alive sockets. */
  destroy(): void {
    this.agent.destroy();
  }

  private send(headers: Record<string, string>, body: Buffer): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const req = request({ host: this.url.hostname, port: this.url.port, path: '/', method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value === undefined || HOP_BY_HOP.has(name)) continue;
            out[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
