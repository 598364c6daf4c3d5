import fc from 'fast-check';
import { deaggregate } from '@shardline/kpl-aggregation';
import { evenShardMap, quietLogger, ScriptedPutter, SwitchableShardMapSource } from '../test/scriptedPutter';
import { Producer } from './Producer';

type Fault = 'ok' | 'PTEE' | 'InternalFailure' | 'KMSDisabledException';

describe('Producer (property)', () => {
  it('settles every record exactly once: written once if resolved, never written if rejected; ordered mode keeps per-key order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 300 })), { minLength: 1, maxLength: 150 }),
        fc.array(fc.constantFrom<Fault>('ok', 'ok', 'ok', 'PTEE', 'InternalFailure', 'KMSDisabledException'), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 5 }),
        async (records, faults, ordered, requestErrors, shards) => {
          const map = evenShardMap(shards);
          const putter = new ScriptedPutter(map);
          let i = 0;
          putter.entryFault = () => {
            const f = faults[i++ % faults.length]!;
            return f === 'ok' ? undefined : { errorCode: f === 'PTEE' ? 'ProvisionedThroughputExceededException' : f };
          };
          if (requestErrors) {
            putter.before = (call) => {
              if (call.call % 4 === 2) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
            };
          }
          const producer = new Producer({
            streamName: 'prop',
            putter,
            shardMapSource: new SwitchableShardMapSource(map),
            logger: quietLogger,
            ordered,
            maxBufferedTimeMs: 1,
            maxAggregateBytes: 512,
            maxBufferedRecords: 40,
            retryBackoff: { baseDelayMs: 0, maxDelayMs: 2 },
            recordTtlMs: 300,
          });
          // Each record carries its own id (4 bytes, then `size` bytes of filler): zero-size payloads
          // and equal payloads stay distinguishable, so losses and duplicates cannot cancel out.
          const payload = (n: number, size: number): Buffer => {
            const data = Buffer.alloc(4 + size, n % 256);
            data.writeUInt32BE(n, 0);
            return data;
          };
          const outcomes = await Promise.allSettled(records.map(([key, size], n) => producer.put(payload(n, size), `key-${key}`).then(() => n)));
          await producer.close();
          const written = putter.written.flatMap((w) => deaggregate({ Data: w.entry.Data, PartitionKey: w.entry.PartitionKey, SequenceNumber: w.sequenceNumber }));
          const writtenIds = written.map((u) => {
            const n = u.data.readUInt32BE(0);
            // The record was written whole, under its own key.
            expect(u.data.equals(payload(n, records[n]![1]))).toBe(true);
            expect(u.partitionKey).toBe(`key-${records[n]![0]}`);
            return n;
          });
          const resolvedIds: number[] = [];
          const rejectedIds = new Set<number>();
          outcomes.forEach((o, n) => {
            if (o.status === 'fulfilled') resolvedIds.push(n);
            else {
              rejectedIds.add(n);
              expect(['AwsServiceError', 'RecordExpiredError']).toContain((o.reason as Error).name);
            }
          });
          // Written ids = resolved ids, each exactly once (the scripted putter never loses a response),
          // and no rejected record was written.
          expect([...writtenIds].sort((a, b) => a - b)).toEqual(resolvedIds);
          expect(writtenIds.filter((n) => rejectedIds.has(n))).toEqual([]);
          if (ordered) {
            for (let key = 0; key <= 12; key++) {
              const expected = resolvedIds.filter((n) => records[n]![0] === key);
              const got = written.filter((u) => u.partitionKey === `key-${key}`).map((u) => u.data.readUInt32BE(0));
              expect(got).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
