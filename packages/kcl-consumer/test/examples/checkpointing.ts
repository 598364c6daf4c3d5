// README "Checkpointing"; the README imports the package by name instead of ../../src.
import { kclExceptionName, type ProcessRecordsInput } from '../../src';
export async function processAndCheckpoint({ records, checkpointer }: ProcessRecordsInput, write: (data: Buffer) => Promise<void>): Promise<void> {
  for (const record of records) await write(record.data);
  try {
    await checkpointer.checkpoint(records[records.length - 1]); // a record, an ExtendedSequenceNumber or a sequence number
  } catch (error) {
    const name = kclExceptionName(error);
    if (name === 'ShutdownException') return; // the lease is gone: the next owner resumes at the last checkpoint
    if (name === 'ThrottlingException' || name === 'KinesisClientLibDependencyException') return; // the next checkpoint covers it
    throw error; // IllegalArgumentException, InvalidStateException: a bug; the batch is retried, then the lease released
  }
}
