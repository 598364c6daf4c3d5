#!/usr/bin/env node
import { parseDemoArgs } from './parseDemoArgs';
import { runDemo } from './runDemo';

runDemo(parseDemoArgs(process.argv.slice(2)))
  .then((summary) => {
    if (!summary.ok) process.exitCode = 1;
  })
  .catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exitCode = 1;
  });
