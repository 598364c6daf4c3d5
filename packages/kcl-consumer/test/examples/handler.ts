// README "Example: the simple handler"; the README imports the package by name instead of ../../src.
import { handleShutdownSignals, Worker } from '../../src';
import { saveOrder } from './app'; // your code
export async function consumeOrders(): Promise<void> {
  const worker = new Worker({
    applicationName: 'orders-app', // also the lease table's name
    streamName: 'orders',
    initialPosition: 'TRIM_HORIZON', // where a new application starts; later runs resume at their checkpoints
    workerId: process.env.POD_NAME, // stable and unique per replica (see "Choosing worker ids")
    handler: async (records, { shardId }) => {
      for (const record of records) await saveOrder(shardId, JSON.parse(record.data.toString('utf8')));
    }, // resolves: the batch is checkpointed; throws: the same batch again, after a backoff
  });
  handleShutdownSignals(worker); // SIGTERM/SIGINT: finish the batch, checkpoint, release the leases
  await worker.start();
}
