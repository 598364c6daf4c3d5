import { EventStreamCodec, type MessageHeaders } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';

/** The JSON a SubscribeToShardEvent carries (JSON 1.1 shapes: base64 blobs, epoch-second timestamps). */
export interface SubscribeToShardEventBody {
  readonly Records: readonly Record<string, unknown>[];
  readonly ContinuationSequenceNumber?: string;
  readonly MillisBehindLatest: number;
  readonly ChildShards?: readonly { ShardId: string; ParentShards: string[]; HashKeyRange: { StartingHashKey: string; EndingHashKey: string } }[];
}

/** Encodes the event-stream messages of a SubscribeToShard response (`application/vnd.amazon.eventstream`). */
export class EventFrames {
  private readonly codec = new EventStreamCodec(toUtf8, fromUtf8);

  /** The first message: the operation's (empty) initial response. */
  initialResponse(): Uint8Array {
    return this.event('initial-response', {});
  }

  subscribeToShardEvent(body: SubscribeToShardEventBody): Uint8Array {
    return this.event('SubscribeToShardEvent', body);
  }

  /** A modeled exception of the event stream (ResourceInUseException, InternalFailureException, KMS…). */
  exception(type: string, message: string): Uint8Array {
    const headers: MessageHeaders = {
      ':message-type': { type: 'string', value: 'exception' },
      ':exception-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    };
    return this.codec.encode({ headers, body: fromUtf8(JSON.stringify({ message })) });
  }

  private event(type: string, body: object): Uint8Array {
    const headers: MessageHeaders = {
      ':message-type': { type: 'string', value: 'event' },
      ':event-type': { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    };
    return this.codec.encode({ headers, body: fromUtf8(JSON.stringify(body)) });
  }
}
