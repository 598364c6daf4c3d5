#!/usr/bin/env node
// API reports: runs API Extractor on each public package's built dist/index.d.ts and compares the result
// with the checked-in packages/<p>/etc/<p>.api.md, so a change to a public surface shows up in review.
//   node scripts/api-report.mjs [--update] [--package DIR]...
// Without --update it fails when a report differs (CI, `pnpm lint`); with --update it rewrites the
// reports (`pnpm api:update`). Packages without an api-extractor.json have no public API and are skipped.
// The packages must be built first (turbo's lint and api:update tasks depend on build).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const { Extractor, ExtractorConfig, ExtractorLogLevel } = require('@microsoft/api-extractor');

const args = process.argv.slice(2);
const update = args.includes('--update');
const only = args.flatMap((a, i) => (a === '--package' && args[i + 1] ? [path.resolve(args[i + 1])] : []));
// Analyse with the workspace's TypeScript, the compiler that built dist/, not the one bundled with API Extractor.
const typescriptCompilerFolder = path.dirname(require.resolve('typescript/package.json'));

function publicPackages() {
  const dirs = ['packages', 'apps'].flatMap((d) => fs.readdirSync(path.join(root, d)).map((p) => path.join(root, d, p)));
  return dirs.filter((dir) => fs.existsSync(path.join(dir, ExtractorConfig.FILENAME)));
}

const dirs = only.length > 0 ? only.filter((dir) => fs.existsSync(path.join(dir, ExtractorConfig.FILENAME))) : publicPackages();
const failures = [];
for (const dir of dirs) {
  const name = path.relative(root, dir);
  const config = ExtractorConfig.loadFileAndPrepare(path.join(dir, ExtractorConfig.FILENAME));
  if (!fs.existsSync(config.mainEntryPointFilePath)) {
    failures.push(`${name}: ${path.relative(root, config.mainEntryPointFilePath)} is missing; build the package first`);
    continue;
  }
  fs.mkdirSync(config.reportFolder, { recursive: true });
  const messages = [];
  const result = Extractor.invoke(config, {
    localBuild: update,
    typescriptCompilerFolder,
    messageCallback(message) {
      message.handled = true;
      // console-* messages narrate the report file being written or compared; the summary below says that.
      if (String(message.messageId).startsWith('console-')) return;
      if (message.logLevel === ExtractorLogLevel.Error || message.logLevel === ExtractorLogLevel.Warning) messages.push(message.formatMessageWithLocation(dir + path.sep));
    },
  });
  for (const m of messages) console.error(`${name}: ${m}`);
  const report = config.reportConfigs.map((r) => path.relative(root, path.join(config.reportFolder, r.fileName))).join(', ');
  if (result.apiReportChanged && update) console.log(`${name}: ${report} updated`);
  if (result.apiReportChanged && !update) failures.push(`${name}: the public API differs from ${report}; review the change and run \`pnpm api:update\``);
  else if (!result.succeeded) failures.push(`${name}: API Extractor reported ${result.errorCount} error(s) and ${result.warningCount} warning(s)`);
}
if (failures.length > 0) {
  console.error(`API report check failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log(`API reports ${update ? 'written' : 'match'}: ${dirs.map((d) => path.basename(d)).join(', ')}`);
