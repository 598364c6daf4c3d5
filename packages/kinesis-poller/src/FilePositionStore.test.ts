import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ExtendedSequenceNumber, ProtocolError, ShardlineError, ShutdownError } from '@shardline/core';
import { FilePositionStore } from './FilePositionStore';
import { MemoryPositionStore } from './MemoryPositionStore';

const p = (seq: string, sub = 0) => new ExtendedSequenceNumber(seq, sub);

describe('FilePositionStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'positions-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips positions by namespace, including sentinels and sub-sequence numbers', async () => {
    const file = path.join(dir, 'nested', 'positions.json');
    const store = new FilePositionStore(file);
    expect((await store.load('app/orders')).size).toBe(0);
    await store.save(
      'app/orders',
      new Map([
        ['shardId-000000000000', p('123', 4)],
        ['shardId-000000000001', ExtendedSequenceNumber.SHARD_END],
      ]),
    );
    await store.save('other', new Map([['shardId-000000000000', p('9')]]));
    await store.close();
    const reopened = new FilePositionStore({ path: file });
    expect(await reopened.load('app/orders')).toEqual(
      new Map([
        ['shardId-000000000000', p('123', 4)],
        ['shardId-000000000001', ExtendedSequenceNumber.SHARD_END],
      ]),
    );
    expect(await reopened.load('other')).toEqual(new Map([['shardId-000000000000', p('9')]]));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      namespaces: {
        'app/orders': { 'shardId-000000000000': { sequenceNumber: '123', subSequenceNumber: 4 }, 'shardId-000000000001': { sequenceNumber: 'SHARD_END', subSequenceNumber: 0 } },
        other: { 'shardId-000000000000': { sequenceNumber: '9', subSequenceNumber: 0 } },
      },
    });
  });

  it('serializes concurrent saves: the file ends with the last position of every shard and no temporary files', async () => {
    const file = path.join(dir, 'positions.json');
    const store = new FilePositionStore(file);
    await Promise.all(Array.from({ length: 50 }, (_, i) => store.save('ns', new Map([[`shard-${i % 5}`, p(String(i))]]))));
    expect(readdirSync(dir)).toEqual(['positions.json']);
    const loaded = await new FilePositionStore(file).load('ns');
    expect([...loaded].sort()).toEqual([0, 1, 2, 3, 4].map((s) => [`shard-${s}`, p(String(45 + s))]));
  });

  it('reports a corrupt file as a ProtocolError naming it', async () => {
    const file = path.join(dir, 'positions.json');
    writeFileSync(file, '{"version":1,"namespa');
    await expect(new FilePositionStore(file).load('ns')).rejects.toThrow(`position file ${file} is not valid JSON`);
    writeFileSync(file, '{"version":1,"namespaces":{"ns":{"s":{"sequenceNumber":"x1"}}}}');
    await expect(new FilePositionStore(file).load('ns')).rejects.toBeInstanceOf(ProtocolError);
    writeFileSync(file, '[]');
    await expect(new FilePositionStore(file).load('ns')).rejects.toThrow(/is not a version 1 position file/);
  });

  it('reports a write it cannot make as a ShardlineError, and refuses calls after close', async () => {
    const blocker = path.join(dir, 'file');
    writeFileSync(blocker, '');
    const store = new FilePositionStore(path.join(blocker, 'positions.json'));
    const error = await store.save('ns', new Map([['s', p('1')]])).catch((e: unknown) => e);
    expect(ShardlineError.isShardlineError(error) && error.code).toBe('SHARDLINE_POSITION_STORE');
    await store.close();
    await expect(store.load('ns')).rejects.toBeInstanceOf(ShutdownError);
  });

  it('validates its options', () => {
    expect(() => new FilePositionStore('')).toThrow('filePositionStore.path must not be empty');
    expect(() => new FilePositionStore({ path: 'x', fsync: 1 } as never)).toThrow('filePositionStore.fsync must be a boolean (got 1)');
  });
});

describe('MemoryPositionStore', () => {
  it('keeps namespaces apart and returns copies', async () => {
    const store = new MemoryPositionStore();
    await store.save('a', new Map([['s', p('1')]]));
    await store.save('a', new Map([['t', p('2')]]));
    const loaded = await store.load('a');
    expect(loaded).toEqual(
      new Map([
        ['s', p('1')],
        ['t', p('2')],
      ]),
    );
    expect((await store.load('b')).size).toBe(0);
    await store.close();
    await expect(store.save('a', new Map())).rejects.toBeInstanceOf(ShutdownError);
  });
});
