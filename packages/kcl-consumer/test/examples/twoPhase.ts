// README "Checkpointing", two-phase; the README imports the package by name instead of ../../src.
import type { InitializationInput, ProcessRecordsInput } from '../../src';
export async function commitWithState({ records, checkpointer }: ProcessRecordsInput, commit: () => Promise<void>): Promise<void> {
  const prepared = await checkpointer.prepareCheckpoint(undefined, Buffer.from(JSON.stringify({ batch: records.length })));
  await commit(); // e.g. a transaction elsewhere; a crash here leaves the pending checkpoint for the next owner
  await prepared.checkpoint();
}
export function pendingState(input: InitializationInput): unknown {
  return input.pendingCheckpointState && JSON.parse(Buffer.from(input.pendingCheckpointState).toString('utf8'));
}
