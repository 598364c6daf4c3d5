// Entry point of an emulator child process started by startEmulatorProcess.
import { serveEmulator } from './emulatorProcess';

void serveEmulator(process.argv[2] as 'kinesis' | 'dynamodb');
