import fs from 'node:fs';
import path from 'node:path';
import { run, runOk } from './run';

/** The monorepo's root directory. */
export const root = path.resolve(__dirname, '..', '..', '..', '..');

/** A workspace package. */
export interface WorkspacePackage {
  readonly name: string;
  readonly dir: string;
  readonly json: PackageJson;
}

/** The parts of a package.json these tests read. */
export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly dependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly devDependencies?: Record<string, string>;
  readonly exports?: unknown;
  readonly publishConfig?: Record<string, unknown>;
}

export function readJson<T = PackageJson>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Every package under packages/ that is published (not `private`). */
export function publicPackages(): WorkspacePackage[] {
  const base = path.join(root, 'packages');
  return fs
    .readdirSync(base)
    .map((d) => path.join(base, d))
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
    .map((dir) => ({ dir, json: readJson(path.join(dir, 'package.json')) }))
    .filter(({ json }) => json.private !== true)
    .map(({ dir, json }) => ({ name: json.name, dir, json }));
}

let cachedEnv: NodeJS.ProcessEnv | undefined;

/**
 * The environment of scripts/pnpm.mjs: PATH has the pinned pnpm first (installed into .tools/ if
 * needed). CI=true so that pnpm never waits for a TTY.
 */
export async function pnpmEnv(): Promise<NodeJS.ProcessEnv> {
  if (cachedEnv) return cachedEnv;
  const script = `import(${JSON.stringify(path.join(root, 'scripts', 'pnpm.mjs'))}).then((m) => console.log('\\n' + JSON.stringify(m.pnpmEnv().PATH)))`;
  const { stdout } = await runOk(process.execPath, ['-e', script], { cwd: root });
  const PATH = JSON.parse(stdout.trim().split('\n').pop()!) as string;
  cachedEnv = { ...process.env, PATH, CI: 'true', COREPACK_ENABLE_STRICT: '0', TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
  return cachedEnv;
}

/** Tarballs of the public packages, and why the others have none. */
export interface Packed {
  /** Package name → tarball path. */
  readonly tarballs: ReadonlyMap<string, string>;
  /** Package name → why it has no tarball (its build, or a dependency's, failed). */
  readonly unbuilt: ReadonlyMap<string, string>;
}

/** Every workspace package (packages/* and apps/*). */
function workspacePackages(): WorkspacePackage[] {
  return ['packages', 'apps']
    .flatMap((d) => fs.readdirSync(path.join(root, d)).map((p) => path.join(root, d, p)))
    .filter((dir) => fs.existsSync(path.join(dir, 'package.json')))
    .map((dir) => {
      const json = readJson(path.join(dir, 'package.json'));
      return { name: json.name, dir, json };
    });
}

/** The packages whose build failed, plus every package that depends on one (turbo skipped those). */
function failedBuilds(log: string): Set<string> {
  const failed = new Set([...log.matchAll(/(@shardline\/[\w-]+)#build/g)].map((m) => m[1]!));
  const all = workspacePackages();
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      const deps = Object.keys({ ...p.json.dependencies, ...p.json.devDependencies, ...p.json.peerDependencies });
      if (!failed.has(p.name) && deps.some((d) => failed.has(d))) {
        failed.add(p.name);
        grew = true;
      }
    }
  }
  return failed;
}

/**
 * Builds the public packages (turbo, cached when nothing changed; a failed build skips only its
 * dependents) and packs each that built with `pnpm pack` into `destination`, as `pnpm publish` would.
 */
export async function buildAndPack(destination: string): Promise<Packed> {
  const packages = publicPackages();
  const reuse = process.env.SHARDLINE_PACKAGING_TARBALLS;
  if (reuse) {
    // Debugging aid: tarballs packed earlier (e.g. kept with SHARDLINE_KEEP_APPS=1).
    const files = fs.readdirSync(reuse).filter((f) => f.endsWith('.tgz'));
    const tarballs = new Map(
      packages.map((p) => [
        p.name,
        path.join(
          reuse,
          files.find((f) => f.startsWith(`${p.name.replace('@', '').replace('/', '-')}-`))!,
        ),
      ]),
    );
    return { tarballs, unbuilt: new Map() };
  }
  const env = await pnpmEnv();
  const build = await run('pnpm', ['exec', 'turbo', 'run', 'build', '--continue=dependencies-successful', '--output-logs=errors-only', ...packages.map((p) => `--filter=${p.name}`)], {
    cwd: root,
    env,
    timeoutMs: 240_000,
  });
  const log = `${build.stdout}\n${build.stderr}`;
  const failed = build.status === 0 ? new Set<string>() : failedBuilds(log);
  if (build.status !== 0 && failed.size === 0) throw new Error(`turbo run build exited with ${build.status}\n${log.slice(-6_000)}`);
  const tarballs = new Map<string, string>();
  const unbuilt = new Map<string, string>();
  for (const p of packages) {
    if (failed.has(p.name)) {
      unbuilt.set(p.name, `${p.name} did not build (its build or a dependency's failed):\n${log.slice(-4_000)}`);
      continue;
    }
    const before = new Set(fs.readdirSync(destination));
    await runOk('pnpm', ['pack', '--pack-destination', destination], { cwd: p.dir, env });
    const created = fs.readdirSync(destination).filter((f) => !before.has(f) && f.endsWith('.tgz'));
    if (created.length !== 1) throw new Error(`pnpm pack of ${p.name} created ${created.length} tarballs: ${created.join(', ')}`);
    tarballs.set(p.name, path.join(destination, created[0]!));
  }
  return { tarballs, unbuilt };
}
