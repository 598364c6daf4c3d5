#!/usr/bin/env node
/**
 * The demo's command line: `--help`, live output (a panel on a terminal, plain lines otherwise),
 * Ctrl-C (everything started is cleaned up, exit code 130), exit code 1 when the verification fails.
 */
import { demoUsage, parseDemoArgs } from './parseDemoArgs';
import { runDemo } from './runDemo';

function main(): void {
  let args;
  try {
    args = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`shardline-demo: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (args.help) {
    process.stdout.write(`${demoUsage()}\n`);
    return;
  }
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) process.exit(130); // a second Ctrl-C: at once
    interrupt.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const tty = process.stdout.isTTY === true;
  runDemo(args, (line) => void process.stdout.write(`${line}\n`), { tty, columns: tty ? process.stdout.columns : undefined, signal: interrupt.signal })
    .then(
      (summary) => {
        process.exitCode = summary.passed ? 0 : 1;
      },
      (error: unknown) => {
        if (interrupt.signal.aborted) process.exitCode = 130;
        else {
          process.stderr.write(`shardline-demo: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
          process.exitCode = 1;
        }
      },
    )
    .finally(() => process.off('SIGINT', onSignal).off('SIGTERM', onSignal));
}

main();
