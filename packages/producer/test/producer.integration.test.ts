import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createNoopLogger, createPromMetrics } from '@shardline/core';
import { createStream, uniqueName } from '@shardline/testkit';
import { Registry } from 'prom-client';
import { Producer, type PutResult } from '../src';
import { useKinesalite } from './kinesalite';
import { readAllShards, userRecords } from './readStream';

describe('Producer against kinesalite', () => {
  const k = useKinesalite();

  it('writes 100k records with random keys exactly once, each put resolved with where it landed', async () => {
    const streamName = uniqueName('prod');
    await createStream(k.kinesis, streamName, 4);
    const registry = new Registry();
    // The producer builds its own client (SDK retries off) from the emulator's environment.
    const producer = new Producer({ streamName, clientOptions: { env: k.emulators.env }, logger: createNoopLogger(), metrics: createPromMetrics(registry) });
    await producer.start();
    const n = 100_000;
    const sent = new Map<string, Buffer>();
    const puts: Promise<PutResult>[] = [];
    for (let i = 0; i < n; i++) {
      const key = randomBytes(1 + (i % 24)).toString('base64');
      if (sent.has(key)) continue;
      const data = randomBytes(10 + (i % 190));
      sent.set(key, data);
      puts.push(producer.put(data, key));
    }
    const results = await Promise.all(puts);
    await producer.close();

    const read = userRecords(await readAllShards(k.kinesis, streamName));
    expect(read.length).toBe(sent.size);
    const byKey = new Map(read.map((u) => [u.partitionKey, u]));
    expect(byKey.size).toBe(sent.size);
    // Plain comparisons: 600k jest expectations would take longer than the whole run.
    const mismatches: string[] = [];
    let i = 0;
    for (const [key, data] of sent) {
      const u = byKey.get(key);
      const r = results[i++]!;
      if (!u) mismatches.push(`${key}: missing`);
      else if (!u.data.equals(data)) mismatches.push(`${key}: data differs`);
      else if (!u.owned) mismatches.push(`${key}: on ${u.shardId}, which does not own it`);
      else if (r.shardId !== u.shardId || r.sequenceNumber !== u.sequenceNumber || r.subSequenceNumber !== u.subSequenceNumber) {
        mismatches.push(`${key}: put resolved with ${r.shardId}/${r.sequenceNumber}/${r.subSequenceNumber}, read from ${u.shardId}/${u.sequenceNumber}/${u.subSequenceNumber}`);
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    // Aggregation made 100k user records a few hundred Kinesis records.
    const text = await registry.metrics();
    const kinesisPut = Number(/shardline_producer_kinesis_records_put_total (\d+)/.exec(text)![1]);
    expect(kinesisPut).toBeLessThan(1000);
    expect(text).toContain(`shardline_producer_user_records_put_total ${sent.size}`);
    expect(text).toMatch(/shardline_producer_put_records_duration_seconds_count\{outcome="success"\} \d+/);
    expect(text).toContain('shardline_producer_records_total{outcome="success"}');
  });

  it('pipes a stream through writable() and finishes when every record is written', async () => {
    const streamName = uniqueName('prod');
    await createStream(k.kinesis, streamName, 2);
    const producer = new Producer({ streamName, client: k.kinesis, logger: createNoopLogger(), maxBufferedRecords: 500 });
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 5000; i++) yield { data: JSON.stringify({ i }), partitionKey: `user-${i % 97}` };
      })(),
    );
    await pipeline(source, producer.writable());
    expect(producer.outstanding).toBe(0);
    await producer.close();
    const read = userRecords(await readAllShards(k.kinesis, streamName));
    expect(read).toHaveLength(5000);
    // Per key, the stream holds the records in put order (no failures, so no reordering).
    const last = new Map<string, number>();
    for (const shard of new Set(read.map((u) => u.shardId))) {
      for (const u of read.filter((x) => x.shardId === shard)) {
        const i = (JSON.parse(u.data.toString()) as { i: number }).i;
        expect(i).toBeGreaterThan(last.get(u.partitionKey) ?? -1);
        last.set(u.partitionKey, i);
      }
    }
  });

  it('fails records for a stream that does not exist fast, with ResourceNotFoundError', async () => {
    const producer = new Producer({ streamName: uniqueName('missing'), client: k.kinesis, logger: createNoopLogger() });
    await expect(producer.start()).rejects.toMatchObject({ name: 'ResourceNotFoundError' });
    const started = Date.now();
    await expect(producer.put('x', 'k')).rejects.toMatchObject({ name: 'ResourceNotFoundError' });
    expect(Date.now() - started).toBeLessThan(5_000);
    await producer.close();
  });
});
