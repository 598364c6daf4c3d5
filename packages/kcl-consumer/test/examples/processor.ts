// README "Example: the lifecycle processor"; the README imports the package by name instead of ../../src.
import { type RecordProcessorFactory, type ShardCheckpointer, Worker } from '../../src';
import { Warehouse } from './app'; // your code: buffers rows, writes them in bulk
const loader: RecordProcessorFactory = ({ shardId }) => {
  const rows = new Warehouse(shardId);
  const commit = async (checkpointer: ShardCheckpointer): Promise<void> => {
    await rows.flush();
    await checkpointer.checkpoint();
  };
  return {
    initialize: ({ checkpoint }) => console.log(`${shardId} resumes after ${checkpoint.toString()}`),
    processRecords: async ({ records, checkpointer }) => {
      if (rows.add(records) >= 10_000) await commit(checkpointer);
    },
    shardEnded: ({ checkpointer }) => commit(checkpointer), // must checkpoint: SHARD_END lets the children start
    shutdownRequested: ({ checkpointer }) => commit(checkpointer), // the worker is stopping; the lease is still held
    leaseLost: () => rows.discard(), // another worker has the shard and resumes at the last checkpoint
  };
};
export const startLoader = (): Promise<void> => new Worker({ applicationName: 'warehouse-loader', streamName: 'orders', processor: loader }).start();
