// README "Checkpointing in the child"; the README imports the package by name instead of ../../src.
import { runMultiLangProcessor } from '../../src';
import { Warehouse } from './app'; // your code: buffers rows, writes them in bulk

runMultiLangProcessor(({ shardId }) => {
  const warehouse = new Warehouse(shardId);
  return {
    async processRecords({ records, checkpointer }) {
      const stored = await warehouse.add(records); // what a bulk write stored, in order
      const last = stored[stored.length - 1];
      // Inside a KPL aggregate this is (sequenceNumber, n): after a restart only sub-records n+1… come again.
      if (last) await checkpointer.checkpoint(last.sequenceNumber, last.subSequenceNumber);
    },
    shardEnded: async ({ checkpointer }) => {
      await warehouse.flush();
      await checkpointer.checkpoint();
    },
  };
}).catch(() => process.exit(1));
