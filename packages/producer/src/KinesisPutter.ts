import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Putter, PutRecordsRequest, PutRecordsResponse, PutRecordsResultEntry } from './Putter';

/**
 * The default {@link Putter}: PutRecords through an SDK v3 `KinesisClient`. Give it a client built
 * with `maxAttempts: 1` so that the producer, not the SDK, decides about retries and every attempt
 * is counted once (the producer builds its own clients that way).
 * @public
 */
export class KinesisPutter implements Putter {
  constructor(readonly client: KinesisClient) {}

  async putRecords(request: PutRecordsRequest, signal: AbortSignal): Promise<PutRecordsResponse> {
    const command = new PutRecordsCommand({
      ...(request.streamArn !== undefined ? { StreamARN: request.streamArn } : { StreamName: request.streamName }),
      Records: request.records as PutRecordsCommand['input']['Records'],
    });
    const out = await this.client.send(command, { abortSignal: signal });
    const records: PutRecordsResultEntry[] = (out.Records ?? []).map((r) => ({
      shardId: r.ShardId,
      sequenceNumber: r.SequenceNumber,
      errorCode: r.ErrorCode,
      errorMessage: r.ErrorMessage,
    }));
    return { records };
  }
}
