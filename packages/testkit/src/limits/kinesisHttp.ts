import * as http from 'node:http';
import { randomUUID } from 'node:crypto';

/** An HTTP answer of the emulator, body buffered. */
export interface KinesisAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

const JSON_11 = 'application/x-amz-json-1.1';
const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding', 'proxy-connection', 'upgrade', 'expect']);
const UPSTREAM_TIMEOUT_MS = 30_000;

/** Reads a whole request or response body. */
export function readBody(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** The emulator behind the front: one keep-alive agent for forwarded and own calls. */
export class KinesisUpstream {
  private readonly url: URL;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(endpoint: string) {
    this.url = new URL(endpoint);
  }

  /** Sends a body to the emulator with the client's headers (signature included: kinesalite does not verify it). */
  async send(headers: http.IncomingHttpHeaders, body: Buffer | string): Promise<KinesisAnswer> {
    const out: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
    out['content-length'] = Buffer.byteLength(body);
    try {
      return await this.once(out, body);
    } catch (error) {
      // A kept-alive socket the emulator closed as idle just as it was reused: the request never
      // reached it (Node's documented case for `reusedSocket`); send it again on a fresh one.
      if ((error as { reusedSocket?: boolean }).reusedSocket) return this.once(out, body);
      throw error;
    }
  }

  private once(headers: http.OutgoingHttpHeaders, body: Buffer | string): Promise<KinesisAnswer> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.url.hostname, port: this.url.port, path: '/', method: 'POST', headers, agent: this.agent }, (res) => {
        readBody(res).then((b) => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: b }), reject);
      });
      req.setTimeout(UPSTREAM_TIMEOUT_MS, () => req.destroy(new Error(`emulator did not answer within ${UPSTREAM_TIMEOUT_MS} ms`)));
      req.once('error', (error: NodeJS.ErrnoException) => {
        const early = req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
        reject(early ? Object.assign(error, { reusedSocket: true }) : error);
      });
      req.end(body);
    });
  }

  /** One call of the front's own (ListShards, GetShardIterator): JSON in, JSON out; throws on an error answer. */
  async call<T>(operation: string, input: object): Promise<T> {
    const headers = {
      'content-type': JSON_11,
      'x-amz-target': `Kinesis_20131202.${operation}`,
      'x-amz-date': '20240101T000000Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=shardline-limits/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
    };
    const answer = await this.send(headers, JSON.stringify(input));
    const parsed = JSON.parse(answer.body.toString('utf8') || '{}') as T & { __type?: string; message?: string };
    if (answer.status !== 200) throw Object.assign(new Error(`${operation}: ${parsed.__type ?? answer.status}: ${parsed.message ?? ''}`), { name: parsed.__type ?? 'UpstreamError' });
    return parsed;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Writes an answer of the emulator back to the client unchanged. */
export function relay(res: http.ServerResponse, answer: KinesisAnswer, body: Buffer | string = answer.body): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
  headers['content-length'] = Buffer.byteLength(body);
  res.writeHead(answer.status, headers);
  res.end(body);
}

/** Writes a JSON 1.1 answer of the front's own, as Kinesis shapes them. */
export function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': JSON_11, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': randomUUID() });
  res.end(body);
}

/** A Kinesis error answer: HTTP 400 with `{"__type": …, "message": …}`, as the SDK parses it into a typed exception. */
export function sendError(res: http.ServerResponse, type: string, message: string, status = 400): void {
  sendJson(res, status, { __type: type, message });
}
