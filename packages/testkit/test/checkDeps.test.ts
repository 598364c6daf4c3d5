import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The dependency check is a root script (CommonJS, so that CI and turbo run it without a build).
const { checkWorkspace } = require('../../../scripts/check-deps.cjs') as { checkWorkspace(root: string): string[] };

// Spelled so that the checker, which reads this file too, does not take the fixtures for imports.
const FROM = 'from';

function workspace(packages: Record<string, { deps?: string[]; dev?: string[]; files?: Record<string, string>; json?: Record<string, unknown> }>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'shardline-deps-'));
  fs.writeFileSync(path.join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
  for (const [dir, p] of Object.entries(packages)) {
    const base = path.join(root, 'packages', dir);
    fs.mkdirSync(path.join(base, 'src'), { recursive: true });
    const toObj = (names: string[] = []) => Object.fromEntries(names.map((n) => [n, 'workspace:^']));
    fs.writeFileSync(path.join(base, 'package.json'), JSON.stringify({ name: `@x/${dir}`, private: true, dependencies: toObj(p.deps), devDependencies: toObj(p.dev), ...p.json }));
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
      core: { files: { 'src/index.ts': 'export const x = 1;\n' } },
      app: { files: { 'src/index.ts': `import { x } ${FROM} '@x/core';\nimport y ${FROM} '@x/core/src/y';\nimport 'node:fs';\n` } },
    });
    const problems = checkWorkspace(root);
    expect(problems).toContain('packages/app/src/index.ts: imports @x/core, which @x/app does not declare in dependencies');
    expect(problems).toContain('packages/app/src/index.ts: deep import @x/core/src/y; import @x/core (or a subpath it exports) instead');
  });

  it('allows a subpath the package exports', () => {
    const root = workspace({
      core: { json: { exports: { '.': './dist/index.js', './internal': './dist/internal.js' } } },
      app: { deps: ['@x/core'], files: { 'src/index.ts': `import { x } ${FROM} '@x/core/internal';\n` } },
    });
    expect(checkWorkspace(root)).toEqual([]);
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

  it('checks peer dependencies: declared as devDependencies, forwarded, never loaded at import when optional', () => {
    const root = workspace({
      core: {
        json: { peerDependencies: { sdk: '^3.0.0', log: '^1.0.0' }, peerDependenciesMeta: { log: { optional: true } }, devDependencies: { sdk: '^3.1.0' } },
        files: { 'src/a.ts': `import type { A } ${FROM} 'log';\nimport { type B, c } ${FROM} 'log';\n` },
      },
      app: { deps: ['@x/core'] },
      other: { json: { peerDependencies: { sdk: '^3.2.0' }, dependencies: { sdk: '^3.2.0' }, devDependencies: { sdk: '^3.2.0' } } },
    });
    expect(checkWorkspace(root).sort()).toEqual(
      [
        'packages/app/package.json: depends on @x/core, which needs the peer sdk; declare it as a peerDependency too',
        'packages/core/package.json: peer log is not a devDependency, so the workspace does not build and test with it',
        'packages/core/src/a.ts: loads the optional peer log at import time; use `import type` and load it where the feature needs it (loadPeerDependency)',
        "packages/other/package.json: peer sdk@^3.2.0 differs from packages/core's ^3.0.0; use one range",
        'packages/other/package.json: sdk is both a dependency and a peerDependency',
      ].sort(),
    );
  });

  it('checks what a public package publishes', () => {
    const root = workspace({
      lib: {
        json: {
          private: false,
          license: 'Apache-2.0',
          dependencies: { '@aws-sdk/client-kinesis': '^3.0.0', pino: '^10.0.0' },
          exports: { '.': { 'shardline-source': './src/index.ts', default: './dist/index.js' } },
          files: ['dist/**'],
        },
      },
    });
    fs.writeFileSync(path.join(root, 'LICENSE'), 'root license\n');
    fs.writeFileSync(path.join(root, 'packages', 'lib', 'LICENSE'), 'another license\n');
    expect(checkWorkspace(root).sort()).toEqual(
      [
        "packages/lib/package.json: @aws-sdk/client-kinesis is a dependency; make it a peerDependency (and a devDependency), so the application's copy is the one used",
        "packages/lib/package.json: pino is a dependency; make it a peerDependency (and a devDependency), so the application's copy is the one used",
        'packages/lib/LICENSE: differs from the root LICENSE',
        'packages/lib/package.json: repository must be { type, url, directory: "packages/lib" }',
        'packages/lib/package.json: no homepage',
        'packages/lib/package.json: no bugs',
        'packages/lib/package.json: no keywords',
        'packages/lib/package.json: files must exclude source maps (e.g. "!dist/**/*.map"): their sources are not shipped',
        'packages/lib/package.json: the packed exports keep the dev-only shardline-source condition; override exports in publishConfig',
      ].sort(),
    );
  });
});
