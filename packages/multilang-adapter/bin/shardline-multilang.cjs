#!/usr/bin/env node
'use strict';
// The shardline-multilang command. It runs the built package (dist/); from a workspace checkout,
// build first (pnpm --filter @shardline/multilang-adapter build), or run the sources with
// node --conditions=shardline-source --import tsx src/cli.ts.
const path = require('node:path');

const entry = path.join(__dirname, '..', 'dist', 'cli.js');
let cli;
try {
  cli = require(entry);
} catch (error) {
  if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(entry)) {
    process.stderr.write(`shardline-multilang: ${entry} is missing; build the package first (pnpm --filter @shardline/multilang-adapter build)\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
if (cli) cli.runCli();
