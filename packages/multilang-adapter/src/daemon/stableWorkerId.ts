import { createHash } from 'node:crypto';
import * as path from 'node:path';

/** What {@link stableWorkerId} derives the id from. @public */
export interface StableWorkerIdInput {
  readonly hostname: string;
  readonly applicationName: string;
  /** The properties file; made absolute against the current directory. */
  readonly propertiesPath?: string;
}

/**
 * A worker id that is the same at every start of one daemon, so a restarted daemon takes its own
 * leases back at once instead of waiting for them to expire (the Java daemon draws a random UUID
 * at every start): `<hostname>-<12 hex digits>`, the digits hashing the properties file's
 * absolute path and the application name. Two daemons on one host with different files (or
 * applications) get different ids.
 *
 * Caveats: two daemons on one host started with the same file must each set `workerId`, or they
 * would share an id and both process the same shards. Where the hostname changes at each restart
 * (a Kubernetes Deployment's pod name) the id changes too; set `workerId` to something stable
 * there (a StatefulSet pod name is).
 * @public
 */
export function stableWorkerId(input: StableWorkerIdInput): string {
  const file = input.propertiesPath === undefined ? '' : path.resolve(input.propertiesPath);
  const digest = createHash('sha256').update(`${file}\n${input.applicationName}`).digest('hex').slice(0, 12);
  return `${input.hostname}-${digest}`;
}
