// README "The daemon from code"; the README imports the package by name instead of ../../src.
import { MultiLangDaemon } from '../../src';
export async function runDaemon(): Promise<void> {
  const daemon = new MultiLangDaemon({
    executableName: 'python3 record_processor.py', // started once per shard lease; split on spaces, no shell
    worker: {
      applicationName: 'orders-consumer', // also the lease table's name
      streamName: 'orders',
      initialPosition: 'TRIM_HORIZON',
      workerId: process.env.POD_NAME, // stable and unique per replica
    },
    childExitGraceMs: 5_000, // after stdin EOF: then SIGTERM, then SIGKILL
  });
  daemon.handleSignals(); // SIGTERM/SIGINT: shutdownRequested to every child, then the leases are released
  await daemon.start();
}
