#!/usr/bin/env node
// Dependency check: every bare import in a workspace package must be declared in its package.json
// (src/ → dependencies or peerDependencies; test/ and bench/ may also use devDependencies), no
// package may deep-import another workspace package's files, and the workspace graph must have no
// cycle. Usage: node scripts/check-deps.cjs [--root DIR] [--package DIR]
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
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
    return fs.readdirSync(base).map((d) => path.join(base, d)).filter((d) => fs.existsSync(path.join(d, 'package.json')));
  });
}

/** Returns a list of human-readable problems; empty when the workspace is clean. */
function checkWorkspace(root, onlyDir) {
  const problems = [];
  const dirs = workspaceDirs(root);
  const pkgs = dirs.map((dir) => ({ dir, json: JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) }));
  const workspaceNames = new Set(pkgs.map((p) => p.json.name));
  for (const { dir, json } of pkgs) {
    if (onlyDir && path.resolve(onlyDir) !== path.resolve(dir)) continue;
    const runtime = new Set([...Object.keys(json.dependencies ?? {}), ...Object.keys(json.peerDependencies ?? {})]);
    const all = new Set([...runtime, ...Object.keys(json.devDependencies ?? {})]);
    for (const [sub, declared, kind] of [['src', runtime, 'dependencies'], ['test', all, 'dependencies or devDependencies'], ['bench', all, 'dependencies or devDependencies']]) {
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
          if (workspaceNames.has(name) && spec !== name && spec !== `${name}/package.json`) {
            problems.push(`${rel}: deep import ${spec}; import ${name} instead`);
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
  let root = arg('--root') ? path.resolve(arg('--root')) : path.resolve(__dirname, '..');
  const problems = checkWorkspace(root, onlyDir);
  if (problems.length) {
    console.error(`dependency check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`dependency check: ok${onlyDir ? ` (${path.relative(root, onlyDir) || '.'})` : ''}`);
}
