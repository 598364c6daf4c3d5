import { ShardlineError } from './errors';

/**
 * Loads a peer dependency (an AWS SDK client, pino, prom-client) when a feature first needs it,
 * so that importing a package loads none of them. `load` is the caller's own arrow calling
 * `require` with the package name: resolved from the caller's location, and visible to bundlers.
 * A missing package fails with a {@link ShardlineError} (`SHARDLINE_MISSING_PEER_DEPENDENCY`)
 * that says what to install. For Shardline's packages (kinesis-poller uses it too), not for applications.
 */
export function loadPeerDependency<T>(load: () => T, name: string, feature: string): T {
  try {
    return load();
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    if (e?.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' && e.message.includes(`'${name}'`)) {
      throw new ShardlineError('SHARDLINE_MISSING_PEER_DEPENDENCY', `${feature} needs the peer dependency ${name}, which is not installed: add it to your application (npm install ${name})`, {
        cause: error,
      });
    }
    throw error;
  }
}
