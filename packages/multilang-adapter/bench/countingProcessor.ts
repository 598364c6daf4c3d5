import type { RecordProcessor } from '@shardline/kcl-consumer';

/**
 * The processor both bench contenders run, the same code in-process (under the kcl-consumer
 * Worker) and in the MultiLang child (under runMultiLangProcessor): it counts each batch, then
 * checkpoints it (`checkpoint()`: the last record delivered), so both sides write one checkpoint
 * per batch and wait for it before the next.
 */
export function countingProcessor(onBatch: (records: number) => void): RecordProcessor {
  return {
    async processRecords({ records, checkpointer }) {
      onBatch(records.length);
      await checkpointer.checkpoint();
    },
    async shardEnded({ checkpointer }) {
      await checkpointer.checkpoint();
    },
  };
}
