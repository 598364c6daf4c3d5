import { ProtocolError, type Counter, type Gauge, type Logger, type Metrics } from '@shardline/core';
import type { Lease } from './Lease';
import { leaseFromItem, LEASE_ATTRIBUTES, type DynamoItem } from './LeaseSerializer';

/** The key of an item for messages, even when its `leaseKey` is not a string. @internal */
export function leaseKeyOf(item: DynamoItem): string {
  const key = item[LEASE_ATTRIBUTES.leaseKey];
  return typeof key?.S === 'string' ? key.S : `(leaseKey ${JSON.stringify(key ?? null)})`;
}

/**
 * Reads lease items and keeps account of those that cannot be read (a hand edit, a foreign tool, a
 * future format): each distinct item and problem is logged once at error with its key, every
 * refusal is counted (`dynamo_lease_malformed_items_total`), and the number found by the last full
 * scan is a gauge (`dynamo_lease_malformed_items`). Scans skip such items, as the KCL's
 * `DynamoDBLeaseRefresher` does ("Failed to deserialize lease"), so that one bad item never stops
 * the rest of the table being worked.
 * @internal
 */
export class MalformedLeaseItems {
  /** Items logged as malformed: lease key → the problem logged. */
  private readonly reported = new Map<string, string>();
  private readonly refused: Counter;
  private readonly lastScan: Gauge;

  constructor(
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.refused = metrics.counter({ name: 'dynamo_lease_malformed_items_total', help: 'Reads of lease items that could not be read (skipped by scans, refused by point reads)' });
    this.lastScan = metrics.gauge({ name: 'dynamo_lease_malformed_items', help: 'Lease items the last full scan skipped as malformed' });
  }

  /**
   * The lease of `item`.
   * @throws ProtocolError naming the key and the attribute when it is malformed (recorded first).
   */
  read(item: DynamoItem, operation: string): Lease {
    try {
      return leaseFromItem(item);
    } catch (cause) {
      const leaseKey = leaseKeyOf(item);
      const error = cause instanceof ProtocolError ? cause : new ProtocolError(`lease item ${JSON.stringify(leaseKey)} cannot be read: ${(cause as Error).message}`, { cause });
      this.refused.add(1);
      if (this.reported.get(leaseKey) !== error.message) {
        this.reported.set(leaseKey, error.message);
        this.logger.error({ leaseKey, problem: error.message, operation }, 'malformed lease item: skipped by scans and refused by reads until it is repaired or deleted');
      }
      throw error;
    }
  }

  /** The lease of `item`, or `undefined` (recorded as above) when it is malformed: what scans do. */
  skip(item: DynamoItem, operation: string): Lease | undefined {
    try {
      return this.read(item, operation);
    } catch {
      return undefined;
    }
  }

  /** After a complete scan: the gauge, and items that are readable again (or gone) are forgotten. */
  scanned(malformedKeys: ReadonlySet<string>, readableKeys: ReadonlySet<string>): void {
    this.lastScan.set(malformedKeys.size);
    for (const leaseKey of this.reported.keys()) {
      if (malformedKeys.has(leaseKey)) continue;
      this.reported.delete(leaseKey);
      if (readableKeys.has(leaseKey)) this.logger.info({ leaseKey }, 'lease item readable again');
    }
  }

  /** A point read found the item readable (or absent): forget it, so that a new problem is logged again. */
  readable(leaseKey: string): void {
    if (this.reported.delete(leaseKey)) this.logger.info({ leaseKey }, 'lease item readable again');
  }
}
