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
          const outcomes = await Promise.allSettled(records.map(([key, size], n) => producer.put(Buffer.alloc(size, n % 256), `key-${key}`).then(() => n)));
          await producer.close();
          const written = putter.written.flatMap((w) => deaggregate({ Data: w.entry.Data, PartitionKey: w.entry.PartitionKey, SequenceNumber: w.sequenceNumber }));
          const writtenIds = written.map((u) => ({ key: u.partitionKey, id: u.data.length ? u.data[0]! : -1, size: u.data.length }));
          outcomes.forEach((o, n) => {
            const [key, size] = records[n]!;
            const copies = writtenIds.filter((w) => w.key === `key-${key}` && w.size === size && (size === 0 || w.id === n % 256)).length;
            if (o.status === 'fulfilled') expect(copies).toBeGreaterThanOrEqual(1);
            else expect(['AwsServiceError', 'RecordExpiredError']).toContain((o.reason as Error).name);
          });
          // Nothing is written more than once: the scripted putter never loses a response.
          expect(written.length).toBe(outcomes.filter((o) => o.status === 'fulfilled').length);
          if (ordered) {
            const accepted = new Set(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : [])));
            for (let key = 0; key <= 12; key++) {
              const expected = records.flatMap(([k, size], n) => (k === key && accepted.has(n) ? [`${size}:${size ? n % 256 : -1}`] : []));
              const got = written.filter((u) => u.partitionKey === `key-${key}`).map((u) => `${u.data.length}:${u.data.length ? u.data[0] : -1}`);
              expect(got).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
