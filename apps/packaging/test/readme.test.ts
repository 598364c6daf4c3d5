// Every ```ts block of every README is real code: written into the workspace (so that @shardline/*
// resolve, to their sources) and type-checked with tsc, strict as tsconfig.base.json. A block that is
// deliberately a fragment is skipped only when the README marks it with <!-- not-checked -->.
import fs from 'node:fs';
import path from 'node:path';
import { checkedAsEsm, type CodeBlock, codeBlocks, foreignImports, type Readme, readmes } from './support/readmeBlocks';
import { run } from './support/run';
import { root } from './support/workspace';

/** Where the blocks are written: inside this package, so its node_modules resolve their imports. */
const CHECK_DIR = path.join(__dirname, '..', '.readme-check');
const STUBS = path.join(__dirname, 'readme-stubs');

interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

const all = readmes().map((readme) => ({ readme, blocks: codeBlocks(readme.file) }));
const written = new Map<string, { block: CodeBlock }>();
const diagnostics: Diagnostic[] = [];
let tscOutput = '';

function slug(readme: Readme): string {
  return path.dirname(readme.file) === '.' ? 'root' : path.basename(path.dirname(readme.file));
}

beforeAll(async () => {
  fs.rmSync(CHECK_DIR, { recursive: true, force: true });
  fs.mkdirSync(CHECK_DIR, { recursive: true });
  for (const { readme, blocks } of all) {
    const dir = path.join(CHECK_DIR, slug(readme));
    fs.mkdirSync(dir, { recursive: true });
    if (fs.existsSync(path.join(STUBS, slug(readme)))) fs.cpSync(path.join(STUBS, slug(readme)), dir, { recursive: true });
    for (const block of blocks.filter((b) => !b.skipped)) {
      // node16 either way: ESM (.mts) or CommonJS (.ts), see checkedAsEsm.
      const file = path.join(dir, `line-${block.line}.${checkedAsEsm(block.code) ? 'mts' : 'ts'}`);
      fs.writeFileSync(file, `${block.code}\nexport {};\n`);
      written.set(path.relative(CHECK_DIR, file), { block });
    }
  }
  const tsconfig = {
    extends: path.relative(CHECK_DIR, path.join(root, 'tsconfig.base.json')),
    compilerOptions: { noEmit: true, declaration: false, declarationMap: false, customConditions: ['shardline-source'], types: ['node'] },
    include: ['**/*.ts', '**/*.mts'],
  };
  fs.writeFileSync(path.join(CHECK_DIR, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  const result = await run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: CHECK_DIR, timeoutMs: 240_000 });
  tscOutput = result.stdout + result.stderr;
  for (const line of tscOutput.split('\n')) {
    const m = /^(.+?)\((\d+),\d+\): (error TS\d+: .*)$/.exec(line);
    if (m) diagnostics.push({ file: path.normalize(m[1]!), line: Number(m[2]), text: m[3]! });
    else if (line.startsWith(' ') && diagnostics.length)
      diagnostics[diagnostics.length - 1] = { ...diagnostics[diagnostics.length - 1]!, text: `${diagnostics[diagnostics.length - 1]!.text}\n${line}` };
  }
  if (result.status !== 0 && diagnostics.length === 0) throw new Error(`tsc failed without diagnostics:\n${tscOutput}`);
}, 300_000);

afterAll(() => {
  if (process.env.SHARDLINE_KEEP_APPS !== '1') fs.rmSync(CHECK_DIR, { recursive: true, force: true });
});

describe('README examples', () => {
  it.each(all.map(({ readme, blocks }) => [readme.file, readme, blocks] as const))('%s: every ts block type-checks and imports only its own package', (_file, readme, blocks) => {
    const imports = blocks.filter((b) => !b.skipped).flatMap((b) => foreignImports(b, readme).map((spec) => `${b.readme}:${b.line}: imports ${spec}`));
    const errors = diagnostics
      .filter((d) => written.get(d.file)?.block.readme === readme.file)
      .map((d) => {
        const { block } = written.get(d.file)!;
        const line = block.line + d.line - 1;
        return `${block.readme}:${line}: ${d.text}`;
      });
    // Diagnostics in this README's stubs count against it; those in package sources (reached through
    // the shardline-source condition) are the package typecheck's to report.
    const elsewhere = diagnostics.filter((d) => !written.has(d.file) && d.file.startsWith(`${slug(readme)}${path.sep}`)).map((d) => `${d.file}:${d.line}: ${d.text}`);
    expect({ imports, errors, elsewhere }).toEqual({ imports: [], errors: [], elsewhere: [] });
  });

  it('skips only blocks marked <!-- not-checked -->, and few of them', () => {
    const blocks = all.flatMap((r) => r.blocks);
    const skipped = blocks.filter((b) => b.skipped);
    expect(blocks.length).toBeGreaterThan(10);
    expect(skipped.length).toBeLessThanOrEqual(Math.ceil(blocks.length / 5));
  });
});
