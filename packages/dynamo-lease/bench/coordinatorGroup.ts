/**
 * A group of lease coordinators in one child process, for the scale benchmark (scale.bench.ts).
 * argv[2] is JSON: { endpoint, tableName, workerIds, failoverTimeMs }. Each coordinator has its own
 * DynamoDB client with a counting middleware: Scan requests, conditional writes (every write with a
 * ConditionExpression) and read capacity units as DynamoDB reports them (ReturnConsumedCapacity
 * TOTAL is added to reads; it changes neither the result nor the cost).
 * Prints `{"ready":true}` once built, starts every coordinator at once on a `go` line on stdin,
 * then every 200 ms one JSON line of cumulative counts and held leases per worker. Closes its
 * coordinators (releasing nothing: the parent only ends a group by SIGKILL or at the end) when stdin ends.
 */
import { createDynamoDbClient } from '@shardline/core';
import { injectFaults } from '@shardline/testkit';
import { createInterface } from 'node:readline';
import { LeaseCoordinator } from '../src';

interface GroupConfig {
  readonly endpoint: string;
  readonly tableName: string;
  readonly workerIds: readonly string[];
  readonly failoverTimeMs: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as GroupConfig;
const counts = { scans: 0, scanItems: 0, conditionalWrites: 0, failedConditionalWrites: 0, readUnits: 0, requests: 0 };
const READS = new Set(['ScanCommand', 'GetItemCommand', 'QueryCommand']);

const clients = config.workerIds.map(() => {
  const client = createDynamoDbClient({ endpoint: config.endpoint, env: {}, region: 'us-east-1' });
  injectFaults(client, {
    before: ({ commandName, input }) => {
      counts.requests++;
      if (commandName === 'ScanCommand') counts.scans++;
      if (READS.has(commandName)) input.ReturnConsumedCapacity = 'TOTAL';
      if (input.ConditionExpression !== undefined) counts.conditionalWrites++;
    },
    after: ({ commandName }, output) => {
      if (READS.has(commandName)) counts.readUnits += (output.ConsumedCapacity as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0;
      if (commandName === 'ScanCommand') counts.scanItems += (output.Items as unknown[] | undefined)?.length ?? 0;
    },
  });
  // A failed condition is an exception: count it on the way out.
  const countFailures = (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    try {
      return await next(args);
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') counts.failedConditionalWrites++;
      throw error;
    }
  };
  client.middlewareStack.add(countFailures as never, { step: 'initialize', name: 'benchConditionFailures', priority: 'low' });
  return client;
});

const coordinators = config.workerIds.map(
  (workerId, i) => new LeaseCoordinator({ tableName: config.tableName, workerId, failoverTimeMs: config.failoverTimeMs, client: clients[i]!, createTableIfNotExists: false }),
);
for (const c of coordinators) c.on('error', () => undefined);

function report(): void {
  const held: Record<string, number> = {};
  for (const c of coordinators) held[c.options.workerId] = c.heldLeases().length;
  process.stdout.write(JSON.stringify({ t: Date.now(), held, ...counts }) + '\n');
}

let timer: NodeJS.Timeout | undefined;
let closing = false;
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  clearInterval(timer);
  const bounded = new Promise((resolve) => setTimeout(resolve, 5_000).unref());
  await Promise.race([Promise.all(coordinators.map((c) => c.stop({ release: false }).catch(() => undefined))), bounded]);
  for (const client of clients) client.destroy();
  process.exit(0);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line.trim() !== 'go') return;
    for (const c of coordinators) c.start().catch((error: unknown) => process.stderr.write(`coordinator ${c.options.workerId} failed to start: ${String(error)}\n`));
    timer = setInterval(report, 200);
  })
  .on('close', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
process.stdout.write(JSON.stringify({ ready: true }) + '\n');
