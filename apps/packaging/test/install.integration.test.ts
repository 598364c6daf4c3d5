// Pick-and-choose installs, tried as a user would: the public packages are packed with `pnpm pack`
// and installed from their tarballs into fresh applications in os.tmpdir() (third-party packages
// from the npm registry), which then run against kinesalite started here.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStream, uniqueName, useEmulators } from '@shardline/testkit';
import { copiesOf, createApp, install, installSize, listTree, removeApp, runNode, type TempApp, tsc } from './support/apps';
import { appTsconfig, fixture, parseResult, strayStdout } from './support/scripts';
import { runOk } from './support/run';
import { buildAndPack, publicPackages, readJson, root } from './support/workspace';

const CLIENTS = ['@aws-sdk/client-kinesis', '@aws-sdk/client-dynamodb'];
/** Packages a pure codec must not load: AWS clients (any @aws-sdk/*), the logger, the metrics library, protobufjs. */
const NOT_IN_CODEC = /^(@aws-sdk\/|pino$|pino-|prom-client$|protobufjs$|@protobufjs\/)/;
const RECORDS = 40;
/** The application's HTTP/1.1 handler for kinesalite (any 4.x; the client's own copy dedupes with it). */
const SMITHY_HTTP = '^4.0.0';

const emu = useEmulators({ dynamodb: false });
const workspaceKinesisVersion = readJson<{ version: string }>(require.resolve('@aws-sdk/client-kinesis/package.json')).version;
let packDir: string;
let tarballs: ReadonlyMap<string, string>;
let unbuilt: ReadonlyMap<string, string>;
const apps: TempApp[] = [];
const installs = new Map<string, Promise<TempApp>>();

function bench(name: string, value: string, unit: string, conditions: string): void {
  process.stdout.write(`bench: ${name} ${value} ${unit} -- ${conditions}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * The application's own client: the lowest version the producer's peer range admits (the oldest one
 * we claim to support), or 3.901.0 when that is the workspace's own version (or there is no range).
 */
function ownKinesisVersion(): string {
  const range = readJson(path.join(publicPackages().find((p) => p.name === '@shardline/producer')!.dir, 'package.json')).peerDependencies?.['@aws-sdk/client-kinesis'];
  const floor = range?.match(/\d+\.\d+\.\d+/)?.[0];
  return floor && floor !== workspaceKinesisVersion ? floor : '3.901.0';
}

/** Starts an install; the test that needs it awaits it (installs run side by side). */
function startInstall(label: string, make: () => TempApp): void {
  const promise = (async () => {
    const app = make();
    apps.push(app);
    await install(app);
    return app;
  })();
  promise.catch(() => undefined); // reported by the test that awaits it
  installs.set(label, promise);
}

function tarball(name: string): string {
  const file = tarballs.get(name);
  if (!file) throw new Error(unbuilt.get(name) ?? `${name} is not a public package (no tarball)`);
  return `file:${file}`;
}

async function expectOneCopy(app: TempApp, names: readonly string[]): Promise<void> {
  const tree = await listTree(app);
  // A peer out of range or a missing dependency makes `ls` fail; warnings (e.g. about npm settings) do not count.
  expect({ status: tree.status, errors: tree.stderr.split('\n').filter((l) => /\berr(or)?\b|ERR!|invalid|missing/i.test(l)) }).toEqual({ status: 0, errors: [] });
  for (const name of names) expect({ name, copies: copiesOf(tree, name) }).toEqual({ name, copies: [expect.any(String)] });
  for (const name of CLIENTS) expect({ name, copies: copiesOf(tree, name).length <= 1 }).toEqual({ name, copies: true });
}

async function newStream(prefix: string): Promise<string> {
  const streamName = uniqueName(prefix);
  await createStream(emu.kinesis, streamName, 2);
  return streamName;
}

beforeAll(async () => {
  packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardline-tarballs-'));
  ({ tarballs, unbuilt } = await buildAndPack(packDir));
  const ownVersion = ownKinesisVersion();
  startInstall('producer', () =>
    createApp('producer-alone', { manager: 'npm', tarballs, dependencies: { '@shardline/producer': tarball('@shardline/producer') }, files: { 'put.cjs': fixture('put.cjs') } }),
  );
  startInstall('aggregation', () =>
    createApp('kpl-aggregation-alone', {
      manager: 'npm',
      tarballs,
      dependencies: { '@shardline/kpl-aggregation': tarball('@shardline/kpl-aggregation') },
      files: { 'roundtrip.cjs': fixture('roundtrip.cjs') },
    }),
  );
  // The codec alone in a TypeScript app that checks library declarations too, with no AWS SDK installed.
  startInstall('aggregation-strict-types', () =>
    createApp('kpl-aggregation-strict-types', {
      manager: 'npm',
      tarballs,
      dependencies: { '@shardline/kpl-aggregation': tarball('@shardline/kpl-aggregation') },
      devDependencies: { '@types/node': '^20.19.0' },
      files: { 'src/main.ts': fixture('aggregate-strict.ts'), 'tsconfig.json': appTsconfig('node16', { skipLibCheck: false }) },
    }),
  );
  startInstall('own-client-npm', () =>
    createApp('own-client-npm', {
      manager: 'npm',
      type: 'module',
      tarballs,
      dependencies: {
        '@aws-sdk/client-kinesis': ownVersion,
        '@smithy/node-http-handler': SMITHY_HTTP,
        '@shardline/producer': tarball('@shardline/producer'),
        '@shardline/kinesis-poller': tarball('@shardline/kinesis-poller'),
      },
      devDependencies: { '@types/node': '^20.19.0' },
      files: { 'src/main.ts': fixture('main.ts'), 'tsconfig.json': appTsconfig('nodenext') },
    }),
  );
  startInstall('own-client-pnpm', () =>
    createApp('own-client-pnpm', {
      manager: 'pnpm',
      tarballs,
      dependencies: {
        '@aws-sdk/client-kinesis': ownVersion,
        '@smithy/node-http-handler': SMITHY_HTTP,
        '@shardline/producer': tarball('@shardline/producer'),
        '@shardline/kinesis-poller': tarball('@shardline/kinesis-poller'),
      },
      devDependencies: { '@types/node': '^20.19.0' },
      files: { 'src/main.ts': fixture('main.ts'), 'tsconfig.json': appTsconfig('node16') },
    }),
  );
  // Every public package that built, for the require times (and one copy of each client and of core).
  const everything = Object.fromEntries([...tarballs.keys()].map((name) => [name, tarball(name)]));
  startInstall('everything', () => createApp('every-package', { manager: 'npm', tarballs, dependencies: everything, files: { 'require-time.cjs': fixture('require-time.cjs') } }));
  // Side by side, then nothing else running while the tests measure require times.
  await Promise.allSettled(installs.values());
}, 300_000);

afterAll(() => {
  for (const app of apps) removeApp(app);
  if (packDir && process.env.SHARDLINE_KEEP_APPS !== '1') fs.rmSync(packDir, { recursive: true, force: true });
});

describe('tarballs', () => {
  it('carry their entry points, LICENSE and publish metadata, no dev-only export condition, no source maps without their sources', async () => {
    expect([...unbuilt.values()]).toEqual([]);
    for (const p of publicPackages()) {
      const list = await listTarball(tarballs.get(p.name)!);
      const manifest = JSON.parse(list.packageJson) as {
        main?: string;
        types?: string;
        exports?: unknown;
        repository?: { directory?: string };
        homepage?: string;
        bugs?: unknown;
        keywords?: string[];
      };
      const metadata = { repositoryDirectory: manifest.repository?.directory, homepage: typeof manifest.homepage, bugs: manifest.bugs !== undefined, keywords: (manifest.keywords ?? []).length > 0 };
      expect({ name: p.name, ...metadata }).toEqual({ name: p.name, repositoryDirectory: path.relative(root, p.dir), homepage: 'string', bugs: true, keywords: true });
      expect({ name: p.name, sourceCondition: JSON.stringify(manifest.exports ?? {}).includes('shardline-source') }).toEqual({ name: p.name, sourceCondition: false });
      const maps = list.files.filter((f) => f.endsWith('.map'));
      const sources = list.files.filter((f) => /^package\/src\/.*\.ts$/.test(f));
      expect({ name: p.name, mapsWithoutSources: maps.length > 0 && sources.length === 0 }).toEqual({ name: p.name, mapsWithoutSources: false });
      expect({ name: p.name, license: list.files.includes('package/LICENSE') }).toEqual({ name: p.name, license: true });
      const entries = [manifest.main, manifest.types].map((f) => `package/${path.posix.normalize(f ?? 'none')}`);
      expect({ name: p.name, missingEntries: entries.filter((f) => !list.files.includes(f)) }).toEqual({ name: p.name, missingEntries: [] });
    }
  });
});

describe('npm, producer alone', () => {
  it('puts records through the default client and reads them back, writing nothing to stdout', async () => {
    const app = await installs.get('producer')!;
    const size = installSize(app.dir);
    bench('install-size-producer', (size.bytes / 1e6).toFixed(1), 'MB', `npm install of the producer tarball alone (file bytes under node_modules), ${size.packages} packages`);
    bench('install-packages-producer', String(size.packages), 'packages', 'npm install of the producer tarball alone');
    const streamName = await newStream('producer-alone');
    const out = await runNode(app, ['put.cjs'], { ...emu.env, STREAM_NAME: streamName, RECORDS: String(RECORDS) });
    const result = parseResult<{ sent: string[]; received: string[]; shardIds: string[] }>(out.stdout, out.stderr);
    expect([...result.received].sort()).toEqual([...result.sent].sort());
    expect(new Set(result.shardIds).size).toBe(2);
    expect(strayStdout(out.stdout)).toEqual([]);
    await expectOneCopy(app, ['@aws-sdk/client-kinesis', '@shardline/core']);
  });
});

describe('npm, kpl-aggregation alone', () => {
  it('round-trips aggregates and loads no AWS client, logger, metrics library or protobufjs', async () => {
    const app = await installs.get('aggregation')!;
    const size = installSize(app.dir);
    bench('install-size-kpl-aggregation', (size.bytes / 1e6).toFixed(1), 'MB', `npm install of the kpl-aggregation tarball alone (file bytes under node_modules), ${size.packages} packages`);
    bench('install-packages-kpl-aggregation', String(size.packages), 'packages', 'npm install of the kpl-aggregation tarball alone');
    const times: number[] = [];
    const rss: number[] = [];
    let result:
      | {
          requireMs: number;
          requireRssMiB: number;
          afterRequire: string[];
          afterRoundTrip: string[];
          aggregates: number;
          sent: unknown[];
          back: { partitionKey: string; data: string; aggregated: boolean }[];
        }
      | undefined;
    for (let i = 0; i < 5; i++) {
      const out = await runNode(app, ['roundtrip.cjs'], {});
      const parsed: NonNullable<typeof result> = parseResult(out.stdout, out.stderr);
      expect(strayStdout(out.stdout)).toEqual([]);
      times.push(parsed.requireMs);
      rss.push(parsed.requireRssMiB);
      result = parsed;
    }
    bench(
      'require-time-kpl-aggregation-alone',
      median(times).toFixed(1),
      'ms',
      `require() of @shardline/kpl-aggregation in a fresh node process, npm install of its tarball alone, median of 5; loads ${result!.afterRequire.join(', ')}`,
    );
    bench(
      'require-rss-kpl-aggregation-alone',
      median(rss).toFixed(1),
      'MiB',
      'RSS growth over require() of @shardline/kpl-aggregation in a fresh node process, npm install of its tarball alone, median of 5',
    );
    expect(result!.aggregates).toBeGreaterThan(0);
    expect(result!.back.map(({ partitionKey, data }) => ({ partitionKey, data }))).toEqual(result!.sent);
    expect(result!.afterRequire.filter((n) => NOT_IN_CODEC.test(n))).toEqual([]);
    expect(result!.afterRoundTrip.filter((n) => NOT_IN_CODEC.test(n))).toEqual([]);
    await expectOneCopy(app, ['@shardline/core']);
  });
});

describe('npm, kpl-aggregation alone in a TypeScript app with skipLibCheck: false', () => {
  it('type-checks its declarations without the AWS SDK installed (core/base) and round-trips', async () => {
    const app = await installs.get('aggregation-strict-types')!;
    const compiled = await tsc(app);
    expect({ status: compiled.status, output: compiled.stdout + compiled.stderr }).toEqual({ status: 0, output: '' });
    const out = await runNode(app, ['dist/main.js'], {});
    expect(parseResult<{ records: string[] }>(out.stdout, out.stderr).records).toEqual(Array.from({ length: 10 }, (_, i) => `value-${i}`));
    expect(strayStdout(out.stdout)).toEqual([]);
  });
});

describe.each([
  ['npm', 'own-client-npm', 'nodenext, ESM'],
  ['pnpm', 'own-client-pnpm', 'node16, CommonJS'],
])('%s, an application with its own @aws-sdk/client-kinesis', (_manager, label, flavour) => {
  it(`passes its client to the producer and the poller: type-checks (${flavour}) and runs against kinesalite`, async () => {
    const app = await installs.get(label)!;
    const compiled = await tsc(app);
    expect({ status: compiled.status, output: compiled.stdout + compiled.stderr }).toEqual({ status: 0, output: '' });
    const streamName = await newStream(label);
    const out = await runNode(app, ['dist/main.js'], { STREAM_NAME: streamName, RECORDS: String(RECORDS), KINESIS_ENDPOINT: emu.emulators.kinesisEndpoint! });
    const result = parseResult<{ sent: string[]; received: string[] }>(out.stdout, out.stderr);
    expect([...result.received].sort()).toEqual([...result.sent].sort());
    expect(strayStdout(out.stdout)).toEqual([]);
    await expectOneCopy(app, ['@aws-sdk/client-kinesis', '@shardline/core']);
    const tree = await listTree(app);
    const [client] = copiesOf(tree, '@aws-sdk/client-kinesis');
    expect(readJson(path.join(client!, 'package.json')).version).toBe(ownKinesisVersion());
  });
});

describe('require time', () => {
  it('of each public package, all installed together from their tarballs', async () => {
    const app = await installs.get('everything')!;
    for (const name of tarballs.keys()) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const out = await runNode(app, ['require-time.cjs', name], {});
        times.push(parseResult<{ requireMs: number }>(out.stdout, out.stderr).requireMs);
      }
      bench(`require-time-${name.replace('@shardline/', '')}`, median(times).toFixed(1), 'ms', `require() of ${name} in a fresh node process, npm install of every public tarball, median of 5`);
      expect(median(times)).toBeGreaterThan(0);
    }
    await expectOneCopy(app, ['@shardline/core']);
    expect([...unbuilt.keys()]).toEqual([]); // measured only the packages that built
  });
});

/** The file list and package.json of a tarball (tar is on every machine these tests run on). */
async function listTarball(file: string): Promise<{ files: string[]; packageJson: string }> {
  const files = (await runOk('tar', ['-tzf', file], { cwd: os.tmpdir() })).stdout.split('\n').filter(Boolean);
  const packageJson = (await runOk('tar', ['-xzOf', file, 'package/package.json'], { cwd: os.tmpdir() })).stdout;
  return { files, packageJson };
}
