import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';

/**
 * The stock SDK Kinesis client pointed at an emulator or a limits front: HTTP/1.1 (`NodeHttpHandler`
 * with keep-alive — the SDK's default HTTP/2 handler fails against kinesalite), dummy credentials,
 * SDK retries off by default so that every throttle reaches the caller. Destroy it when done.
 */
export function createEmulatorKinesisClient(endpoint: string, options: { readonly maxAttempts?: number; readonly maxSockets?: number } = {}): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'shardline-local', secretAccessKey: 'shardline-local' },
    maxAttempts: options.maxAttempts ?? 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 50 }) }),
  });
}
