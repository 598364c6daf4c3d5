import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The dependency check is a root script (CommonJS, so that CI and turbo run it without a build).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { checkWorkspace } = require('../../../scripts/check-deps.cjs') as { checkWorkspace(root: string): string[] };

// Spelled so that the checker, which reads this file too, does not take the fixtures for imports.
const FROM = 'from';

function workspace(packages: Record<string, { deps?: string[]; dev?: string[]; files?: Record<string, string> }>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shardline-deps-'));
  fs.writeFileSync(path.join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
  for (const [dir, p] of Object.entries(packages)) {
    const base = path.join(root, 'packages', dir);
    fs.mkdirSync(path.join(base, 'src'), { recursive: true });
    const toObj = (names: string[] = []) => Object.fromEntries(names.map((n) => [n, 'workspace:^']));
    fs.writeFileSync(path.join(base, 'package.json'), JSON.stringify({ name: `@x/${dir}`, dependencies: toObj(p.deps), devDependencies: toObj(p.dev) }));
    for (const [file, text] of Object.entries(p.files ?? {})) {
      fs.mkdirSync(path.dirname(path.join(base, file)), { recursive: true });
      fs.writeFileSync(path.join(base, file), text);
    }
  }
  return root;
}

describe('dependency check', () => {
  it('passes on this repository', () => {
    expect(checkWorkspace(path.resolve(__dirname, '../../..'))).toEqual([]);
  });

  it('fails on an undeclared workspace import and on a deep import', () => {
    const root = workspace({
      core: { files: { 'src/index.ts': "export const x = 1;\n" } },
      app: { files: { 'src/index.ts': `import { x } ${FROM} '@x/core';\nimport y ${FROM} '@x/core/src/y';\nimport 'node:fs';\n` } },
    });
    const problems = checkWorkspace(root);
    expect(problems).toContain('packages/app/src/index.ts: imports @x/core, which @x/app does not declare in dependencies');
    expect(problems).toContain('packages/app/src/index.ts: deep import @x/core/src/y; import @x/core instead');
  });

  it('lets tests use devDependencies but not src', () => {
    const root = workspace({
      kit: {},
      lib: { dev: ['@x/kit'], files: { 'test/a.integration.test.ts': "import '@x/kit';\n", 'src/a.ts': "import '@x/kit';\n" } },
    });
    expect(checkWorkspace(root)).toEqual(['packages/lib/src/a.ts: imports @x/kit, which @x/lib does not declare in dependencies']);
  });

  it('fails on a cycle', () => {
    const root = workspace({ a: { deps: ['@x/b'] }, b: { deps: ['@x/c'] }, c: { dev: ['@x/a'] } });
    expect(checkWorkspace(root)).toEqual(['dependency cycle: @x/a -> @x/b -> @x/c -> @x/a']);
  });
});
