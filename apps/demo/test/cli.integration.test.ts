import { spawn } from 'node:child_process';
import * as path from 'node:path';

const DEMO_DIR = path.join(__dirname, '..');

/** Runs `src/main.ts` (from sources, under tsx) with stdout a pipe, not a TTY. */
function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const k of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_KINESIS', 'AWS_ENDPOINT_URL_DYNAMODB']) delete env[k];
  const child = spawn(process.execPath, ['--conditions=shardline-source', '--import', 'tsx', 'src/main.ts', ...args], { cwd: DEMO_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('the demo command line', () => {
  it('with stdout not a TTY, writes plain lines (no escape codes) and exits 0 after a passing verification', async () => {
    const { code, stdout, stderr } = await runCli(['--duration', '8', '--rate', '300']);
    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).not.toMatch(/[\x1b\r]/);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.filter((l) => /^ +\d+\.\ds  progress: produced \d+\/\d+, consumed \d+/.test(l)).length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => /^ +\d+\.\ds  status page: http:\/\/127\.0\.0\.1:\d+\//.test(l))).toBe(true);
    expect(lines.some((l) => /^ +\d+\.\ds  failover: \d+ lease\(s\) taken over \d+ ms after SIGKILL/.test(l))).toBe(true);
    expect(lines.filter((l) => l.startsWith('verification: PASSED'))).toHaveLength(1);
    expect(lines.some((l) => /^  failover     [\d,]+ ms after SIGKILL of worker-\d/.test(l))).toBe(true);
  }, 100_000);

  it('lists its options with their defaults on --help', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--duration S', '--records N', '--rate N', '--shards N', '--workers N', '--record-size B', '--keep-running']) expect(stdout).toContain(flag);
    expect(stdout).toContain('(default 1000)');
  });

  it('rejects a flag whose value is missing with exit code 2', async () => {
    const { code, stdout, stderr } = await runCli(['--records', '--workers', '3']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^shardline-demo: Option '--records' argument is ambiguous\. \(see --help\)\n$/);
  });
});
