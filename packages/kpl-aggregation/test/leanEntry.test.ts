import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// What requiring @shardline/kpl-aggregation loads, measured on the compiled package in a fresh
// `node` process: only the package and @shardline/core, no AWS SDK, logger, metrics library or
// protobufjs (a Lambda deaggregating records pays for none of them). The two packages are compiled
// into a temporary node_modules that holds nothing else, so a stray require would also fail there.

const PACKAGES = path.resolve(__dirname, '../..');
const FORBIDDEN = /^(@aws-sdk\/|@smithy\/|pino$|prom-client$|protobufjs$)/;

function compile(into: string): void {
  const tsconfig = path.join(into, 'tsconfig.json');
  fs.writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: path.join(PACKAGES, '..', 'tsconfig.base.json'),
      compilerOptions: { rootDir: PACKAGES, outDir: path.join(into, 'node_modules', '@shardline'), declaration: false, declarationMap: false, sourceMap: false, noCheck: true, types: [] },
      include: [path.join(PACKAGES, 'core', 'src'), path.join(PACKAGES, 'kpl-aggregation', 'src')],
      exclude: [path.join(PACKAGES, '*', 'src', '**', '*.test.ts')],
    }),
  );
  try {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', tsconfig], { encoding: 'utf8' });
  } catch (error) {
    throw new Error(`tsc failed: ${(error as { stdout?: string }).stdout ?? ''}`, { cause: error });
  }
  fs.writeFileSync(path.join(into, 'node_modules', '@shardline', 'kpl-aggregation', 'package.json'), JSON.stringify({ name: '@shardline/kpl-aggregation', main: './src/index.js' }));
  // core with its two entry points, as published.
  fs.writeFileSync(
    path.join(into, 'node_modules', '@shardline', 'core', 'package.json'),
    JSON.stringify({ name: '@shardline/core', main: './src/index.js', exports: { '.': './src/index.js', './base': './src/base.js' } }),
  );
}

// Runs in the child: records every module request, requires the package (argv[1]), makes a round trip.
const CHILD = `
const Module = require('node:module');
const requests = new Set();
const load = Module._load;
Module._load = function (request, ...rest) { requests.add(request); return load.call(this, request, ...rest); };
const before = new Set(Object.keys(require.cache));
const start = process.hrtime.bigint();
const kpl = require(process.argv[1]);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const files = Object.keys(require.cache).filter((f) => !before.has(f));
const records = [{ partitionKey: 'a', data: 'one' }, { partitionKey: 'b', data: 'two', explicitHashKey: '42' }];
const out = kpl.aggregateRecords(records).flatMap((r) => kpl.deaggregate({ Data: r.data, PartitionKey: r.partitionKey, SequenceNumber: '1' }));
const roundTrip = out.map((r) => [r.partitionKey, Buffer.from(r.data).toString(), r.explicitHashKey ?? null]);
process.stdout.write(JSON.stringify({ ms, files, requests: [...requests], roundTrip }));
`;

describe('the kpl-aggregation entry point', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shardline-lean-'));
    compile(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads no AWS SDK, pino, prom-client or protobufjs, and works without them installed', () => {
    const result = JSON.parse(execFileSync(process.execPath, ['-e', CHILD, '@shardline/kpl-aggregation'], { cwd: dir, encoding: 'utf8' })) as {
      ms: number;
      files: string[];
      requests: string[];
      roundTrip: unknown[];
    };
    const bare = result.requests.filter((r) => !r.startsWith('.') && !r.startsWith('/') && !r.startsWith('node:'));
    expect(bare.filter((r) => FORBIDDEN.test(r))).toEqual([]);
    expect(new Set(bare.filter((r) => r.startsWith('@')))).toEqual(new Set(['@shardline/kpl-aggregation', '@shardline/core/base']));
    const outside = result.files.filter((f) => !f.startsWith(path.join(fs.realpathSync(dir), 'node_modules', '@shardline') + path.sep));
    expect(outside).toEqual([]);
    expect(result.roundTrip).toEqual([
      ['a', 'one', null],
      ['b', 'two', '42'],
    ]);
    // Not an assertion (timing belongs in benchmarks): for the record.
    console.log(`kpl-aggregation require: ${result.ms.toFixed(1)} ms, ${result.files.length} modules`);
  });
});
