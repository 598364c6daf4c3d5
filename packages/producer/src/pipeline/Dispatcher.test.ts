import { ManualClock, ShutdownError, TimeoutError } from '@shardline/core';
import { pendingRecord, settle, shardQueue } from '../../test/stageKit';
import type { PutRecordsRequest, PutRecordsResponse } from '../Putter';
import { Dispatcher, type PutRecordsCall } from './Dispatcher';
import { PutRecordsCollector } from './PutRecordsCollector';

function dispatcher(answer: (request: PutRecordsRequest) => Promise<PutRecordsResponse>, requestTimeoutMs = 1_000) {
  const clock = new ManualClock();
  const collector = new PutRecordsCollector(500, 5 * 1024 * 1024);
  const completed: { call: PutRecordsCall; response: PutRecordsResponse | undefined; error: unknown }[] = [];
  const sent: number[] = [];
  const requests: PutRecordsRequest[] = [];
  const stage = new Dispatcher({
    requestTimeoutMs,
    clock,
    putter: { putRecords: (request) => (requests.push(request), answer(request)) },
    streamRef: { streamName: 'orders' },
    collector,
    mapVersion: () => 3,
    failUnsent: () => fail('the call is sent'),
    completed: (call, response, error) => completed.push({ call, response, error }),
    sent: (now) => sent.push(now),
  });
  const q = shardQueue('shardId-0', { maxAggregateRecords: 1 });
  const collect = (...keys: string[]): void => {
    for (const k of keys) q.add(pendingRecord(k, 'v', k === 'ehk' ? { explicitHashKey: '12' } : {}), 0);
    for (let o = q.shiftReady(); o; o = q.shiftReady()) collector.add(o);
  };
  return { stage, clock, collect, completed, sent, requests, q };
}

describe('Dispatcher', () => {
  it('sends the collected records as one PutRecords call and counts it in flight until it answers', async () => {
    let answer!: (r: PutRecordsResponse) => void;
    const { stage, collect, completed, sent, requests, q } = dispatcher(() => new Promise((r) => (answer = r)));
    collect('a', 'ehk');
    stage.dispatch(42);
    expect(requests[0]).toMatchObject({ streamName: 'orders', records: [{ PartitionKey: 'a' }, { PartitionKey: 'ehk', ExplicitHashKey: '12' }] });
    expect(stage.callsInFlight).toBe(1);
    expect(q.hasCallsInFlight).toBe(true);
    expect(sent).toEqual([42]);
    answer({ records: [] });
    await settle();
    expect(stage.callsInFlight).toBe(0);
    expect(q.hasCallsInFlight).toBe(false);
    expect(completed[0]).toMatchObject({ call: { start: 42, mapVersion: 3, queues: [q] }, response: { records: [] }, error: undefined });
  });

  it('sends nothing when nothing was collected', () => {
    const { stage, requests } = dispatcher(() => fail('no call'));
    stage.dispatch(0);
    expect(requests).toEqual([]);
  });

  it('gives up on a call after requestTimeoutMs with TimeoutError', async () => {
    const { stage, clock, collect, completed } = dispatcher(() => new Promise(() => undefined), 500);
    collect('a');
    stage.dispatch(0);
    clock.advance(500);
    await settle();
    expect(completed[0]!.error).toBeInstanceOf(TimeoutError);
    expect(stage.callsInFlight).toBe(0);
  });

  it('abandons every call in flight on a hard close', async () => {
    const { stage, collect, completed } = dispatcher(() => new Promise(() => undefined));
    collect('a');
    stage.dispatch(0);
    stage.abandonAll(new ShutdownError('closing'));
    await settle();
    expect(completed[0]!.error).toBeInstanceOf(ShutdownError);
  });

  it('completes a putter that throws synchronously as a failed call', async () => {
    const { stage, collect, completed } = dispatcher(() => {
      throw new Error('bad putter');
    });
    collect('a');
    stage.dispatch(0);
    await settle();
    expect(String(completed[0]!.error)).toMatch(/bad putter/);
  });
});
