import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
  type GetItemCommandOutput,
  type ScanCommandOutput,
  type TableDescription,
  type UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { awsErrorName, classifyAwsError, InvalidArgumentError, retry, ShutdownError, TimeoutError, type ExtendedSequenceNumber, type HashKeyRange, type Logger } from '@shardline/core';
import type { Lease } from './Lease';
import { LEASE_ATTRIBUTES as A, isLeaseItem, leaseToItem, numberValue, stringSetValue, type DynamoItem } from './LeaseSerializer';
import { leaseKeyOf, MalformedLeaseItems } from './MalformedLeaseItems';
import { resolveLeaseTableOptions, type LeaseTableOptions, type ResolvedLeaseTableOptions } from './resolveLeaseOptions';
import { UpdateExpressionBuilder } from './UpdateExpressionBuilder';

/** Any command of the DynamoDB client: what its generic `send()` accepts. */
type DynamoDbCommand = Parameters<DynamoDBClient['send']>[0];

/**
 * Outcome of a conditional lease write.
 * - `ok: true`: the write is in the table. `recoveredSpuriousRetry` is true when DynamoDB rejected
 *   a retry of a request whose first attempt had already been applied (the response was lost), and
 *   a consistent re-read showed exactly our write: the KCL's "spurious renewal failure … recovered".
 *   Only a request that was sent more than once (by the SDK or here), or whose earlier call on the
 *   same lease failed without an answer, can be recovered this way: a rejection of a request sent
 *   once is never our own write, even if the item shows exactly what we meant to write (a second
 *   process with the same worker id wrote it).
 * - `ok: false`: the condition failed because someone else changed the lease (or it is gone);
 *   `current` is the lease as re-read, `undefined` when it no longer exists.
 * @public
 */
export type LeaseWriteResult = { readonly ok: true; readonly lease: Lease; readonly recoveredSpuriousRetry: boolean } | { readonly ok: false; readonly current: Lease | undefined };

/** Options of {@link LeaseTable.listLeases}. @public */
export interface ListLeasesOptions {
  /** Strongly consistent scan. Default: the table's `consistentReads` (false). */
  readonly consistentRead?: boolean;
  /** Items per Scan page (DynamoDB `Limit`). Default: DynamoDB's 1 MB pages. */
  readonly pageSize?: number;
  /**
   * Attempts per Scan page on a retryable error, on top of the SDK's own retries. Default: the
   * table's `maxWriteAttempts` (3). A caller that retries on its own schedule (the taker) passes 1,
   * so that retries do not multiply under throttling.
   */
  readonly maxAttempts?: number;
}

/** Shard metadata written without touching the lease counter. @public */
export interface LeaseMetaInfo {
  /** Child shard ids, written when a shard ends. */
  readonly childShardIds?: readonly string[];
  /** The shard's hash-key range. */
  readonly hashKeyRange?: HashKeyRange;
}

const CONDITION_FAILED = 'ConditionalCheckFailedException';
/** While waiting for the table, what is waited for is logged at once and then this often. */
const WAIT_REPORT_INTERVAL_MS = 10_000;

function ownerValue(owner: string): AttributeValue {
  return { S: owner };
}

function sameSequence(a: ExtendedSequenceNumber | undefined, b: ExtendedSequenceNumber | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

/**
 * A KCL-compatible lease table in DynamoDB: schema, table creation and every lease read and write.
 *
 * Every mutation is conditional, as in the Java KCL (`DynamoDBLeaseRefresher`): create only if
 * absent; renew, take and checkpoint only if `leaseCounter` still has the value this worker last
 * saw; release and evict only if the owner is the expected one. A failed condition is re-read
 * (consistently) and classified: if the request was sent more than once (or an earlier write of
 * this lease failed without an answer) and the item shows exactly our write, a retry of an applied
 * request is what failed and the write counts as done; otherwise the lease was lost.
 *
 * Items that cannot be read as leases are skipped by scans (logged once, counted) and refused by
 * point reads with a ProtocolError naming the key.
 * @public
 */
export class LeaseTable {
  /** The table name. */
  readonly tableName: string;
  private readonly options: ResolvedLeaseTableOptions;
  private readonly logger: Logger;
  private readonly malformed: MalformedLeaseItems;
  /**
   * Writes that failed without an answer, so may have been applied: lease key → "the item shows
   * that write". A later rejection on that lease showing it is our own write, not someone else's.
   */
  private readonly unanswered = new Map<string, (current: Lease) => boolean>();

  constructor(options: LeaseTableOptions) {
    this.options = resolveLeaseTableOptions(options);
    this.tableName = this.options.tableName;
    this.logger = this.options.logger.child({ component: 'LeaseTable', table: this.tableName });
    this.malformed = new MalformedLeaseItems(this.logger, this.options.metrics);
  }

  // ---------------------------------------------------------------- table

  /**
   * Creates the table (hash key `leaseKey` of type S, on-demand or provisioned billing) unless it
   * exists, then waits until it is ACTIVE and checks its key schema.
   * @returns true when this call created the table.
   */
  async createTableIfNotExists(signal?: AbortSignal): Promise<boolean> {
    let created = false;
    if ((await this.describeTable()) === undefined) {
      const billing = this.options.billingMode;
      try {
        await this.options.client.send(
          new CreateTableCommand({
            TableName: this.tableName,
            KeySchema: [{ AttributeName: A.leaseKey, KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: A.leaseKey, AttributeType: 'S' }],
            ...(billing === 'PAY_PER_REQUEST'
              ? { BillingMode: 'PAY_PER_REQUEST' as const }
              : { BillingMode: 'PROVISIONED' as const, ProvisionedThroughput: { ReadCapacityUnits: billing.readCapacity, WriteCapacityUnits: billing.writeCapacity } }),
          }),
        );
        created = true;
        this.logger.info({ billingMode: billing }, 'created lease table');
      } catch (error) {
        // Another worker created it between our describe and create: fine, wait for it.
        if (awsErrorName(error) !== 'ResourceInUseException') throw classifyAwsError(error);
      }
    }
    await this.waitUntilActive(signal);
    return created;
  }

  /**
   * Polls DescribeTable until the table is ACTIVE, then checks that it has the KCL key schema. When
   * it is not ACTIVE at once, logs what it waits for (table, status, time waited) right away and
   * every 10 s — at warn while the table does not exist, since nothing here will create it — and
   * once more when it is ready.
   * @throws TimeoutError after `tableActiveTimeoutMs`; ShutdownError when `signal` aborts;
   *   InvalidArgumentError when the table is not a lease table.
   */
  async waitUntilActive(signal?: AbortSignal): Promise<void> {
    const { clock, tableActiveTimeoutMs } = this.options;
    const startedAt = clock.monotonicNow();
    const deadline = startedAt + tableActiveTimeoutMs;
    let delayMs = 20;
    let nextReportAt = startedAt;
    let reported = false;
    for (;;) {
      const table = await this.describeTable();
      const status = table?.TableStatus ?? 'missing';
      const now = clock.monotonicNow();
      const waitedMs = Math.round(now - startedAt);
      if (table?.TableStatus === 'ACTIVE') {
        this.checkKeySchema(table);
        if (reported) this.logger.info({ tableName: this.tableName, waitedMs }, `lease table ${this.tableName} is ACTIVE`);
        return;
      }
      if (now >= deadline) {
        throw new TimeoutError(`lease table ${this.tableName} is not ACTIVE after ${tableActiveTimeoutMs} ms (status ${status})`, { retryable: false });
      }
      if (now >= nextReportAt) {
        reported = true;
        nextReportAt = now + WAIT_REPORT_INTERVAL_MS;
        const fields = { tableName: this.tableName, status, waitedMs, timeoutMs: tableActiveTimeoutMs };
        if (status === 'missing') this.logger.warn(fields, `waiting for lease table ${this.tableName} to be created elsewhere (this worker does not create it) and become ACTIVE`);
        else this.logger.info(fields, `waiting for lease table ${this.tableName} to become ACTIVE (status ${status})`);
      }
      if (!(await clock.sleep(delayMs, signal))) throw new ShutdownError(`stopped while waiting for lease table ${this.tableName} to become ACTIVE`);
      delayMs = Math.min(delayMs * 2, 1_000);
    }
  }

  private checkKeySchema(table: TableDescription): void {
    const keys = table.KeySchema ?? [];
    const type = table.AttributeDefinitions?.find((d) => d.AttributeName === A.leaseKey)?.AttributeType;
    if (keys.length !== 1 || keys[0]?.AttributeName !== A.leaseKey || keys[0]?.KeyType !== 'HASH' || type !== 'S') {
      const schema = keys.map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ');
      throw new InvalidArgumentError(`table ${this.tableName} is not a KCL lease table: key schema is [${schema}], expected hash key leaseKey of type S`);
    }
  }

  private async describeTable(): Promise<TableDescription | undefined> {
    try {
      const out = await this.options.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      return out.Table;
    } catch (error) {
      if (awsErrorName(error) === 'ResourceNotFoundException') return undefined;
      throw classifyAwsError(error);
    }
  }

  // ---------------------------------------------------------------- reads

  /**
   * Reads one lease; `undefined` when absent. Strongly consistent unless told otherwise, whatever
   * `consistentReads` says: point reads decide takes, lineage and rejected writes, and are rare.
   * @throws ProtocolError naming the key and the attribute when the item is not a readable lease
   *   (rather than `undefined`, which would read as "no such lease").
   */
  async getLease(leaseKey: string, consistentRead = true): Promise<Lease | undefined> {
    const out = await this.send<GetItemCommandOutput>(() => new GetItemCommand({ TableName: this.tableName, Key: { [A.leaseKey]: { S: leaseKey } }, ConsistentRead: consistentRead }));
    if (!out.Item || !isLeaseItem(out.Item)) return undefined;
    const lease = this.malformed.read(out.Item, 'getLease');
    this.malformed.readable(leaseKey);
    return lease;
  }

  /**
   * Every lease in the table, page by page (one Scan request per page); eventually consistent
   * unless `consistentReads` or `options.consistentRead` says otherwise. Items that are not
   * readable leases are skipped: logged at error once per item and problem, and counted.
   */
  async listLeases(options: ListLeasesOptions = {}): Promise<Lease[]> {
    const leases: Lease[] = [];
    const malformed = new Set<string>();
    let startKey: DynamoItem | undefined;
    do {
      const exclusiveStartKey = startKey;
      const out = await this.send<ScanCommandOutput>(
        () =>
          new ScanCommand({
            TableName: this.tableName,
            ConsistentRead: options.consistentRead ?? this.options.consistentReads,
            ...(options.pageSize ? { Limit: options.pageSize } : {}),
            ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
          }),
        false,
        options.maxAttempts,
      );
      for (const item of out.Items ?? []) {
        if (!isLeaseItem(item)) continue;
        const lease = this.malformed.skip(item, 'scan');
        if (lease) leases.push(lease);
        else malformed.add(leaseKeyOf(item));
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    this.malformed.scanned(malformed, new Set(leases.map((l) => l.leaseKey)));
    return leases;
  }

  // ---------------------------------------------------------------- writes

  /**
   * Writes a new lease unless an item with its key exists (`attribute_not_exists(leaseKey)`).
   * @returns true when this call created it.
   */
  async createLeaseIfNotExists(lease: Lease): Promise<boolean> {
    try {
      await this.send(
        () =>
          new PutItemCommand({
            TableName: this.tableName,
            Item: leaseToItem(lease),
            ConditionExpression: 'attribute_not_exists(#leaseKey)',
            ExpressionAttributeNames: { '#leaseKey': A.leaseKey },
          }),
        true,
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailure) return false;
      throw error;
    }
  }

  /**
   * Renews a held lease: `leaseCounter = counter + 1`, conditioned on the counter and owner being
   * what the holder last wrote and on no handoff being pending (`checkpointOwner` absent). A holder
   * handing the lease over (it is the `checkpointOwner`) renews on `checkpointOwner` instead, so
   * it can finish and checkpoint before {@link completeHandoff}.
   */
  async renewLease(lease: Lease): Promise<LeaseWriteResult> {
    const holder = requireHolder(lease, 'renewLease');
    const next = lease.leaseCounter + 1;
    const update = this.holderUpdate(lease, holder);
    return this.conditionalUpdate('renew', lease.leaseKey, update, (c) => holderOf(c) === holder && c.checkpointOwner === lease.checkpointOwner && c.leaseCounter === next);
  }

  /**
   * Takes a lease for `newOwner`: conditioned on the counter and owner observed in `lease`; sets the
   * owner, bumps the counter, clears `checkpointOwner`, and adds 1 to `ownerSwitchesSinceCheckpoint`
   * when the owner changes (as the KCL's `takeLease`). Used for expired, unowned and stolen leases.
   */
  async takeLease(lease: Lease, newOwner: string): Promise<LeaseWriteResult> {
    if (!newOwner) throw new InvalidArgumentError('takeLease needs a non-empty owner');
    const next = lease.leaseCounter + 1;
    const update = new UpdateExpressionBuilder()
      .expectEquals(A.leaseCounter, numberValue(lease.leaseCounter))
      .expectEqualsOrAbsent(A.leaseOwner, lease.leaseOwner === undefined ? undefined : ownerValue(lease.leaseOwner))
      .set(A.leaseOwner, ownerValue(newOwner))
      .set(A.leaseCounter, numberValue(next))
      .remove(A.checkpointOwner);
    if (lease.leaseOwner !== undefined && lease.leaseOwner !== newOwner) update.add(A.ownerSwitchesSinceCheckpoint, numberValue(1));
    return this.conditionalUpdate('take', lease.leaseKey, update, (c) => c.leaseOwner === newOwner && c.leaseCounter === next);
  }

  /**
   * Gives a held lease back: removes `leaseOwner` and bumps the counter, conditioned on owner and
   * counter, so peers can take it at once instead of waiting for it to expire.
   */
  async releaseLease(lease: Lease): Promise<LeaseWriteResult> {
    const owner = requireOwner(lease, 'releaseLease');
    const next = lease.leaseCounter + 1;
    const update = new UpdateExpressionBuilder()
      .expectEquals(A.leaseCounter, numberValue(lease.leaseCounter))
      .expectEquals(A.leaseOwner, ownerValue(owner))
      .set(A.leaseCounter, numberValue(next))
      .remove(A.leaseOwner)
      .remove(A.checkpointOwner);
    return this.conditionalUpdate('release', lease.leaseKey, update, (c) => c.leaseOwner === undefined && c.leaseCounter === next);
  }

  /**
   * Asks the live holder of a lease to hand it to `newOwner` (the KCL 3.x graceful handoff):
   * `leaseOwner` becomes `newOwner`, `checkpointOwner` the current holder, and the counter is
   * bumped; conditioned on the counter and owner observed and on no handoff being pending. The
   * holder notices at its next renewal, finishes and checkpoints, then {@link completeHandoff}s.
   */
  async requestHandoff(lease: Lease, newOwner: string): Promise<LeaseWriteResult> {
    const holder = requireOwner(lease, 'requestHandoff');
    if (!newOwner || newOwner === holder) throw new InvalidArgumentError('requestHandoff needs a new owner other than the holder');
    const next = lease.leaseCounter + 1;
    const update = new UpdateExpressionBuilder()
      .expectEquals(A.leaseCounter, numberValue(lease.leaseCounter))
      .expectEquals(A.leaseOwner, ownerValue(holder))
      .expectAbsent(A.checkpointOwner)
      .set(A.leaseOwner, ownerValue(newOwner))
      .set(A.checkpointOwner, ownerValue(holder))
      .set(A.leaseCounter, numberValue(next))
      .add(A.ownerSwitchesSinceCheckpoint, numberValue(1));
    return this.conditionalUpdate('requestHandoff', lease.leaseKey, update, (c) => c.leaseOwner === newOwner && c.checkpointOwner === holder && c.leaseCounter === next);
  }

  /**
   * Ends a handoff from the outgoing holder's side (it is the `checkpointOwner` of `lease`):
   * removes `checkpointOwner` and bumps the counter, so the new owner takes it at once.
   */
  async completeHandoff(lease: Lease): Promise<LeaseWriteResult> {
    if (lease.checkpointOwner === undefined) throw new InvalidArgumentError(`completeHandoff needs a lease being handed over (${lease.leaseKey} is not)`);
    const next = lease.leaseCounter + 1;
    const update = this.holderUpdate(lease, lease.checkpointOwner).remove(A.checkpointOwner);
    return this.conditionalUpdate('completeHandoff', lease.leaseKey, update, (c) => c.checkpointOwner === undefined && c.leaseOwner === lease.leaseOwner && c.leaseCounter === next);
  }

  /**
   * Evicts whoever owns a lease (the KCL's `evictLease`): removes `leaseOwner` and adds 1 to the
   * counter, conditioned only on the owner being `lease.leaseOwner`.
   */
  async evictLease(lease: Lease): Promise<LeaseWriteResult> {
    const owner = requireOwner(lease, 'evictLease');
    const update = new UpdateExpressionBuilder().expectEquals(A.leaseOwner, ownerValue(owner)).remove(A.leaseOwner).remove(A.checkpointOwner).add(A.leaseCounter, numberValue(1));
    return this.conditionalUpdate('evict', lease.leaseKey, update, (c) => c.leaseOwner === undefined);
  }

  /**
   * Commits a checkpoint for the holder of `lease`: sets `checkpoint` and
   * `checkpointSubSequenceNumber`, resets `ownerSwitchesSinceCheckpoint`, removes any pending
   * checkpoint, and bumps the counter; conditioned on counter and owner.
   */
  async checkpoint(lease: Lease, checkpoint: ExtendedSequenceNumber): Promise<LeaseWriteResult> {
    const holder = requireHolder(lease, 'checkpoint');
    const next = lease.leaseCounter + 1;
    const update = this.holderUpdate(lease, holder)
      .set(A.checkpoint, { S: checkpoint.sequenceNumber })
      .set(A.checkpointSubSequenceNumber, numberValue(checkpoint.subSequenceNumber))
      .set(A.ownerSwitchesSinceCheckpoint, numberValue(0))
      .remove(A.pendingCheckpoint)
      .remove(A.pendingCheckpointSubSequenceNumber)
      .remove(A.pendingCheckpointState);
    return this.conditionalUpdate(
      'checkpoint',
      lease.leaseKey,
      update,
      (c) => holderOf(c) === holder && c.leaseCounter === next && sameSequence(c.checkpoint, checkpoint) && c.pendingCheckpoint === undefined,
    );
  }

  /**
   * Writes a prepared (pending) checkpoint and its optional application state bytes, leaving
   * `checkpoint` as it is; bumps the counter; conditioned on counter and owner.
   */
  async prepareCheckpoint(lease: Lease, pending: ExtendedSequenceNumber, state?: Uint8Array): Promise<LeaseWriteResult> {
    const holder = requireHolder(lease, 'prepareCheckpoint');
    const next = lease.leaseCounter + 1;
    const update = this.holderUpdate(lease, holder)
      .set(A.pendingCheckpoint, { S: pending.sequenceNumber })
      .set(A.pendingCheckpointSubSequenceNumber, numberValue(pending.subSequenceNumber))
      .setOrRemove(A.pendingCheckpointState, state === undefined ? undefined : { B: state });
    return this.conditionalUpdate('prepareCheckpoint', lease.leaseKey, update, (c) => holderOf(c) === holder && c.leaseCounter === next && sameSequence(c.pendingCheckpoint, pending));
  }

  /**
   * Writes shard metadata (child shard ids, hash-key range) if the lease exists, without touching
   * the counter, so that it never interrupts the holder's renewals (the KCL's
   * `updateLeaseWithMetaInfo`). As there, an empty child list writes nothing (it never removes
   * `childShardIds`); when that leaves nothing to write, the lease is only read.
   * @returns the updated lease, or `undefined` when it does not exist.
   */
  async updateMetaInfo(leaseKey: string, info: LeaseMetaInfo): Promise<Lease | undefined> {
    if (info.childShardIds === undefined && info.hashKeyRange === undefined) throw new InvalidArgumentError('updateMetaInfo needs childShardIds or hashKeyRange');
    const children = info.childShardIds === undefined ? undefined : stringSetValue(info.childShardIds);
    if (children === undefined && info.hashKeyRange === undefined) return this.getLease(leaseKey);
    const update = new UpdateExpressionBuilder().expectExists(A.leaseKey);
    if (children) update.set(A.childShardIds, children);
    if (info.hashKeyRange !== undefined) {
      update.set(A.startingHashKey, { S: info.hashKeyRange.startingHashKey.toString() }).set(A.endingHashKey, { S: info.hashKeyRange.endingHashKey.toString() });
    }
    const wanted = children?.SS ? [...children.SS].sort().join(',') : undefined;
    const result = await this.conditionalUpdate('updateMetaInfo', leaseKey, update, (c) => wanted === undefined || c.childShardIds.join(',') === wanted);
    return result.ok ? result.lease : undefined;
  }

  /** Deletes a lease unconditionally, as the KCL's `deleteLease` (used once a shard is fully processed). */
  async deleteLease(leaseKey: string): Promise<void> {
    this.unanswered.delete(leaseKey);
    await this.send(() => new DeleteItemCommand({ TableName: this.tableName, Key: { [A.leaseKey]: { S: leaseKey } } }));
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * The fencing part of every write by the holder: counter and holder as last written, then
   * counter + 1. The holder is `leaseOwner`, or `checkpointOwner` while it hands the lease over.
   */
  private holderUpdate(lease: Lease, holder: string): UpdateExpressionBuilder {
    const update = new UpdateExpressionBuilder().expectEquals(A.leaseCounter, numberValue(lease.leaseCounter));
    if (lease.checkpointOwner === undefined) update.expectEquals(A.leaseOwner, ownerValue(holder)).expectAbsent(A.checkpointOwner);
    else update.expectEquals(A.checkpointOwner, ownerValue(holder));
    return update.set(A.leaseCounter, numberValue(lease.leaseCounter + 1));
  }

  /**
   * Sends a conditional update and classifies a rejection. `isOwnWrite` says whether an item shows
   * exactly this write; it is believed only when the write may really have been applied by us: this
   * request was sent more than once, or an earlier write of this lease failed without an answer.
   */
  private async conditionalUpdate(operation: string, leaseKey: string, update: UpdateExpressionBuilder, isOwnWrite: (current: Lease) => boolean): Promise<LeaseWriteResult> {
    const expressions = update.build();
    const earlier = this.unanswered.get(leaseKey);
    this.unanswered.delete(leaseKey);
    let failure: ConditionFailure;
    try {
      const out = await this.send<UpdateItemCommandOutput>(
        () =>
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: { [A.leaseKey]: { S: leaseKey } },
            ...expressions,
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        true,
      );
      return { ok: true, lease: this.malformed.read(out.Attributes ?? {}, operation), recoveredSpuriousRetry: false };
    } catch (error) {
      if (!(error instanceof ConditionFailure)) {
        // No answer (or none we could read): the write may be in the table all the same.
        this.unanswered.set(leaseKey, earlier ? (c) => isOwnWrite(c) || earlier(c) : isOwnWrite);
        throw error;
      }
      failure = error;
    }
    let current: Lease | undefined;
    try {
      // DynamoDB returns the item with the failure; emulators (dynalite) do not, so fall back to a read.
      current = failure.item && isLeaseItem(failure.item) ? this.malformed.read(failure.item, operation) : await this.getLease(leaseKey);
    } catch (error) {
      if (earlier) this.unanswered.set(leaseKey, earlier);
      throw error;
    }
    const mayBeOurs = failure.retried || (current !== undefined && earlier?.(current) === true);
    if (current && mayBeOurs && isOwnWrite(current)) {
      this.logger.info({ operation, leaseKey, leaseCounter: current.leaseCounter }, 'detected spurious conditional failure (a retry of an applied write) but recovered');
      return { ok: true, lease: current, recoveredSpuriousRetry: true };
    }
    this.logger.debug({ operation, leaseKey, currentOwner: current?.leaseOwner, currentCounter: current?.leaseCounter }, 'conditional write rejected');
    return { ok: false, current };
  }

  /**
   * Sends a request, retrying retryable failures a few times on top of the SDK's own retries; maps
   * errors to ShardlineErrors. With `conditional`, a failed condition is thrown as a
   * {@link ConditionFailure} rather than as an AWS error, and is never retried.
   */
  private async send<O>(make: () => unknown, conditional = false, maxAttempts = this.options.maxWriteAttempts): Promise<O> {
    const { clock, client } = this.options;
    return retry(
      async (attempt) => {
        try {
          // Each command class types send() for itself; one helper for them all passes them as the generic command.
          return (await client.send(make() as DynamoDbCommand)) as O;
        } catch (error) {
          if (conditional && awsErrorName(error) === CONDITION_FAILED) {
            const item = (error as { Item?: DynamoItem }).Item;
            // Sent more than once (our retries or the SDK's): an earlier attempt may be what fails the condition.
            const sdkAttempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
            throw new ConditionFailure(item && Object.keys(item).length ? item : undefined, attempt > 1 || sdkAttempts > 1, error);
          }
          throw classifyAwsError(error);
        }
      },
      {
        clock,
        maxAttempts,
        baseDelayMs: 25,
        maxDelayMs: 400,
        isRetryable: (e) => !(e instanceof ConditionFailure) && (e as { retryable?: boolean }).retryable === true,
        onRetry: (e, attempt, delayMs) => this.logger.warn({ err: e, attempt, delayMs }, 'retrying lease table request'),
      },
    );
  }
}

/** A failed ConditionExpression, with the current item when DynamoDB returned it. Internal. */
class ConditionFailure extends Error {
  constructor(
    readonly item: DynamoItem | undefined,
    /** The request was sent more than once: an earlier attempt may have been applied. */
    readonly retried: boolean,
    cause: unknown,
  ) {
    super(CONDITION_FAILED, { cause });
  }
}

/** Who writes a lease as its holder: the outgoing `checkpointOwner` during a handoff, else the owner. */
export function holderOf(lease: Lease): string | undefined {
  return lease.checkpointOwner ?? lease.leaseOwner;
}

function requireHolder(lease: Lease, operation: string): string {
  const holder = holderOf(lease);
  if (holder === undefined) throw new InvalidArgumentError(`${operation} needs a lease with an owner (${lease.leaseKey} has none)`);
  return holder;
}

function requireOwner(lease: Lease, operation: string): string {
  if (lease.leaseOwner === undefined) throw new InvalidArgumentError(`${operation} needs a lease with an owner (${lease.leaseKey} has none)`);
  return lease.leaseOwner;
}
