// The producer now against the producer at an earlier revision, in the same run: `pnpm bench:before-after [rev]`
// (default: the revision before the producer was split into pipeline stages). Run by hand; CI does not.
//
// The earlier core, kpl-aggregation and producer sources are extracted with `git archive` into a
// temporary tree that borrows this workspace's third-party dependencies, so both sides run the same
// SDK and the same kinesalite. Each measurement is a process of its own (a warm-up run, then the
// measured one); rounds alternate which side goes first, and the lines are medians. Workloads:
// send() and put() through a Putter that answers at once (the producer's own CPU per record), and
// send() to kinesalite in a child process with the rate limiter lifted.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmulatorProcess, stopEmulatorProcess } from '@shardline/testkit';
import { median, print } from './benchSupport';

const BEFORE = process.argv[2] ?? process.env.BEFORE_REV ?? '5b14b05~1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WORKLOADS = ['noop-send', 'noop-put', 'kinesalite-send'] as const;
const PACKAGES = ['core', 'kpl-aggregation', 'producer'];
const here = path.resolve(__dirname, '..');
const root = path.resolve(here, '..', '..');

interface Sample {
  readonly cpu: number;
  readonly wall: number;
}

/** The earlier revision's sources, with each package's node_modules borrowed from this workspace. */
function extractTree(rev: string): string {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'shardline-before-'));
  const archive = execFileSync('git', ['-C', root, 'archive', rev, ...PACKAGES.map((p) => `packages/${p}`)], { maxBuffer: 256 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', tree], { input: archive });
  for (const pkg of PACKAGES) {
    const real = path.join(root, 'packages', pkg, 'node_modules');
    const modules = path.join(tree, 'packages', pkg, 'node_modules');
    fs.mkdirSync(path.join(modules, '@shardline'), { recursive: true });
    for (const entry of fs.readdirSync(real)) if (entry !== '@shardline' && entry !== '.bin') fs.symlinkSync(path.join(real, entry), path.join(modules, entry));
    // Shardline packages of the same revision where it has them; testkit (bench-only) from this workspace.
    for (const dep of fs.existsSync(path.join(real, '@shardline')) ? fs.readdirSync(path.join(real, '@shardline')) : []) {
      const sibling = path.join(tree, 'packages', dep);
      fs.symlinkSync(fs.existsSync(sibling) ? sibling : path.join(real, '@shardline', dep), path.join(modules, '@shardline', dep));
    }
  }
  return tree;
}

function measureOnce(tree: string, workload: string, endpoint: string): Promise<Sample> {
  const tsx = path.join(here, 'node_modules', '.bin', 'tsx');
  const child = spawn(tsx, ['--conditions=shardline-source', path.join(__dirname, 'beforeAfterChild.ts'), tree, workload, endpoint], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!) as Sample) : reject(new Error(`${workload} in ${tree} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', BEFORE]).toString().trim();
  const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).toString().trim();
  const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'packages/producer/src', 'packages/core/src', 'packages/kpl-aggregation/src']).toString().trim() !== '';
  const tree = extractTree(BEFORE);
  const emulator = await startEmulatorProcess('kinesis');
  try {
    for (const workload of WORKLOADS) {
      const before: Sample[] = [];
      const after: Sample[] = [];
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate who goes first.
        const order: [string, Sample[]][] = [
          [tree, before],
          [root, after],
        ];
        if (round % 2) order.reverse();
        for (const [dir, samples] of order) samples.push(await measureOnce(dir, workload, emulator.endpoint));
        ratios.push(after[round]!.cpu / before[round]!.cpu);
      }
      const perCpu = median(after.map((s) => s.cpu)) / median(before.map((s) => s.cpu));
      const perWall = median(after.map((s) => s.wall)) / median(before.map((s) => s.wall));
      const spread = `rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
      const conditions = `${workload}: records per CPU-second of the producer's process, median of ${ROUNDS} alternated rounds, HEAD ${head}${dirty ? ' + uncommitted changes' : ''} over ${commit}; ${spread}; per wall second ${perWall.toFixed(2)}; before ${Math.round(median(before.map((s) => s.cpu)))}, after ${Math.round(median(after.map((s) => s.cpu)))} records/CPU-s`;
      print(`producer-${workload}-after-vs-before`, perCpu, 'x', conditions);
    }
  } finally {
    await stopEmulatorProcess(emulator);
    fs.rmSync(tree, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
