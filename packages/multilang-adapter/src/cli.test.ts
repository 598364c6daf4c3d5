import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { ShutdownSignalsOptions } from '@shardline/kcl-consumer';
import { type CliDaemon, type CliIo, EXIT_CODES, main } from './cli';
import type { MultiLangDaemonOptions } from './daemon/MultiLangDaemonOptions';

const PACKAGE = path.join(__dirname, '..');
const SAMPLE = path.join(PACKAGE, 'test', 'fixtures', 'sample.properties');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shardline-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};

/** Runs main with captured streams. */
async function run(argv: string[], extra: Partial<CliIo> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    cwd: dir,
    ...extra,
  });
  return { code, stdout, stderr };
}

const jsonLines = (text: string): Record<string, unknown>[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('shardline-multilang', () => {
  it('prints usage with --help and -h, the version with --version', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await run([flag]);
      expect(r.code).toBe(EXIT_CODES.OK);
      expect(r.stdout).toContain('Usage: shardline-multilang [options] <file.properties>');
      expect(r.stdout).toContain('Exit codes:');
      expect(r.stderr).toBe('');
    }
    const v = await run(['--version']);
    expect(v).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it('accepts the properties file as --properties, -p, --properties-file or the argument', async () => {
    for (const argv of [['--properties', SAMPLE], ['-p', SAMPLE], ['--properties-file', SAMPLE], [SAMPLE], [`--properties=${SAMPLE}`], ['--properties', SAMPLE, '--properties-file', SAMPLE]]) {
      const r = await run(['--check', ...argv]);
      expect([argv, r.code, r.stderr]).toEqual([argv, EXIT_CODES.OK, '']);
      expect(JSON.parse(r.stdout)).toMatchObject({
        executableName: 'node consumer/record_processor.js',
        worker: { applicationName: 'orders-consumer', streamName: 'orders', workerId: 'orders-consumer-1', clientOptions: { region: 'us-east-1', credentials: "the AWS SDK's default chain" } },
      });
    }
  });

  it('resolves a relative file against the working directory', async () => {
    write('relative.properties', 'executableName=x\napplicationName=rel-app\nstreamName=s\n');
    const r = await run(['--check', 'relative.properties']);
    expect(r.code).toBe(EXIT_CODES.OK);
    expect(JSON.parse(r.stdout).worker.applicationName).toBe('rel-app');
  });

  it('rejects bad arguments with exit code 2', async () => {
    const cases: [string[], string][] = [
      [[], 'a properties file is required'],
      [['--bogus', SAMPLE], "Unknown option '--bogus'"],
      [['a.properties', 'b.properties'], 'one properties file is expected (got 2: a.properties b.properties)'],
      [['--properties', 'a.properties', '--properties-file', 'b.properties'], '--properties and --properties-file name different files'],
      [['--log-level', 'loud', SAMPLE], '--log-level must be one of trace, debug, info, warn, error, fatal, silent (got "loud")'],
      [['--properties'], "Option '-p, --properties <value>' argument missing"],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect([argv, r.code]).toEqual([argv, EXIT_CODES.USAGE]);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('Run shardline-multilang --help for usage.');
      expect(r.stdout).toBe('');
    }
    const env = await run([SAMPLE], { env: { SHARDLINE_LOG_LEVEL: 'chatty' } });
    expect(env.code).toBe(EXIT_CODES.USAGE);
    expect(env.stderr).toContain('SHARDLINE_LOG_LEVEL must be one of');
  });

  it('exits 3 for a missing, unreadable or invalid file, naming the key and line', async () => {
    const missing = await run(['nope.properties']);
    expect(missing).toEqual({ code: EXIT_CODES.CONFIG, stdout: '', stderr: 'shardline-multilang: cannot read the properties file nope.properties: no such file\n' });
    const directory = await run([dir]);
    expect(directory.code).toBe(EXIT_CODES.CONFIG);
    expect(directory.stderr).toContain('it is a directory');
    write('bad.properties', 'executableName=x\napplicationName=bad-app\nstreamName=s\nmaxRecords = lots\n');
    const bad = await run(['-p', 'bad.properties']);
    expect(bad).toEqual({ code: EXIT_CODES.CONFIG, stdout: '', stderr: 'shardline-multilang: bad.properties:4: maxRecords must be an integer (got "lots")\n' });
    write('escape.properties', 'executableName=\\u00zz\n');
    expect((await run(['escape.properties'])).stderr).toBe('shardline-multilang: escape.properties:1: executableName: malformed \\uXXXX escape (got \\u00zz)\n');
  });

  it('prints the warnings on stderr with --check, and no secrets on stdout', async () => {
    write('warn.properties', 'executableName=x\napplicationName=warn-app\nstreamName=s\nRetrievalMode=FANOUT\nshutdownGraceMillis=0\nAwsCredentialsProvider=EnvironmentVariableCredentialsProvider\n');
    const r = await run(['--check', 'warn.properties', '-l', 'logback.xml'], { env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'very-secret' } });
    expect(r.code).toBe(EXIT_CODES.OK);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'shardline-multilang: warning: --log-configuration logback.xml is ignored: logs are pino JSON lines; use --log-level',
      'shardline-multilang: warning: warn.properties:4: RetrievalMode is not a key of the MultiLang daemon and is ignored; did you mean retrievalMode? (keys are case-sensitive)',
      expect.stringMatching(/^shardline-multilang: warning: warn\.properties:5: shutdownGraceMillis=0 would make SIGTERM not graceful/),
    ]);
    expect(r.stdout).not.toContain('very-secret');
    expect(r.stdout).not.toContain('AKIDEXAMPLE');
    expect(JSON.parse(r.stdout).worker.clientOptions.credentials).toBe('keys from the environment');
  });

  describe('running', () => {
    /** A daemon that records calls; `signal()` plays SIGTERM once it has started. */
    function fakeDaemon(behaviour: { failStart?: Error } = {}) {
      const calls: string[] = [];
      let onSignal: ShutdownSignalsOptions['onSignal'];
      let options: MultiLangDaemonOptions | undefined;
      const daemon: CliDaemon = {
        start: async () => {
          calls.push('start');
          if (behaviour.failStart) throw behaviour.failStart;
          setImmediate(() => onSignal?.('SIGTERM'));
        },
        stop: async () => void calls.push('stop'),
        handleSignals: (o) => {
          calls.push('handleSignals');
          onSignal = o?.onSignal;
          return () => void calls.push('removeHandlers');
        },
      };
      const createDaemon = (o: MultiLangDaemonOptions): CliDaemon => {
        options = o;
        return daemon;
      };
      return { calls, createDaemon, options: () => options };
    }

    it('starts the daemon, logs the warnings as JSON lines on stderr, and stops gracefully on a signal', async () => {
      write('run.properties', 'executableName=node app.js\napplicationName=run-app\nstreamName=s\nmetricsLevel=DETAILED\n');
      const fake = fakeDaemon();
      const r = await run(['run.properties', '--log-level', 'info'], { createDaemon: fake.createDaemon });
      expect(r.code).toBe(EXIT_CODES.OK);
      expect(r.stdout).toBe('');
      expect(fake.calls).toEqual(['handleSignals', 'start', 'stop']);
      const lines = jsonLines(r.stderr);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 40,
          name: 'shardline-multilang',
          propertiesFile: 'run.properties',
          msg: expect.stringMatching(/^run\.properties:4: metricsLevel is not supported and is ignored/),
        }),
        expect.objectContaining({ level: 30, workerId: fake.options()?.worker.workerId, msg: expect.stringContaining('workerId is not set') }),
      ]);
      expect(fake.options()).toMatchObject({ executableName: 'node app.js', logger: expect.anything() });
    });

    it('exits 1 when the daemon fails to start, after stopping it', async () => {
      write('fail.properties', 'executableName=x\napplicationName=fail-app\nstreamName=s\nworkerId=w\n');
      const fake = fakeDaemon({ failStart: new Error('connect ECONNREFUSED 127.0.0.1:1') });
      const r = await run(['fail.properties'], { createDaemon: fake.createDaemon });
      expect(r.code).toBe(EXIT_CODES.FAILED);
      expect(fake.calls).toEqual(['handleSignals', 'start', 'stop', 'removeHandlers']);
      expect(jsonLines(r.stderr)).toEqual([
        expect.objectContaining({ level: 50, msg: 'the MultiLang daemon failed to start', err: expect.objectContaining({ message: 'connect ECONNREFUSED 127.0.0.1:1' }) }),
      ]);
    });

    it('honours --log-level', async () => {
      write('quiet.properties', 'executableName=x\napplicationName=quiet-app\nstreamName=s\nmetricsLevel=DETAILED\n');
      const r = await run(['quiet.properties', '--log-level', 'error'], { createDaemon: fakeDaemon().createDaemon });
      expect(r).toEqual({ code: EXIT_CODES.OK, stdout: '', stderr: '' });
    });
  });

  describe('as a process, from the workspace sources', () => {
    const spawnCli = (args: string[], env: Record<string, string> = {}) =>
      spawn(process.execPath, ['--conditions=shardline-source', '--import', 'tsx', path.join(PACKAGE, 'src', 'cli.ts'), ...args], {
        cwd: PACKAGE,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    const collect = (child: ReturnType<typeof spawnCli>) => {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      return { exited, out: () => ({ stdout, stderr }) };
    };

    it('checks the sample file and exits 0', async () => {
      const child = collect(spawnCli(['--check', '-p', 'test/fixtures/sample.properties']));
      expect(await child.exited).toEqual({ code: 0, signal: null });
      expect(JSON.parse(child.out().stdout).worker.streamName).toBe('orders');
    });

    it('exits 3 for a missing file', async () => {
      const child = collect(spawnCli(['missing.properties']));
      expect((await child.exited).code).toBe(EXIT_CODES.CONFIG);
      expect(child.out().stderr).toContain('cannot read the properties file missing.properties: no such file');
    });

    const unreachable = (name: string, port: number): string =>
      write(
        name,
        `executableName=node -e 0\napplicationName=${name.replace('.properties', '')}-app\nstreamName=s\nworkerId=w\n` +
          `kinesisEndpoint=http://127.0.0.1:${port}\ndynamoDBEndpoint=http://127.0.0.1:${port}\nregionName=us-east-1\nshutdownGraceMillis=2000\n`,
      );
    const awsEnv = { AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' };

    it('exits 1 when AWS refuses the connection', async () => {
      // Nothing listens on port 9 (discard): DynamoDB calls fail at once.
      const child = collect(spawnCli([unreachable('refused.properties', 9)], awsEnv));
      expect(await child.exited).toEqual({ code: EXIT_CODES.FAILED, signal: null });
      expect(jsonLines(child.out().stderr).map((l) => l.msg)).toContain('the MultiLang daemon failed to start');
    }, 60_000);

    it('stops gracefully on SIGTERM while its start still waits on AWS', async () => {
      // A server that accepts connections and never answers: the start hangs until the signal.
      const sockets: Socket[] = [];
      const server = createServer((socket) => void sockets.push(socket));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      try {
        const proc = spawnCli([unreachable('blackhole.properties', port), '--log-level', 'info'], awsEnv);
        const child = collect(proc);
        await new Promise<void>((resolve) => {
          const check = (): void => (sockets.length > 0 ? resolve() : void setTimeout(check, 20));
          check();
        });
        proc.kill('SIGTERM');
        expect(await child.exited).toEqual({ code: EXIT_CODES.OK, signal: null });
        const messages = jsonLines(child.out().stderr).map((l) => l.msg);
        expect(messages).toContain('signal received; stopping gracefully');
        expect(messages).toContain('MultiLang daemon stopped');
        expect(child.out().stdout).toBe('');
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    }, 60_000);
  });
});
