// Runs the pinned pnpm, installing it into .tools/ with npm when it is not already on PATH.
// Lets the README's commands work on a machine that has only Node and npm (no corepack, no global pnpm).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const wanted = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const isWindows = process.platform === 'win32';

function versionOf(cmd, env) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8', env, shell: isWindows });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Returns an environment whose PATH has the pinned pnpm first (turbo needs a real pnpm on PATH). */
export function pnpmEnv() {
  const env = { ...process.env, COREPACK_ENABLE_STRICT: '0', COREPACK_INTEGRITY_KEYS: '0', TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
  // Never stop to ask: when node_modules must be re-created (made under another HOME, store or pnpm),
  // pnpm asks for confirmation on a terminal and aborts without one (ERR_PNPM_ABORTED_REMOVE_MODULES_DIR_NO_TTY)
  // unless CI is set. The wrapper's installs are from the lockfile, so re-creating is always right.
  env.npm_config_confirm_modules_purge ??= 'false';
  if (versionOf('pnpm', env) === wanted) return env;
  const toolDir = path.join(root, '.tools');
  const bin = path.join(toolDir, 'node_modules', '.bin');
  env.PATH = `${bin}${path.delimiter}${env.PATH}`;
  if (versionOf('pnpm', env) !== wanted) {
    fs.mkdirSync(toolDir, { recursive: true });
    fs.writeFileSync(path.join(toolDir, 'package.json'), '{"private":true}\n');
    console.log(`[shardline] installing pnpm@${wanted} into .tools/`);
    const r = spawnSync('npm', ['install', '--prefix', toolDir, '--no-audit', '--no-fund', '--loglevel=error', `pnpm@${wanted}`], { stdio: 'inherit', env, shell: isWindows });
    if (r.status !== 0) throw new Error(`npm install pnpm@${wanted} failed with status ${r.status}`);
  }
  return env;
}

/** Runs pnpm with the given arguments; returns its exit status. */
export function pnpm(args, env = pnpmEnv()) {
  const r = spawnSync('pnpm', args, { stdio: 'inherit', env, cwd: root, shell: isWindows });
  return r.status ?? 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exit(pnpm(process.argv.slice(2)));
}
