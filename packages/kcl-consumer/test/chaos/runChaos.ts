/**
 * The chaos run from the command line:
 *
 *   pnpm --filter @shardline/kcl-consumer chaos -- --minutes 2 [--rate 200] [--record FILE] [--retrieval fanout] [--quiet]
 *
 * Prints progress on stderr and the result as `chaos: <name> <value>` lines on stdout; the exit
 * code is 1 when a check failed, 130 after Ctrl-C (which still stops every worker process and
 * both emulators first; a second Ctrl-C leaves at once).
 */
import { parseArgs } from 'node:util';
import { runChaos } from './chaos';
import { formatChaosResult } from './chaosResult';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: runChaos [--minutes N] [--rate RECORDS_PER_SECOND] [--record FILE.jsonl] [--retrieval polling|fanout] [--quiet]\n`);
  process.exit(2);
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) usage(`--${name} must be a positive number (got ${JSON.stringify(text)})`);
  return value;
}

async function main(): Promise<void> {
  let values;
  try {
    // pnpm passes the `--` separator through to the script.
    ({ values } = parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--'),
      options: { minutes: { type: 'string' }, rate: { type: 'string' }, record: { type: 'string' }, retrieval: { type: 'string' }, quiet: { type: 'boolean', default: false } },
      strict: true,
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  const minutes = positive('minutes', values.minutes, 1);
  const recordsPerSecond = Math.round(positive('rate', values.rate, 200));

  const abort = new AbortController();
  const onInterrupt = (): void => {
    process.stderr.write('chaos: interrupted; stopping workers and emulators (Ctrl-C again to leave now)\n');
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
    abort.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  try {
    const result = await runChaos({
      durationMs: Math.round(minutes * 60_000),
      recordsPerSecond,
      signal: abort.signal,
      ...(values.record ? { recordingFile: values.record } : {}),
      ...(values.retrieval ? { retrieval: values.retrieval as 'polling' | 'fanout' } : {}),
      onProgress: values.quiet ? undefined : (m) => process.stderr.write(`chaos: … ${m}\n`),
    });
    for (const line of formatChaosResult(result)) process.stdout.write(`${line}\n`);
    if (!result.passed) {
      for (const [worker, tail] of Object.entries(result.workerStderr)) if (tail.length) process.stderr.write(`--- ${worker} stderr (last lines)\n${tail.join('\n')}\n`);
    }
    process.exitCode = result.passed ? 0 : 1;
  } catch (error) {
    if (abort.signal.aborted) {
      process.stdout.write('chaos: aborted true\n');
      process.exitCode = 130;
    } else {
      process.stdout.write(`chaos: error ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onInterrupt);
  }
}

void main();
