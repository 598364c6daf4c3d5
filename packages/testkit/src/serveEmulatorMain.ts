// Entry point of an emulator child process started by startEmulatorProcess.
import { type EmulatorProcessOptions, serveEmulator } from './emulatorProcess';

void serveEmulator(process.argv[2] as 'kinesis' | 'dynamodb', process.argv[3] ? (JSON.parse(process.argv[3]) as EmulatorProcessOptions) : {});
