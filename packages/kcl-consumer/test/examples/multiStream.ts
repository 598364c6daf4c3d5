// README "Several streams"; the README imports the package by name instead of ../../src.
import { Worker } from '../../src';
export function billingWorker(): Worker {
  return new Worker({
    applicationName: 'billing',
    streams: ['orders', { streamName: 'refunds', initialPosition: 'TRIM_HORIZON' }], // lease keys account:stream:epoch:shardId
    handler: (records, { streamName, shardId }) => console.log(streamName, shardId, records.length),
  });
}
