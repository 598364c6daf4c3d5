// Entry point of the README's commands: `npm test`, `npm run demo`, `npm run bench`.
// Installs the pinned pnpm if needed, installs the workspace from the lockfile, then runs turbo.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pnpm, pnpmEnv } from './pnpm.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);
const env = pnpmEnv();
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// playwright-core drives /usr/bin/chromium and must never download a browser of its own.
env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD ??= '1';

function run(args) {
  return pnpm(args, env);
}

function install() {
  if (process.env.SHARDLINE_SKIP_INSTALL === '1') return;
  const status = run(['install', '--frozen-lockfile', '--prefer-offline', '--reporter=append-only']);
  if (status !== 0) process.exit(status);
}

function workspaceDirs() {
  return ['packages', 'apps'].flatMap((d) => fs.readdirSync(path.join(root, d)).map((p) => path.join(root, d, p)));
}

function summarizeJest() {
  let passed = 0;
  let failed = 0;
  const missing = [];
  const failures = [];
  for (const dir of workspaceDirs()) {
    const file = path.join(dir, '.jest-results.json');
    if (!JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts?.test) continue;
    if (!fs.existsSync(file)) {
      missing.push(path.relative(root, dir));
      continue;
    }
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += r.numPassedTests;
    // A suite that fails to load has no failed tests but is a failure all the same.
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    console.log(`  ${path.relative(root, dir).padEnd(28)} ${String(r.numPassedTests).padStart(5)} passed ${String(r.numFailedTests + r.numRuntimeErrorTestSuites).padStart(3)} failed`);
    failures.push(...jestFailures(dir, r));
  }
  if (missing.length) console.log(`  no jest results from: ${missing.join(', ')}`);
  // Last, so that the tail of a long CI log names what failed and why.
  if (failures.length) console.log(`\nfailed:\n${failures.join('\n')}`);
  return { passed, failed, missing };
}

/** Each failed test (or suite that did not load) of one package's jest results, with the start of its message. */
function jestFailures(dir, results) {
  const out = [];
  const head = (text) =>
    stripAnsi(text)
      .split('\n')
      .filter((line) => line.trim() && !line.includes('node_modules'))
      .slice(0, 12)
      .map((line) => `      ${line}`)
      .join('\n');
  for (const suite of results.testResults ?? []) {
    const file = path.relative(root, suite.name);
    const failedTests = (suite.assertionResults ?? []).filter((t) => t.status === 'failed');
    for (const t of failedTests) out.push(`  ✕ ${file} › ${t.fullName}\n${head((t.failureMessages ?? []).join('\n'))}`);
    if (failedTests.length === 0 && suite.status === 'failed') out.push(`  ✕ ${file} (suite failed)\n${head(suite.message ?? '')}`);
  }
  return out;
}

function stripAnsi(text) {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

switch (command) {
  case 'test': {
    install();
    // The status page's browser test drives Debian's chromium; install it when it is missing.
    spawnSync('bash', [path.join(root, 'scripts', 'ensure-chromium.sh')], { stdio: 'inherit', env });
    for (const dir of workspaceDirs()) fs.rmSync(path.join(dir, '.jest-results.json'), { force: true });
    const deps = run(['exec', 'node', 'scripts/check-deps.cjs']);
    const typecheck = run(['exec', 'turbo', 'run', 'typecheck', '--concurrency=2', '--continue', '--output-logs=errors-only', ...rest]);
    // `pnpm lint`: ESLint (type-aware) and Prettier over the workspace, and each public package's API report.
    const lint = run(['run', 'lint', '--concurrency=2', '--continue']);
    // One package's jest at a time: integration tests time leases and failovers on a 2-core machine.
    const tests = run(['exec', 'turbo', 'run', 'test', '--concurrency=1', '--continue', '--', '--json', '--outputFile=.jest-results.json', ...(process.env.CI ? ['--ci'] : [])]);
    console.log('\njest results by package:');
    const { passed, failed, missing } = summarizeJest();
    if (deps !== 0) console.log('dependency check failed');
    if (typecheck !== 0) console.log('typecheck failed');
    if (lint !== 0) console.log('lint failed (pnpm lint; `pnpm format` and `pnpm api:update` fix formatting and API reports)');
    const ok = deps === 0 && typecheck === 0 && lint === 0 && tests === 0 && failed === 0 && missing.length === 0;
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(ok ? 0 : 1);
  }
  case 'demo': {
    install();
    const built = run(['exec', 'turbo', 'run', 'build', '--filter=@shardline/demo...', '--output-logs=errors-only']);
    if (built !== 0) process.exit(built);
    // Ctrl-C reaches the demo too, which cleans up and exits 130: wait for that instead of dying first.
    process.on('SIGINT', () => undefined);
    process.exit(run(['--filter', '@shardline/demo', 'start', ...rest]));
  }
  case 'bench': {
    install();
    // Benchmarks measure; never two at once. Every package's bench runs (--continue); the output
    // streams to the terminal and its `bench:` lines become bench/results.md (convention and parser
    // in scripts/bench-results.mjs).
    const { runBenches } = await import('./bench-results.mjs');
    process.exit(await runBenches(env, rest));
  }
  default:
    console.error('usage: node scripts/run.mjs test|demo|bench [args]');
    process.exit(2);
}
