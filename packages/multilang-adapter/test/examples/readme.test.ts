// Keeps the README real: every TypeScript block is one of the files here (typechecked by the
// package's tsconfig), the properties block is app.properties and is read without a warning, and
// the keys and credentials tables are the ones the code has.
import fs from 'node:fs';
import path from 'node:path';
import { daemonOptionsFromProperties, parseProperties } from '../../src';
import { credentialsRows, noOpKeyRows, supportedKeyRows, unsupportedKeyRows } from './readmeTables';

const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const blocks = (lang: string): string[] => [...readme.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
const EXAMPLES = ['child.ts', 'subSequence.ts', 'daemon.ts'];

/** An example file as the README shows it: without its first comment line, importing the package by name. */
function asShown(file: string): string {
  const text = fs.readFileSync(path.join(__dirname, file), 'utf8');
  return text.replace(/^\/\/.*\n/, '').replace(/'\.\.\/\.\.\/src'/g, "'@shardline/multilang-adapter'");
}

describe('README.md', () => {
  it('shows each example file, and only those, as its TypeScript blocks', () => {
    expect(blocks('ts').sort()).toEqual(EXAMPLES.map(asShown).sort());
  });

  it('shows app.properties, which the daemon reads without a warning', () => {
    const file = fs.readFileSync(path.join(__dirname, 'app.properties'), 'utf8');
    expect(blocks('properties')).toEqual([file]);
    const { warnings } = daemonOptionsFromProperties(parseProperties(file, { source: 'app.properties' }), { env: {}, hostname: 'host', propertiesPath: 'app.properties' });
    expect(warnings).toEqual([]);
  });

  it.each([
    ['supported keys', supportedKeyRows],
    ['keys without effect', noOpKeyRows],
    ['keys ignored with a warning', unsupportedKeyRows],
    ['credentials providers', credentialsRows],
  ])('has the table of %s the code has', (_what, rows) => {
    for (const row of rows()) expect(readme).toContain(`\n${row}\n`);
  });
});
