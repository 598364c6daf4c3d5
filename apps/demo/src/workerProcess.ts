/**
 * One demo consumer worker in its own process, so that the demo can SIGKILL it. Settings come as
 * JSON in SHARDLINE_DEMO_WORKER ({@link WorkerConfig}), endpoints and credentials in the usual
 * AWS_* variables. Everything its processors see goes to stdout, one {@link WorkerLine} per line;
 * logs (warn and up) go to stderr.
 *
 * SIGTERM/SIGINT stop it gracefully (`handleShutdownSignals`), and so does the end of stdin, so it
 * never outlives the demo. Once the worker has stopped the process exits by itself.
 */
import { createLogger, handleShutdownSignals, type RecordProcessor, type ShardCheckpointer, type ShardContext, Worker } from '@shardline/kcl-consumer';
import { setTimeout as delay } from 'node:timers/promises';
import type { WorkerConfig, WorkerLine } from './workerLine';

type Report = WorkerLine extends infer L ? (L extends unknown ? Omit<L, 'worker' | 't'> : never) : never;

const config = JSON.parse(process.env.SHARDLINE_DEMO_WORKER ?? 'null') as WorkerConfig | null;
if (!config?.workerId || !config.streamName || !config.applicationName) throw new Error('workerProcess: SHARDLINE_DEMO_WORKER must hold the worker settings as JSON');
const { workerId, workMs } = config;

// A write after the demo has gone fails with EPIPE; that alone must not crash the graceful stop.
process.stdout.on('error', () => undefined);
const report = (line: Report): void => void process.stdout.write(`${JSON.stringify({ ...line, worker: workerId, t: Date.now() })}\n`);
const errorName = (error: unknown): string => (error instanceof Error ? ((error as { code?: string }).code ?? error.name) : String(error));

/** A demo record is `<id> <padding>`. */
const idOf = (data: Buffer): string => data.toString('latin1', 0, data.includes(0x20) ? data.indexOf(0x20) : data.length);

let instances = 0;

/** The lifecycle processor: reports each batch, works on it, checkpoints it. */
function processor(shard: ShardContext): RecordProcessor {
  const base = { pi: ++instances, shardId: shard.shardId };
  const checkpoint = async (checkpointer: ShardCheckpointer): Promise<void> => {
    try {
      await checkpointer.checkpoint();
      report({ type: 'checkpointed', ...base, position: checkpointer.lastCheckpoint?.toString() ?? '' });
    } catch (error) {
      report({ type: 'checkpointFailed', ...base, error: errorName(error) });
      throw error;
    }
  };
  return {
    processRecords: async ({ records, checkpointer }) => {
      if (!records.length) return;
      report({ type: 'batch', ...base, records: records.map((r) => [idOf(r.data), r.sequenceNumber, r.subSequenceNumber]) });
      if (workMs > 0) await delay(workMs);
      // A refused checkpoint means the lease moved: the next holder resumes at the last checkpoint.
      await checkpoint(checkpointer).catch(() => undefined);
    },
    shardEnded: async ({ checkpointer }) => {
      report({ type: 'shardEnded', ...base });
      await checkpoint(checkpointer);
    },
    shutdownRequested: ({ checkpointer }) => checkpoint(checkpointer),
    leaseLost: () => report({ type: 'leaseLost', ...base }),
  };
}

const worker = new Worker({
  applicationName: config.applicationName,
  streamName: config.streamName,
  workerId,
  initialPosition: 'TRIM_HORIZON',
  failoverTimeMs: config.failoverTimeMs,
  idleTimeBetweenReadsMs: 250,
  processingRetryBackoff: { baseDelayMs: 50, maxDelayMs: 1_000 },
  processor,
  logger: createLogger({ level: (process.env.SHARDLINE_LOG_LEVEL as 'warn' | undefined) ?? 'warn', name: workerId, destination: 2 }),
  // The status page (@shardline/kcl-consumer's opt-in status server): `/`, `/status.json`; its URL is `worker.statusUrl`.
  ...(config.statusServer ? { statusServer: { host: '127.0.0.1', port: 0 } } : {}),
});
worker.coordinator.on('leaseAcquired', (lease) => report({ type: 'lease', event: 'acquired', leaseKey: lease.leaseKey }));
worker.coordinator.on('leaseLost', (lease) => report({ type: 'lease', event: 'lost', leaseKey: lease.leaseKey }));
worker.coordinator.on('leaseReleased', (lease) => report({ type: 'lease', event: 'released', leaseKey: lease.leaseKey }));
const lagTimer = setInterval(() => report({ type: 'shards', shards: worker.shards.map((s) => ({ shardId: s.shardId, lagMs: s.millisBehindLatest })) }), 500);

let stopping: Promise<void> | undefined;
function shutdown(reason: string): void {
  stopping ??= (async () => {
    report({ type: 'stopping', reason });
    clearInterval(lagTimer);
    await worker.stop();
    report({ type: 'stopped' });
    process.stdin.destroy();
  })();
}

handleShutdownSignals(worker, { onSignal: (signal) => shutdown(signal) });
process.stdin.on('end', () => shutdown('stdin closed'));
process.stdin.resume();

worker.start().then(
  () => report({ type: 'ready', pid: process.pid, ...(worker.statusUrl ? { statusUrl: worker.statusUrl } : {}) }),
  (error: unknown) => {
    report({ type: 'failed', message: `${errorName(error)}: ${error instanceof Error ? error.message : String(error)}` });
    process.exitCode = 1;
    shutdown('start failed');
  },
);
