import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, runOk } from './run';
import { pnpmEnv, root } from './workspace';

/** A temporary application outside the workspace. */
export interface TempApp {
  readonly dir: string;
  readonly manager: 'npm' | 'pnpm';
}

/** Options of {@link createApp}. */
export interface CreateAppOptions {
  readonly manager: 'npm' | 'pnpm';
  /** Dependencies of the application (name → spec). */
  readonly dependencies: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  /**
   * The tarballs of every Shardline package: the application depends on some of them, and the
   * others (its transitive workspace dependencies) are pinned to their tarballs with overrides,
   * since they are not on the registry.
   */
  readonly tarballs: ReadonlyMap<string, string>;
  /** `"module"` for an ESM application; CommonJS otherwise. */
  readonly type?: 'module' | 'commonjs';
  /** Extra files, path relative to the application → contents. */
  readonly files?: Record<string, string>;
}

/**
 * Environment of commands run in the temporary applications: without the npm_* variables of the
 * workspace's own pnpm/npm run (its settings are not the application's), plus flags that keep
 * installs quick.
 */
export function installEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(base).filter(([key]) => !/^npm_/i.test(key)));
  return { ...clean, CI: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
}

/** Writes a fresh application into os.tmpdir(). */
export function createApp(label: string, options: CreateAppOptions): TempApp {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `shardline-${label}-`));
  const overrides = Object.fromEntries([...options.tarballs].filter(([name]) => !(name in options.dependencies)).map(([name, file]) => [name, `file:${file}`]));
  const json: Record<string, unknown> = {
    name: `shardline-${label}`,
    version: '1.0.0',
    private: true,
    type: options.type ?? 'commonjs',
    dependencies: options.dependencies,
    devDependencies: options.devDependencies ?? {},
  };
  if (options.manager === 'npm') json.overrides = overrides;
  else json.pnpm = { overrides };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(json, null, 2)}\n`);
  for (const [file, text] of Object.entries(options.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return { dir, manager: options.manager };
}

/** Installs the application's dependencies with its package manager (the registry, cache first). */
export async function install(app: TempApp): Promise<void> {
  if (app.manager === 'npm') {
    await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app.dir, env: installEnv(process.env), timeoutMs: 240_000 });
  } else {
    await runOk('pnpm', ['install', '--prefer-offline', '--reporter=append-only'], { cwd: app.dir, env: installEnv(await pnpmEnv()), timeoutMs: 240_000 });
  }
}

/** The list command's exit status and every distinct installed copy, as paths. */
export interface InstalledTree {
  readonly status: number | null;
  readonly stderr: string;
  readonly paths: readonly string[];
}

/** `npm ls --all --parseable` or `pnpm ls --depth Infinity --parseable`: every installed package's path. */
export async function listTree(app: TempApp): Promise<InstalledTree> {
  const r =
    app.manager === 'npm'
      ? await run('npm', ['ls', '--all', '--parseable'], { cwd: app.dir, env: installEnv(process.env) })
      : await run('pnpm', ['ls', '--depth', 'Infinity', '--parseable'], { cwd: app.dir, env: installEnv(await pnpmEnv()) });
  const paths = [
    ...new Set(
      r.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && l !== app.dir),
    ),
  ];
  return { status: r.status, stderr: r.stderr, paths };
}

/** The distinct copies of `name` in a tree listing. */
export function copiesOf(tree: InstalledTree, name: string): string[] {
  const suffix = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}`;
  return tree.paths.filter((p) => p.endsWith(suffix));
}

/** Bytes of files under `dir` (symbolic links not followed) and the number of packages installed. */
export function installSize(dir: string): { bytes: number; packages: number } {
  let bytes = 0;
  const packages = new Set<string>();
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        bytes += fs.statSync(full).size;
        if (entry.name === 'package.json') {
          // A package's own manifest sits right under node_modules/<name> or node_modules/@scope/<name>.
          const rel = full.split(`${path.sep}node_modules${path.sep}`).pop()!.split(path.sep);
          if ((rel.length === 2 && !rel[0]!.startsWith('@')) || (rel.length === 3 && rel[0]!.startsWith('@'))) packages.add(path.dirname(full));
        }
      }
    }
  };
  walk(path.join(dir, 'node_modules'));
  return { bytes, packages: packages.size };
}

/** Runs `node <args>` inside the application with the given environment. */
export function runNode(app: TempApp, args: readonly string[], env: Record<string, string>, timeoutMs = 120_000): ReturnType<typeof run> {
  return run(process.execPath, args, {
    cwd: app.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
    timeoutMs,
  });
}

/** Type-checks and compiles the application with the workspace's TypeScript (tsc -p tsconfig.json). */
export function tsc(app: TempApp): ReturnType<typeof run> {
  return run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app.dir, timeoutMs: 180_000 });
}

/** Removes a temporary application unless SHARDLINE_KEEP_APPS=1. */
export function removeApp(app: TempApp | undefined): void {
  if (app && process.env.SHARDLINE_KEEP_APPS !== '1') fs.rmSync(app.dir, { recursive: true, force: true });
}
