import fs from 'node:fs';
import { evenShardMap, ScriptedPutter, SwitchableShardMapSource } from '../test/scriptedPutter';
import { Producer } from './Producer';
import { resolveProducerOptions } from './resolveProducerOptions';

// No package writes to stdout unless asked: without a `logger`, the producer logs nothing (as the
// poller and the lease coordinator), also on the paths that warn (throttled entries, retries).
describe('a producer without a logger', () => {
  it('resolves to a logger that writes nothing', () => {
    const { logger } = resolveProducerOptions({ streamName: 's' });
    expect(logger).toBeDefined();
  });

  it('writes nothing to stdout or stderr while it puts, retries and closes', async () => {
    const writes: string[] = [];
    const spies = [
      jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (writes.push(String(chunk)), true)),
      jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (writes.push(String(chunk)), true)),
      // pino writes to file descriptors 1 and 2 directly.
      jest.spyOn(fs, 'writeSync').mockImplementation((fd: number, data: string | NodeJS.ArrayBufferView) => {
        if (fd === 1 || fd === 2) writes.push(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString());
        // The whole line counts as written (a short count makes pino's writer retry).
        return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
      }),
    ];
    try {
      const map = evenShardMap(2);
      const putter = new ScriptedPutter(map);
      let throttled = 0;
      putter.entryFault = () => (throttled++ < 2 ? { errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'slow down' } : undefined);
      const producer = new Producer({ streamName: 'quiet', putter, shardMapSource: new SwitchableShardMapSource(map), maxBufferedTimeMs: 1, retryBackoff: { baseDelayMs: 1, maxDelayMs: 2 } });
      await Promise.all(['a', 'b', 'c'].map((k) => producer.put(`data-${k}`, k)));
      await producer.close();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(writes).toEqual([]);
  });
});
