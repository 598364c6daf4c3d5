// Producer throughput on a stream that throttles as AWS does.
//
// kinesalite and testkit's limits front run in a child process of their own (startEmulatorProcess
// with limits): 4 shards, each taking 1,000 records/s and 1 MiB/s (data + partition key), answering
// ProvisionedThroughputExceededException per entry beyond that. Three contenders, the same 100 B
// records under the same unique keys, the same concurrency (24 calls in flight, the producer's
// default), each on a fresh stream:
//   - the producer with its defaults (150 % rate limit + AIMD, 50 KiB aggregates, 5 MiB calls),
//   - a raw PutRecords loop (500 unaggregated records per call, retry of throttled entries with backoff),
//   - a hand-written loop on kpl-aggregation's ShardAggregator (same aggregates and calls, same retries).
// Each run warms up (spending the shards' one-second burst), then measures a window; rounds rotate
// the order, and the lines are medians. Then the figures without limits (kinesalite's own cost, and
// the producer pipeline without I/O), labelled as such.
import { createEmulatorKinesisClient, startEmulatorProcess, stopEmulatorProcess } from '@shardline/testkit';
import { CONCURRENCY, type Contender, measure, median, print, SHARDS, STREAM_BYTES_PER_SECOND, STREAM_RECORDS_PER_SECOND, type Sustained, USER_RECORD_BYTES } from './benchSupport';
import { handAggregatorContender, producerContender, rawContender } from './limitedContenders';
import { noopPipelineLines, unlimitedKinesaliteLines } from './unlimitedLines';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 4_000);

const CONTENDERS: readonly Contender[] = [producerContender, rawContender, handAggregatorContender];

async function main(): Promise<void> {
  const emulator = await startEmulatorProcess('kinesis', { limits: true });
  // The stock SDK client over HTTP/1.1, SDK retries off (the producer's own retries and the loops' count).
  const limited = createEmulatorKinesisClient(emulator.endpoint);
  const unlimited = createEmulatorKinesisClient(emulator.unlimitedEndpoint);
  try {
    const runs = new Map<string, Sustained[]>(CONTENDERS.map((c) => [c.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate who goes first: producer/raw/hand, raw/hand/producer, hand/producer/raw, …
      for (let k = 0; k < CONTENDERS.length; k++) {
        const contender = CONTENDERS[(round + k) % CONTENDERS.length]!;
        runs.get(contender.name)!.push(await measure(contender, limited, emulator.endpoint, WARMUP_MS, WINDOW_MS));
      }
    }
    const med = (name: string, f: (s: Sustained) => number): number => median(runs.get(name)!.map(f));
    const range = (name: string, f: (s: Sustained) => number): string => {
      const v = runs.get(name)!.map(f);
      return `${Math.min(...v).toFixed(2)}–${Math.max(...v).toFixed(2)}`;
    };
    const stream = `${SHARDS}-shard stream with AWS's limits enforced (${SHARDS} MiB/s, ${STREAM_RECORDS_PER_SECOND} records/s; testkit limits front), kinesalite + front in a child process`;
    const common = `100 B records under unique 8-char keys (${USER_RECORD_BYTES} B each), ${CONCURRENCY} calls in flight, median of ${ROUNDS} rounds (order rotated), ${WINDOW_MS / 1000} s window after ${WARMUP_MS / 1000} s warm-up, ${stream}`;
    const describe: Record<string, string> = {
      producer: 'producer defaults (rate limit 150 % + AIMD, 50 KiB aggregates, 5 MiB calls), send()',
      raw: 'raw PutRecords loop, 500 unaggregated records per call, throttled entries retried with jittered backoff',
      hand: "hand-written loop on kpl-aggregation's ShardAggregator (50 KiB aggregates, calls ≤ 500 records / 5 MiB), throttled aggregates retried with jittered backoff",
    };
    const label: Record<string, string> = { producer: 'producer-limited', raw: 'raw-putrecords-limited', hand: 'hand-shardaggregator-limited' };
    const credit = 'burst credit spent in the window (the shards hold one second of rate) not counted';
    for (const c of CONTENDERS) {
      const n = c.name;
      print(
        label[n]!,
        med(n, (s) => s.sustainedRecordsPerSecond),
        'records/s',
        `${describe[n]}; user records written per second, ${credit}; ${common}`,
      );
      print(label[n]!, med(n, (s) => s.sustainedUserBytesPerSecond) / 1e6, 'MB/s', `${describe[n]}; user bytes (data + key) written per second, ${credit}; ${common}`);
      print(
        `${label[n]}-fraction-of-byte-limit`,
        med(n, (s) => s.sustainedKinesisBytesPerSecond) / STREAM_BYTES_PER_SECOND,
        'x',
        `${describe[n]}; bytes the stream accepted per second (Kinesis records: data + key, aggregation framing included; ${credit}) / ${SHARDS} MiB/s; rounds ${range(n, (s) => s.sustainedKinesisBytesPerSecond / STREAM_BYTES_PER_SECOND)}; user bytes alone ${(med(n, (s) => s.sustainedUserBytesPerSecond) / STREAM_BYTES_PER_SECOND).toFixed(2)}; ${common}`,
      );
      if (n === 'raw') {
        print(
          'raw-putrecords-limited-fraction-of-record-limit',
          med(n, (s) => s.sustainedRecordsPerSecond) / STREAM_RECORDS_PER_SECOND,
          'x',
          `records written per second (${credit}) / ${STREAM_RECORDS_PER_SECOND} records/s, the limit unaggregated 100 B records hit first; ${describe[n]}; ${common}`,
        );
      }
    }
    const producer = med('producer', (s) => s.sustainedRecordsPerSecond);
    print(
      'producer-vs-raw-putrecords-limited',
      producer / med('raw', (s) => s.sustainedRecordsPerSecond),
      'x',
      `user records/s, producer over the raw loop, same records, same concurrency; ${common}`,
    );
    print(
      'producer-vs-hand-shardaggregator-limited',
      producer / med('hand', (s) => s.sustainedRecordsPerSecond),
      'x',
      `user records/s, producer over the hand-written ShardAggregator loop, same records, same concurrency; ${common}`,
    );
    for (const c of CONTENDERS) {
      const r = runs.get(c.name)!;
      const sent = r.map((s) => s.sentPerAccepted).filter((v) => v !== undefined);
      console.error(
        `# ${c.name}: accepted MiB/s with burst credit ${r.map((s) => (s.kinesisBytesPerSecond / 1_048_576).toFixed(2)).join(', ')}; sustained records/s ${r.map((s) => Math.round(s.sustainedRecordsPerSecond)).join(', ')}; throttled entries ${r.map((s) => s.throttledEntries).join(', ')}; unlimited calls ${r.map((s) => s.unlimitedCalls).join(', ')}` +
          (sent.length ? `; bytes sent per byte accepted ${sent.map((v) => v.toFixed(1)).join(', ')}` : ''),
      );
    }

    await unlimitedKinesaliteLines(unlimited);
  } finally {
    limited.destroy();
    unlimited.destroy();
    await stopEmulatorProcess(emulator);
  }
  await noopPipelineLines();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
