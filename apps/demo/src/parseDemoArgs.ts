import { InvalidArgumentError, integerOption } from '@shardline/core';
import { parseArgs } from 'node:util';

/** Demo settings, from the command line. */
export interface DemoArgs {
  /** Produce for this long (and until the scenario is done), in seconds; unused with {@link records}. */
  readonly durationSeconds: number;
  /** Produce exactly this many records instead of running for a duration. */
  readonly records: number | undefined;
  /** User records put per second. */
  readonly rate: number;
  /** Shards the stream starts with. */
  readonly shards: number;
  /** Worker processes at the start. */
  readonly workers: number;
  /** Bytes of data per user record. */
  readonly recordBytes: number;
  /** After the verification, keep the workers, the producer and the status page running until Ctrl-C. */
  readonly keepRunning: boolean;
  /** `--help`: print {@link demoUsage} and do nothing else. */
  readonly help: boolean;
}

interface Numeric {
  readonly flag: string;
  readonly key: 'durationSeconds' | 'records' | 'rate' | 'shards' | 'workers' | 'recordBytes';
  readonly value: string;
  readonly def: number | undefined;
  readonly min: number;
  readonly max: number;
  readonly help: string;
}

const NUMERIC: readonly Numeric[] = [
  { flag: 'duration', key: 'durationSeconds', value: 'S', def: 30, min: 6, max: 86_400, help: 'produce for S seconds (longer if the scenario needs it)' },
  { flag: 'records', key: 'records', value: 'N', def: undefined, min: 1, max: 10_000_000, help: 'produce exactly N records instead (at --rate)' },
  { flag: 'rate', key: 'rate', value: 'N', def: 1_000, min: 1, max: 50_000, help: 'user records per second' },
  { flag: 'shards', key: 'shards', value: 'N', def: 4, min: 1, max: 64, help: 'shards the stream starts with' },
  { flag: 'workers', key: 'workers', value: 'N', def: 3, min: 3, max: 16, help: 'worker processes at the start' },
  { flag: 'record-size', key: 'recordBytes', value: 'B', def: 100, min: 16, max: 1_000_000, help: 'bytes of data per record' },
];

/** The `--help` text, with every option's default. */
export function demoUsage(): string {
  const rows = [
    ...NUMERIC.map((o) => [`--${o.flag} ${o.value}`, `${o.help}${o.def === undefined ? '' : ` (default ${o.def})`}`]),
    ['--keep-running', 'after the verification keep the workers, the producer and the status page up until Ctrl-C'],
    ['-h, --help', 'print this help'],
  ];
  return [
    'usage: shardline-demo [options]',
    '',
    'A producer (KPL aggregation) writes to a stream that worker processes consume through a lease table;',
    'midway a shard is split, a worker is SIGKILLed, a new one starts and another stops gracefully; then',
    'the run is verified (exit code 1 when it fails). Embedded kinesalite + dynalite unless AWS_ENDPOINT_URL*',
    'is set. Worker 1 serves a status page; its address is printed at the start.',
    '',
    ...rows.map(([flag, text]) => `  ${flag!.padEnd(17)} ${text}`),
  ].join('\n');
}

/** Parses and validates the demo's command line (`node:util` `parseArgs`, strict). */
export function parseDemoArgs(argv: readonly string[]): DemoArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(NUMERIC.map((o) => [o.flag, { type: 'string' as const }])),
        'keep-running': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new InvalidArgumentError(`${(error as Error).message.split('\n')[0]} (see --help)`, { cause: error });
  }
  if (values.duration !== undefined && values.records !== undefined) throw new InvalidArgumentError('--duration and --records exclude each other (see --help)');
  const numbers = Object.fromEntries(
    NUMERIC.map((o) => {
      const text = values[o.flag] as string | undefined;
      const value = text === undefined ? undefined : /^\s*-?\d+\s*$/.test(text) ? Number(text) : text;
      return [o.key, o.def === undefined && value === undefined ? undefined : integerOption(`--${o.flag}`, value, o.def ?? 0, { min: o.min, max: o.max })];
    }),
  ) as Pick<DemoArgs, Numeric['key']>;
  // After the split there are shards + 1 open leases; the worker stopped gracefully must hold one.
  if (numbers.shards + 1 < numbers.workers)
    throw new InvalidArgumentError(`--shards must be at least --workers − 1 so that every worker holds a lease (got ${numbers.shards} shards, ${numbers.workers} workers)`);
  return { ...numbers, keepRunning: values['keep-running'] === true, help: values.help === true };
}
