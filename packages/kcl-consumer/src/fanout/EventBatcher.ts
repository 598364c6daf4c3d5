import type { ChildShard as SdkChildShard, SubscribeToShardEvent } from '@aws-sdk/client-kinesis';
import { ExtendedSequenceNumber, type HashKeyRange, type Metrics, parseHashKeyRange, ProtocolError } from '@shardline/core';
import type { ChildShard, DeaggregationOptions } from '@shardline/kinesis-poller';
import { plainUserRecord } from '@shardline/kinesis-poller/internal';
import { type DeaggregatedRecord, Deaggregator, hasKplMagic } from '@shardline/kpl-aggregation';
import type { RetrievedBatch } from '../Retrieval';
import type { SubscriptionPosition } from './SubscriptionPosition';

function childShardsOf(children: readonly SdkChildShard[] | undefined): ChildShard[] | undefined {
  if (!children || children.length === 0) return undefined;
  return children.map((c) => ({
    shardId: c.ShardId!,
    parentShardIds: [...(c.ParentShards ?? [])],
    range: c.HashKeyRange ? parseHashKeyRange(c.HashKeyRange, `child shard ${c.ShardId} HashKeyRange`) : undefined,
  }));
}

/**
 * Turns SubscribeToShard events into the batches the polling reader makes of GetRecords answers,
 * so that the shard consumer cannot tell them apart: KPL aggregates expanded by the same
 * {@link Deaggregator} (sub-sequence numbers; sub-records outside the shard's hash-key range
 * flagged in `report` mode, for the consumer to drop), records at or before the resume position
 * dropped, `lastPosition` the last user record delivered, and the shard-end batch (`SHARD_END`,
 * the child shards) for the event whose `ContinuationSequenceNumber` is null. An event that ends
 * the shard without naming its children (or names children without ending it) is refused with a
 * ProtocolError, as the KCL refuses it.
 * @internal
 */
export class EventBatcher {
  private readonly deaggregator: Deaggregator | undefined;
  private lastDelivered: ExtendedSequenceNumber | undefined;

  constructor(
    private readonly shardId: string,
    private readonly position: SubscriptionPosition,
    deaggregate: DeaggregationOptions | false,
    shardRange: HashKeyRange | undefined,
    metrics: Metrics,
  ) {
    const checkRange = deaggregate !== false && deaggregate.outOfRange !== undefined && shardRange !== undefined;
    this.deaggregator = deaggregate === false ? undefined : new Deaggregator({ ...deaggregate, ...(checkRange ? { shardRange } : {}), metrics });
  }

  /** The batch of one event; advances the subscription position to its continuation. */
  toBatch(event: SubscribeToShardEvent): RetrievedBatch {
    const ended = event.ContinuationSequenceNumber === undefined || event.ContinuationSequenceNumber === null;
    const children = childShardsOf(event.ChildShards);
    // As the KCL: a shard end names the children, and only a shard end does; anything else is a
    // broken event, refused before it changes any state (the subscription is made again).
    if (ended !== (children !== undefined)) {
      throw new ProtocolError(`SubscribeToShard event on ${this.shardId} with ${ended ? 'no ContinuationSequenceNumber and no' : 'a ContinuationSequenceNumber and'} ChildShards`);
    }
    const records: DeaggregatedRecord[] = [];
    for (const r of event.Records ?? []) {
      // As the polling reader: only aggregates go through the deaggregator; a plain record is
      // where Kinesis put it (maybe by an explicit hash key, which the record does not carry).
      if (this.deaggregator && r.Data !== undefined && hasKplMagic(r.Data)) {
        for (const u of this.deaggregator.iterate(r)) if (this.position.accepts(u.sequenceNumber, u.subSequenceNumber)) records.push(u);
      } else if (this.position.accepts(r.SequenceNumber ?? '', 0)) {
        records.push(plainUserRecord(r));
      }
    }
    const last = records[records.length - 1];
    if (last) this.lastDelivered = new ExtendedSequenceNumber(last.sequenceNumber, last.subSequenceNumber);
    this.position.advance(event.ContinuationSequenceNumber);
    if (ended) return this.endBatch(records, event.MillisBehindLatest, children);
    return { shardId: this.shardId, records, millisBehindLatest: event.MillisBehindLatest, shardEnded: false, childShards: undefined, lastPosition: this.lastDelivered };
  }

  /** The last batch of a shard. */
  endBatch(records: DeaggregatedRecord[], millisBehindLatest: number | undefined, childShards: ChildShard[] | undefined): RetrievedBatch {
    return { shardId: this.shardId, records, millisBehindLatest, shardEnded: true, childShards, lastPosition: ExtendedSequenceNumber.SHARD_END };
  }
}
