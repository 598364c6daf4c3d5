/**
 * One KCL worker in its own process, for the chaos test (so that it can be SIGKILLed).
 *
 * Configuration comes from the environment: the emulators' AWS_* variables, and
 * SHARDLINE_CHAOS_{STREAM,APP,WORKER,FAILOVER_MS,IDLE_MS,WORK_MS}, and for enhanced fan-out
 * SHARDLINE_CHAOS_RETRIEVAL=fanout with SHARDLINE_CHAOS_FANOUT_ENDPOINT (the test front's URL). Everything the processors see goes to
 * stdout as one JSON line per event (see {@link ChaosLine} in `recording.ts`); logs (warn and up) go
 * to stderr.
 *
 * SIGTERM/SIGINT stop the worker gracefully through `handleShutdownSignals`; so does the end of
 * stdin, so the process never outlives its parent. Once the worker has stopped, stdin is released
 * and the process exits by itself: a handle the worker left open keeps it alive, and the parent
 * reports that.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger, handleShutdownSignals, type RecordProcessor, type ShardCheckpointer, type ShardContext, Worker } from '../../src';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`workerProcess: ${name} is not set`);
  return value;
}

const workerId = required('SHARDLINE_CHAOS_WORKER');

// The parent reads stdout line by line; a write after the parent has gone fails with EPIPE, and
// that alone must not crash the worker before the end of stdin has stopped it gracefully.
process.stdout.on('error', (error) => process.stderr.write(`${workerId}: stdout: ${String(error)}\n`));

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ...line, worker: workerId, t: Date.now() })}\n`);
}

function errorName(error: unknown): string {
  if (error instanceof Error) return (error as Error & { code?: string }).code ?? error.name;
  return String(error);
}

/** Simulated work per batch, between reporting it and checkpointing it, in ms. */
const workMs = Number(process.env.SHARDLINE_CHAOS_WORK_MS ?? 0);

let instances = 0;

/** The lifecycle processor: reports every call, checkpoints after each batch. */
function processor(shard: ShardContext): RecordProcessor {
  const base = { pi: ++instances, shardId: shard.shardId };
  const checkpoint = async (checkpointer: ShardCheckpointer, during: string): Promise<void> => {
    try {
      await checkpointer.checkpoint();
      emit({ type: 'checkpointed', ...base, during, position: checkpointer.lastCheckpoint?.toString() });
    } catch (error) {
      emit({ type: 'checkpointFailed', ...base, during, error: errorName(error) });
      throw error;
    }
  };
  return {
    initialize: (input) => emit({ type: 'initialize', ...base, checkpoint: input.checkpoint.toString() }),
    processRecords: async ({ records, checkpointer }) => {
      emit({ type: 'batch', ...base, records: records.map((r) => [r.data.toString(), r.sequenceNumber, r.subSequenceNumber]) });
      if (workMs > 0) await delay(workMs);
      // A refused checkpoint (the lease moved) is reported and not retried: retrying the batch
      // would process it again here, and the next holder starts from the last checkpoint anyway.
      await checkpoint(checkpointer, 'processRecords').catch(() => undefined);
    },
    shardEnded: async ({ checkpointer }) => {
      emit({ type: 'shardEnded', ...base });
      await checkpoint(checkpointer, 'shardEnded');
    },
    shutdownRequested: async ({ checkpointer }) => {
      emit({ type: 'shutdownRequested', ...base });
      await checkpoint(checkpointer, 'shutdownRequested');
    },
    leaseLost: () => emit({ type: 'leaseLost', ...base }),
  };
}

// Fan-out: a stock client (its default HTTP/2 handler) pointed at the front; the worker's own client stays on kinesalite.
const fanOutClient =
  process.env.SHARDLINE_CHAOS_RETRIEVAL === 'fanout'
    ? new KinesisClient({
        region: required('AWS_REGION'),
        endpoint: required('SHARDLINE_CHAOS_FANOUT_ENDPOINT'),
        credentials: { accessKeyId: required('AWS_ACCESS_KEY_ID'), secretAccessKey: required('AWS_SECRET_ACCESS_KEY') },
        maxAttempts: 1,
      })
    : undefined;

const worker = new Worker({
  applicationName: required('SHARDLINE_CHAOS_APP'),
  streamName: required('SHARDLINE_CHAOS_STREAM'),
  workerId,
  initialPosition: 'TRIM_HORIZON',
  failoverTimeMs: Number(required('SHARDLINE_CHAOS_FAILOVER_MS')),
  idleTimeBetweenReadsMs: Number(process.env.SHARDLINE_CHAOS_IDLE_MS ?? 250),
  processingRetryBackoff: { baseDelayMs: 50, maxDelayMs: 1_000 },
  processor,
  ...(fanOutClient ? { retrieval: 'fanout' as const, fanout: { kinesisClient: fanOutClient, registrationPollMs: 100 } } : {}),
  logger: createLogger({ level: (process.env.SHARDLINE_CHAOS_LOG_LEVEL as 'warn' | undefined) ?? 'warn', name: workerId, destination: 2 }),
});
worker.coordinator.on('leaseAcquired', (lease) => emit({ type: 'lease', event: 'acquired', leaseKey: lease.leaseKey }));
worker.coordinator.on('leaseLost', (lease, reason) => emit({ type: 'lease', event: 'lost', leaseKey: lease.leaseKey, reason }));
worker.coordinator.on('leaseReleased', (lease) => emit({ type: 'lease', event: 'released', leaseKey: lease.leaseKey }));

let stopping: Promise<void> | undefined;
function shutdown(reason: string): void {
  stopping ??= (async () => {
    emit({ type: 'stopping', reason });
    await worker.stop();
    fanOutClient?.destroy();
    emit({ type: 'stopped' });
    process.stdin.destroy();
  })();
}

handleShutdownSignals(worker, { onSignal: (signal) => shutdown(signal) });
process.stdin.on('end', () => shutdown('stdin closed'));
process.stdin.resume();

worker.start().then(
  () => emit({ type: 'ready', pid: process.pid }),
  (error: unknown) => {
    emit({ type: 'failed', error: errorName(error), message: error instanceof Error ? error.message : String(error) });
    process.exitCode = 1;
    shutdown('start failed');
  },
);
