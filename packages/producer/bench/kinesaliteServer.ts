// Runs kinesalite in its own process for the benchmark, so that the producer and the emulator do
// not share one CPU: prints {"endpoint": …} on stdout, stops when stdin closes.
import { startEmulators } from '@shardline/testkit';

async function main(): Promise<void> {
  const emulators = await startEmulators({ dynamodb: false });
  process.stdout.write(JSON.stringify({ endpoint: emulators.kinesisEndpoint }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => void emulators.stop().then(() => process.exit(0)));
}

void main();
