#!/usr/bin/env node
// Dependency check: every bare import in a workspace package must be declared in its package.json
// (src/ → dependencies or peerDependencies; test/ and bench/ may also use devDependencies), no
// package may deep-import another workspace package's files, and the workspace graph must have no
// cycle. Peer dependencies: each is also a devDependency (the workspace tests with it), never a
// dependency too, with one range across the workspace; a package forwards the required peers of
// the workspace packages it depends on; an optional peer is never imported at load time (only
// `import type`, and a lazy require where the feature needs it). Public (non-private) packages:
// AWS SDK clients, pino and prom-client only as peers (one copy, the application's); a LICENSE
// identical to the root one; repository (with directory), homepage, bugs, keywords and files;
// no source maps and no dev-only `shardline-source` export condition in what is packed.
// Usage: node scripts/check-deps.cjs [--root DIR] [--package DIR]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Packages an application brings its own copy of: public packages take them as peers only. */
const PEER_ONLY = [/^@aws-sdk\/client-/, /^pino$/, /^prom-client$/];
/** Whole import/export-from statements, to tell type-only imports from load-time ones. */
const STATEMENT_RE = /^\s*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*(['"])([^'"\n]+)\4|^\s*import\s*(['"])([^'"\n]+)\6/gm;
const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"\n]+)\1/gm;

function listFiles(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listFiles(full, out);
    else if (/\.(c|m)?[jt]s$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function workspaceDirs(root) {
  const yaml = fs.readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8');
  const globs = [...yaml.matchAll(/^\s*-\s*['"]?([^'"\n#]+?)\/\*['"]?\s*$/gm)].map((m) => m[1]);
  return globs.flatMap((g) => {
    const base = path.join(root, g);
    if (!fs.existsSync(base)) return [];
    return fs
      .readdirSync(base)
      .map((d) => path.join(base, d))
      .filter((d) => fs.existsSync(path.join(d, 'package.json')));
  });
}

/** True when an import/export clause loads the module at run time (anything but type-only names). */
function loadsAtRuntime(keyword, typeOnly, clause) {
  if (typeOnly) return false;
  const braces = /\{([^}]*)\}/.exec(clause);
  const outside = clause
    .replace(/\{[^}]*\}/, '')
    .replace(/,/g, '')
    .trim();
  if (outside !== '') return true; // a default or namespace import, or `export *`
  if (!braces) return keyword === 'export';
  const names = braces[1]
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  return names.length === 0 || names.some((n) => !n.startsWith('type '));
}

/** Every value under `exports` (or `publishConfig.exports`) keyed by `shardline-source`. */
function hasSourceCondition(exportsField) {
  if (exportsField === null || typeof exportsField !== 'object') return false;
  return Object.entries(exportsField).some(([key, value]) => key === 'shardline-source' || hasSourceCondition(value));
}

function checkPublishable(root, dir, json, rel, problems) {
  const where = `${rel}/package.json`;
  for (const name of Object.keys(json.dependencies ?? {})) {
    if (PEER_ONLY.some((re) => re.test(name))) problems.push(`${where}: ${name} is a dependency; make it a peerDependency (and a devDependency), so the application's copy is the one used`);
  }
  const rootLicense = path.join(root, 'LICENSE');
  const license = path.join(dir, 'LICENSE');
  if (!fs.existsSync(rootLicense)) problems.push('LICENSE: missing at the root (public packages copy it)');
  else if (!fs.existsSync(license)) problems.push(`${rel}/LICENSE: missing; copy the root LICENSE`);
  else if (!fs.readFileSync(license).equals(fs.readFileSync(rootLicense))) problems.push(`${rel}/LICENSE: differs from the root LICENSE`);
  if (!json.license) problems.push(`${where}: no license`);
  const repo = json.repository;
  if (!repo || typeof repo !== 'object' || !repo.url || repo.directory !== rel) problems.push(`${where}: repository must be { type, url, directory: "${rel}" }`);
  if (!json.homepage) problems.push(`${where}: no homepage`);
  if (!json.bugs) problems.push(`${where}: no bugs`);
  if (!Array.isArray(json.keywords) || json.keywords.length === 0) problems.push(`${where}: no keywords`);
  if (!Array.isArray(json.files) || json.files.length === 0) problems.push(`${where}: no files list`);
  else if (!json.files.some((f) => f.startsWith('!') && f.endsWith('.map'))) problems.push(`${where}: files must exclude source maps (e.g. "!dist/**/*.map"): their sources are not shipped`);
  const packedExports = json.publishConfig?.exports ?? json.exports;
  const missing = Object.keys(json.exports ?? {}).filter((key) => !Object.keys(packedExports ?? {}).includes(key));
  if (missing.length) problems.push(`${where}: publishConfig.exports lacks ${missing.join(', ')}, which exports has`);
  if (hasSourceCondition(packedExports)) problems.push(`${where}: the packed exports keep the dev-only shardline-source condition; override exports in publishConfig`);
  for (const field of ['main', 'types']) {
    const packed = json.publishConfig?.[field] ?? json[field];
    if (typeof packed === 'string' && /(^|\/)src\//.test(packed)) problems.push(`${where}: the packed ${field} points at src/, which is not shipped`);
  }
}

/** Returns a list of human-readable problems; empty when the workspace is clean. */
function checkWorkspace(root, onlyDir) {
  const problems = [];
  const dirs = workspaceDirs(root);
  const pkgs = dirs.map((dir) => ({ dir, json: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }));
  const workspaceNames = new Set(pkgs.map((p) => p.json.name));
  const byName = new Map(pkgs.map((p) => [p.json.name, p.json]));
  const peerRanges = new Map();
  for (const { dir, json } of pkgs) {
    for (const [name, range] of Object.entries(json.peerDependencies ?? {})) {
      if (!peerRanges.has(name)) peerRanges.set(name, { range, first: path.relative(root, dir) });
      else if (peerRanges.get(name).range !== range)
        problems.push(`${path.relative(root, dir)}/package.json: peer ${name}@${range} differs from ${peerRanges.get(name).first}'s ${peerRanges.get(name).range}; use one range`);
    }
  }
  for (const { dir, json } of pkgs) {
    if (onlyDir && path.resolve(onlyDir) !== path.resolve(dir)) continue;
    const rel = path.relative(root, dir);
    const peers = json.peerDependencies ?? {};
    const optionalPeers = new Set(Object.keys(peers).filter((n) => json.peerDependenciesMeta?.[n]?.optional));
    for (const name of Object.keys(peers)) {
      if (json.dependencies?.[name]) problems.push(`${rel}/package.json: ${name} is both a dependency and a peerDependency`);
      if (!json.devDependencies?.[name] && !workspaceNames.has(name)) problems.push(`${rel}/package.json: peer ${name} is not a devDependency, so the workspace does not build and test with it`);
    }
    for (const name of Object.keys(json.peerDependenciesMeta ?? {})) {
      if (!peers[name]) problems.push(`${rel}/package.json: peerDependenciesMeta names ${name}, which is not a peerDependency`);
    }
    for (const dep of Object.keys(json.dependencies ?? {})) {
      const depJson = byName.get(dep);
      if (!depJson) continue;
      for (const peer of Object.keys(depJson.peerDependencies ?? {})) {
        if (depJson.peerDependenciesMeta?.[peer]?.optional) continue;
        if (!peers[peer] && !json.dependencies?.[peer]) problems.push(`${rel}/package.json: depends on ${dep}, which needs the peer ${peer}; declare it as a peerDependency too`);
      }
    }
    if (!json.private) checkPublishable(root, dir, json, rel, problems);
    for (const file of listFiles(path.join(dir, 'src'))) {
      if (/\.test\.[cm]?[jt]s$/.test(file) || optionalPeers.size === 0) continue;
      for (const m of fs.readFileSync(file, 'utf8').matchAll(STATEMENT_RE)) {
        const spec = m[5] ?? m[7];
        const name = packageNameOf(spec);
        if (!optionalPeers.has(name)) continue;
        if (m[7] !== undefined || loadsAtRuntime(m[1], m[2], m[3])) {
          problems.push(`${path.relative(root, file)}: loads the optional peer ${name} at import time; use \`import type\` and load it where the feature needs it (loadPeerDependency)`);
        }
      }
    }
    const runtime = new Set([...Object.keys(json.dependencies ?? {}), ...Object.keys(json.peerDependencies ?? {})]);
    const all = new Set([...runtime, ...Object.keys(json.devDependencies ?? {})]);
    for (const [sub, declared, kind] of [
      ['src', runtime, 'dependencies'],
      ['test', all, 'dependencies or devDependencies'],
      ['bench', all, 'dependencies or devDependencies'],
    ]) {
      for (const file of listFiles(path.join(dir, sub))) {
        const isTestFile = /\.test\.[cm]?[jt]s$/.test(file);
        const allowed = sub === 'src' && isTestFile ? all : declared;
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(IMPORT_RE)) {
          const spec = m[2];
          if (spec.startsWith('.') || spec.startsWith('/') || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0])) continue;
          const name = packageNameOf(spec);
          const rel = path.relative(root, file);
          if (name === json.name) problems.push(`${rel}: imports its own package ${name}; use a relative import`);
          else if (!allowed.has(name)) problems.push(`${rel}: imports ${name}, which ${json.name} does not declare in ${sub === 'src' && !isTestFile ? 'dependencies' : kind}`);
          const exported = Object.keys(byName.get(name)?.exports ?? {});
          if (workspaceNames.has(name) && spec !== name && !exported.includes(`.${spec.slice(name.length)}`)) {
            problems.push(`${rel}: deep import ${spec}; import ${name} (or a subpath it exports) instead`);
          }
        }
      }
    }
  }
  // Cycles over every workspace edge (dev edges included: turbo builds them in order).
  const edges = new Map(pkgs.map((p) => [p.json.name, Object.keys({ ...p.json.dependencies, ...p.json.devDependencies, ...p.json.peerDependencies }).filter((n) => workspaceNames.has(n))]));
  const state = new Map();
  const stack = [];
  const visit = (name) => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const next of edges.get(name) ?? []) {
      if (state.get(next) === 'visiting') problems.push(`dependency cycle: ${[...stack.slice(stack.indexOf(next)), next].join(' -> ')}`);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of edges.keys()) if (!state.has(name)) visit(name);
  return problems;
}

module.exports = { checkWorkspace };

if (require.main === module) {
  const args = process.argv.slice(2);
  const arg = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const onlyDir = arg('--package') ? path.resolve(arg('--package')) : undefined;
  const root = arg('--root') ? path.resolve(arg('--root')) : path.resolve(__dirname, '..');
  const problems = checkWorkspace(root, onlyDir);
  if (problems.length) {
    console.error(`dependency check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`dependency check: ok${onlyDir ? ` (${path.relative(root, onlyDir) || '.'})` : ''}`);
}
