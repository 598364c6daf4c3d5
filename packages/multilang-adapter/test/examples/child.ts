// README "The child side"; the README imports the package by name instead of ../../src.
import { runMultiLangProcessor } from '../../src';
import { saveOrder } from './app'; // your code

runMultiLangProcessor(({ shardId }) => ({
  async processRecords({ records, checkpointer }) {
    for (const record of records) await saveOrder(shardId, JSON.parse(record.data.toString('utf8')));
    await checkpointer.checkpoint(); // everything delivered so far
  },
  shardEnded: ({ checkpointer }) => checkpointer.checkpoint(), // SHARD_END: the child shards may start
  shutdownRequested: ({ checkpointer }) => checkpointer.checkpoint(), // the daemon is stopping
  leaseLost: () => console.log(`${shardId}: lease lost`), // to stderr: stdout carries the protocol
})).catch(() => process.exit(1)); // a call threw: exit without answering, so the batch comes again
