import type * as http from 'node:http';
import { type FrontContext, parseBody, rateExceeded } from './frontContext';
import { relay, sendError } from './kinesisHttp';
import { recordBytes } from './shardRouting';

interface GetRecordsOutput {
  readonly Records?: { Data?: unknown; PartitionKey?: unknown; SequenceNumber?: string }[];
  readonly NextShardIterator?: string;
  readonly MillisBehindLatest?: number;
}

/** GetShardIterator: forwarded; the iterator it returns is remembered with its shard. */
export async function handleGetShardIterator(ctx: FrontContext, headers: http.IncomingHttpHeaders, body: Buffer, res: http.ServerResponse): Promise<void> {
  const answer = await ctx.upstream.send(headers, body);
  const input = parseBody(body);
  if (answer.status === 200 && input && typeof input.StreamName === 'string' && typeof input.ShardId === 'string') {
    ctx.iterators.remember(parseBody(answer.body)?.ShardIterator, { streamName: input.StreamName, shardId: input.ShardId }, ctx.clock.now());
  }
  relay(res, answer);
}

/**
 * GetRecords: refused with HTTP 400 ProvisionedThroughputExceededException when the shard had its
 * calls for this second or still owes read bytes; else forwarded, cut at `maxGetRecordsBytes`, and
 * the bytes returned are charged to the shard.
 */
export async function handleGetRecords(ctx: FrontContext, headers: http.IncomingHttpHeaders, body: Buffer, res: http.ServerResponse): Promise<void> {
  ctx.stats.getRecordsCalls++;
  const target = ctx.iterators.find(parseBody(body)?.ShardIterator);
  if (!target) {
    ctx.stats.unlimitedCalls++;
    return relay(res, await ctx.upstream.send(headers, body));
  }
  const budget = ctx.budget(target.streamName, target.shardId);
  if (!budget.tryRead(ctx.clock.now())) {
    ctx.stats.throttledGetRecords++;
    return sendError(res, 'ProvisionedThroughputExceededException', rateExceeded(ctx, target.streamName, target.shardId));
  }
  const answer = await ctx.upstream.send(headers, body);
  if (answer.status !== 200) return relay(res, answer);

  const out = JSON.parse(answer.body.toString('utf8')) as GetRecordsOutput;
  const records = out.Records ?? [];
  let bytes = 0;
  let keep = records.length;
  for (let i = 0; i < records.length; i++) {
    const size = recordBytes(records[i]!.Data, records[i]!.PartitionKey) ?? 0;
    if (i > 0 && bytes + size > ctx.limits.maxGetRecordsBytes) {
      keep = i;
      break;
    }
    bytes += size;
  }
  budget.chargeRead(bytes, ctx.clock.now());
  ctx.stats.readBytes += bytes;
  if (keep === records.length) {
    ctx.iterators.remember(out.NextShardIterator, target, ctx.clock.now());
    return relay(res, answer);
  }
  // Cut at the size limit: the next call continues after the last record returned.
  ctx.stats.truncatedGetRecords++;
  const next = await ctx.upstream.call<{ ShardIterator?: string }>('GetShardIterator', {
    StreamName: target.streamName,
    ShardId: target.shardId,
    ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
    StartingSequenceNumber: records[keep - 1]!.SequenceNumber,
  });
  ctx.iterators.remember(next.ShardIterator, target, ctx.clock.now());
  relay(res, answer, JSON.stringify({ ...out, Records: records.slice(0, keep), NextShardIterator: next.ShardIterator, MillisBehindLatest: Math.max(1, out.MillisBehindLatest ?? 0) }));
}
