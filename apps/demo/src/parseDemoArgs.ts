import { InvalidArgumentError, integerOption } from '@shardline/core';

/** Demo settings, from `--name value` flags. */
export interface DemoArgs {
  /** User records to produce. */
  readonly records: number;
  /** Consumer workers. */
  readonly workers: number;
  /** Shards the stream starts with. */
  readonly shards: number;
  /** Split a shard while producing (resharding). */
  readonly reshard: boolean;
  /** Stop one worker gracefully mid-run (lease handover). */
  readonly handover: boolean;
  /** Give up waiting for consumers after this long. */
  readonly timeoutMs: number;
}

const USAGE = 'usage: shardline-demo [--records N] [--workers N] [--shards N] [--no-reshard] [--no-handover] [--timeout-ms N]';

/** Parses and validates the demo's command line. */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new InvalidArgumentError(`unexpected argument ${JSON.stringify(arg)}; ${USAGE}`);
    const next = argv[i + 1];
    if (arg.startsWith('--no-') || next === undefined || next.startsWith('--')) flags.set(arg.slice(2), true);
    else flags.set(arg.slice(2), argv[++i]!);
  }
  const known = ['records', 'workers', 'shards', 'no-reshard', 'no-handover', 'timeout-ms', 'help'];
  for (const key of flags.keys()) if (!known.includes(key)) throw new InvalidArgumentError(`unknown option --${key}; ${USAGE}`);
  if (flags.has('help')) throw new InvalidArgumentError(USAGE);
  const num = (key: string, def: number, min: number, max: number): number => {
    const v = flags.get(key);
    return integerOption(`--${key}`, v === undefined ? undefined : Number(v), def, { min, max });
  };
  return {
    records: num('records', 20_000, 1, 10_000_000),
    workers: num('workers', 3, 1, 32),
    shards: num('shards', 4, 1, 64),
    reshard: !flags.has('no-reshard'),
    handover: !flags.has('no-handover'),
    timeoutMs: num('timeout-ms', 120_000, 1_000, 3_600_000),
  };
}
