import type * as http from 'node:http';
import { type FrontContext, parseBody, rateExceeded, streamNameOf } from './frontContext';
import { relay, sendError, sendJson } from './kinesisHttp';
import { hashKeyOf, recordBytes, type ShardTable } from './shardRouting';

interface EntryInput {
  readonly Data?: unknown;
  readonly PartitionKey?: unknown;
  readonly ExplicitHashKey?: unknown;
}

interface ResultEntry {
  readonly ShardId?: string;
  readonly SequenceNumber?: string;
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
}

/** Where each record goes and what it weighs. */
interface Placed {
  readonly shardId: string;
  readonly bytes: number;
}

const PTEE = 'ProvisionedThroughputExceededException';

function route(table: ShardTable, hashKeys: readonly bigint[], bytes: readonly number[]): Placed[] | undefined {
  const placed: Placed[] = [];
  for (let i = 0; i < hashKeys.length; i++) {
    const shard = table.find(hashKeys[i]!);
    if (!shard) return undefined;
    placed.push({ shardId: shard.shardId, bytes: bytes[i]! });
  }
  return placed;
}

/**
 * The shard and size of every record, or undefined when the front must not judge the call: a key or
 * data the emulator will reject (it validates the whole call), a stream it cannot list, or a hash
 * key no open shard owns even after reloading the map.
 */
async function place(ctx: FrontContext, streamName: string, entries: readonly EntryInput[]): Promise<Placed[] | undefined> {
  const hashKeys: bigint[] = [];
  const bytes: number[] = [];
  for (const e of entries) {
    const hashKey = e !== null && typeof e === 'object' ? hashKeyOf(e.PartitionKey, e.ExplicitHashKey) : undefined;
    const size = hashKey === undefined ? undefined : recordBytes(e.Data, e.PartitionKey);
    if (hashKey === undefined || size === undefined) return undefined;
    hashKeys.push(hashKey);
    bytes.push(size);
  }
  const table = await ctx.directory.get(streamName);
  if (!table) return undefined;
  const placed = route(table, hashKeys, bytes);
  if (placed) return placed;
  ctx.directory.invalidate(streamName);
  const fresh = await ctx.directory.get(streamName);
  return fresh && route(fresh, hashKeys, bytes);
}

async function forwardUnlimited(ctx: FrontContext, headers: http.IncomingHttpHeaders, body: Buffer, res: http.ServerResponse): Promise<void> {
  ctx.stats.unlimitedCalls++;
  relay(res, await ctx.upstream.send(headers, body));
}

/**
 * PutRecords: each entry is judged against its shard's budgets, in order; the admitted ones are
 * written by the emulator in one call, the others come back in place with
 * ProvisionedThroughputExceededException, and FailedRecordCount counts both kinds of failure —
 * the partial success a real stream answers with.
 */
export async function handlePutRecords(ctx: FrontContext, headers: http.IncomingHttpHeaders, body: Buffer, res: http.ServerResponse): Promise<void> {
  ctx.stats.putRecordsCalls++;
  const input = parseBody(body);
  const streamName = input && streamNameOf(input);
  const entries = input?.Records as EntryInput[] | undefined;
  // An empty or oversized call is the emulator's to refuse (a validation error, not a throttle).
  if (!input || !streamName || !Array.isArray(entries) || entries.length === 0 || entries.length > 500) return forwardUnlimited(ctx, headers, body, res);
  const placed = await place(ctx, streamName, entries);
  if (!placed) return forwardUnlimited(ctx, headers, body, res);

  const now = ctx.clock.now();
  const admitted: number[] = [];
  for (let i = 0; i < placed.length; i++) {
    if (!ctx.budget(streamName, placed[i]!.shardId).tryWrite(placed[i]!.bytes, now)) continue;
    admitted.push(i);
    // Counted when the budget is taken, so that the counters and the budget levels agree at any instant.
    ctx.stats.admittedPutEntries++;
    ctx.stats.admittedPutBytes += placed[i]!.bytes;
  }
  const throttled = entries.length - admitted.length;
  const throttledEntry = (i: number): ResultEntry => ({ ErrorCode: PTEE, ErrorMessage: rateExceeded(ctx, streamName, placed[i]!.shardId) });
  ctx.stats.throttledPutEntries += throttled;
  if (admitted.length === 0) return sendJson(res, 200, { FailedRecordCount: throttled, Records: placed.map((_, i) => throttledEntry(i)) });

  const refund = (indexes: readonly number[]): void => {
    const at = ctx.clock.now();
    for (const i of indexes) {
      ctx.budget(streamName, placed[i]!.shardId).refundWrite(placed[i]!.bytes, at);
      ctx.stats.admittedPutEntries--;
      ctx.stats.admittedPutBytes -= placed[i]!.bytes;
    }
  };
  const forwarded = throttled === 0 ? body : JSON.stringify({ ...input, Records: admitted.map((i) => entries[i]) });
  let answer;
  try {
    answer = await ctx.upstream.send(headers, forwarded);
  } catch (error) {
    refund(admitted);
    throw error;
  }
  if (answer.status !== 200) {
    refund(admitted);
    return relay(res, answer);
  }
  const out = JSON.parse(answer.body.toString('utf8')) as { FailedRecordCount?: number; Records: ResultEntry[] };
  let mispredicted = false;
  admitted.forEach((i, k) => {
    const r = out.Records[k];
    if (!r || r.ErrorCode) return refund([i]);
    if (r.ShardId !== placed[i]!.shardId) mispredicted = true;
  });
  // The emulator put a record elsewhere: its shards changed behind the front's back.
  if (mispredicted) ctx.directory.invalidate(streamName);
  if (throttled === 0) return relay(res, answer);
  const records: ResultEntry[] = placed.map((_, i) => throttledEntry(i));
  admitted.forEach((i, k) => (records[i] = out.Records[k]!));
  relay(res, answer, JSON.stringify({ ...out, FailedRecordCount: (out.FailedRecordCount ?? 0) + throttled, Records: records }));
}

/** PutRecord: one record; over the shard's budget the whole call fails with HTTP 400 ProvisionedThroughputExceededException. */
export async function handlePutRecord(ctx: FrontContext, headers: http.IncomingHttpHeaders, body: Buffer, res: http.ServerResponse): Promise<void> {
  ctx.stats.putRecordCalls++;
  const input = parseBody(body);
  const streamName = input && streamNameOf(input);
  const placed = input && streamName ? await place(ctx, streamName, [input]) : undefined;
  if (!streamName || !placed) return forwardUnlimited(ctx, headers, body, res);
  const { shardId, bytes } = placed[0]!;
  const budget = ctx.budget(streamName, shardId);
  if (!budget.tryWrite(bytes, ctx.clock.now())) {
    ctx.stats.throttledPutEntries++;
    ctx.stats.throttledPutRecordCalls++;
    return sendError(res, PTEE, rateExceeded(ctx, streamName, shardId));
  }
  ctx.stats.admittedPutEntries++;
  ctx.stats.admittedPutBytes += bytes;
  const refund = (): void => {
    budget.refundWrite(bytes, ctx.clock.now());
    ctx.stats.admittedPutEntries--;
    ctx.stats.admittedPutBytes -= bytes;
  };
  let answer;
  try {
    answer = await ctx.upstream.send(headers, body);
  } catch (error) {
    refund();
    throw error;
  }
  if (answer.status !== 200) refund();
  else {
    const out = parseBody(answer.body);
    if (out?.ShardId !== shardId) ctx.directory.invalidate(streamName);
  }
  relay(res, answer);
}
