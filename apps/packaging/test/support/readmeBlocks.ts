import fs from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { readJson, root } from './workspace';

/** The marker, on the line before a fence, that exempts a deliberate fragment from the check. */
export const NOT_CHECKED = '<!-- not-checked -->';

/** One ```ts block of a README. */
export interface CodeBlock {
  /** README path relative to the repository root. */
  readonly readme: string;
  /** 1-based README line of the block's first code line (after the fence). */
  readonly line: number;
  readonly code: string;
  /** True when the block is preceded by {@link NOT_CHECKED}. */
  readonly skipped: boolean;
}

/** A README and the package it documents (undefined for the root README). */
export interface Readme {
  readonly file: string;
  readonly packageName: string | undefined;
  /** Bare specifiers its examples may import besides their own package, Node and the AWS SDK. */
  readonly peers: readonly string[];
}

/** The root README, every package README and every app README. */
export function readmes(): Readme[] {
  const dirs = [root, ...['packages', 'apps'].flatMap((d) => fs.readdirSync(path.join(root, d)).map((p) => path.join(root, d, p)))];
  return dirs
    .filter((dir) => fs.existsSync(path.join(dir, 'README.md')))
    .map((dir) => {
      const json = dir === root ? undefined : readJson(path.join(dir, 'package.json'));
      return { file: path.relative(root, path.join(dir, 'README.md')) || 'README.md', packageName: json?.name, peers: Object.keys(json?.peerDependencies ?? {}) };
    });
}

/** The ```ts and ```typescript blocks of a README. */
export function codeBlocks(readme: string): CodeBlock[] {
  const lines = fs.readFileSync(path.join(root, readme), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    let previous = i - 1;
    while (previous >= 0 && lines[previous]!.trim() === '') previous--;
    const skipped = previous >= 0 && lines[previous]!.trim() === NOT_CHECKED;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    blocks.push({ readme, line: start + 1, code: lines.slice(start, end).join('\n'), skipped });
    i = end;
  }
  return blocks;
}

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"\n]+)\1/gm;
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * Imports an example may not make: anything but its own package, Node, the AWS SDK (`@aws-sdk/*`,
 * `@smithy/*`), the package's peer dependencies, and `./app` (the reader's own code). The root README
 * may import every Shardline package.
 */
export function foreignImports(block: CodeBlock, readme: Readme): string[] {
  const bad: string[] = [];
  for (const m of block.code.matchAll(IMPORT_RE)) {
    const spec = m[2]!;
    if (spec === './app' || BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) continue;
    if (spec.startsWith('@aws-sdk/') || spec.startsWith('@smithy/')) continue;
    if (readme.packageName ? spec === readme.packageName : spec.startsWith('@shardline/')) continue;
    if (readme.peers.includes(spec)) continue;
    bad.push(spec);
  }
  return bad;
}

/**
 * Whether a block is checked as an ES module (.mts, where top-level await is allowed, as a reader
 * pasting it into an ESM application would): every block except those importing the reader's own
 * code (`./app`), which are checked as CommonJS so that the extensionless import resolves.
 */
export function checkedAsEsm(code: string): boolean {
  return !/from\s+['"]\.\//.test(code);
}
