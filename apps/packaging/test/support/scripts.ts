// The programs the temporary applications run live in ../../fixtures; each prints exactly one line,
// `RESULT <json>`, on stdout, so anything else on stdout is a package writing to stdout unasked.
import fs from 'node:fs';
import path from 'node:path';

/** The text of a program in fixtures/. */
export function fixture(name: string): string {
  return fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', name), 'utf8');
}

/**
 * tsconfig.json of an application: strict, node16 or nodenext, as `tsc --init` users set it;
 * `skipLibCheck: false` also type-checks the installed packages' declarations.
 */
export function appTsconfig(module: 'node16' | 'nodenext', { skipLibCheck = true }: { skipLibCheck?: boolean } = {}): string {
  const compilerOptions = { target: 'ES2022', module, moduleResolution: module, strict: true, skipLibCheck, outDir: 'dist', rootDir: 'src', types: ['node'] };
  return `${JSON.stringify({ compilerOptions, include: ['src'] }, null, 2)}\n`;
}

/** The `RESULT` line of a program's output; throws with the whole output when there is none. */
export function parseResult<T>(stdout: string, stderr: string): T {
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`no RESULT line\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as T;
}

/** Lines on stdout other than the RESULT line: output a package wrote unasked. */
export function strayStdout(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('RESULT '));
}
