// `pnpm bench` at the root: runs every package's bench (turbo, one at a time), streams the output to
// the terminal, and writes bench/results.md from the `bench:` lines.
//
// Line convention (every package bench prints these on stdout):
//
//   bench: <name> <value> <unit> -- <peer and conditions>
//
//   - <name>: lower-case words joined by '-'; <value>: a number; <unit>: one token (records/s, MB/s,
//     ms, req/s, x, …); everything after ' -- ' says what was measured against what, under which
//     conditions ("modelled" when a figure comes from a model, not a measurement).
//   - A ratio has unit `x` and is named `<figure>-vs-<peer>`. It is the `<figure>` line's value
//     divided by the peer's value (so higher is better for rates, lower for times and costs; the
//     line's text says which). When the same package printed a line named `<figure>`, the ratio
//     becomes that figure's `ratio`; when it printed `<figure>-<peer>`, that is the peer's value.
//     Lines used this way do not get rows of their own; every other line gets a row as it is.
//     `<figure>-vs-<peer>-<qualifier>` is also understood, with the figure `<figure>-<qualifier>`
//     (e.g. `producer-vs-raw-putrecords-limited` → figure `producer-limited`, peer `raw-putrecords-limited`).
//   - The parser is tolerant: the ' -- ' part may be missing, a value that is not a number is kept
//     as text, unknown units are fine, a name printed twice in one unit keeps its last value (in
//     another unit it is a second row, `<name> (<unit>)`), and lines that do not start with `bench:`
//     (after turbo's `<package>:bench:` prefix) are ignored.
//
// bench/results.md: one table, columns figure, value, peer, ratio, machine (CPU model, cores, Node
// version, date), rows grouped by package in turbo's order; packages whose bench failed are listed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const LINE = /^(?:(\S+?):bench:\s*)?(?:.*?\s)?bench:\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+--\s*(.*))?$/;

/** Parses captured output into packages → (name → { value, unit, text }), in the order first seen. */
export function parseBenchLines(output) {
  const packages = new Map();
  for (const raw of output.split(/\r?\n/)) {
    const m = LINE.exec(raw.replace(ANSI, '').trimEnd());
    if (!m) continue;
    const [, pkg = '(no package)', name, value, unit, text = ''] = m;
    if (!packages.has(pkg)) packages.set(pkg, new Map());
    const lines = packages.get(pkg);
    // A name printed again in the same unit keeps its last value; in another unit it is a second figure.
    const key = lines.has(name) && lines.get(name).unit !== unit ? `${name} (${unit})` : name;
    lines.delete(key);
    const number = Number(value);
    lines.set(key, { value: Number.isFinite(number) ? number : value, unit, text: text.trim() });
  }
  return packages;
}

function show(line) {
  if (typeof line.value !== 'number') return `${line.value} ${line.unit}`;
  const v = line.value;
  const digits = line.unit === 'x' ? 2 : Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3;
  return `${v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: line.unit === 'x' ? 2 : 0 })} ${line.unit}`;
}

/** Rows of one package, in printing order: a ratio's row sits where the ratio was printed. */
export function rowsOf(lines) {
  const used = new Set();
  const ratios = new Map();
  for (const [name, line] of lines) {
    if (line.unit !== 'x' || !name.includes('-vs-')) continue;
    // Split at the `-vs-` whose left side is a printed figure; else at the last one.
    const cuts = [...name.matchAll(/-vs-/g)].map((m) => m.index);
    const cut = cuts.find((i) => lines.has(name.slice(0, i))) ?? cuts[cuts.length - 1];
    let figure = name.slice(0, cut);
    const peer = name.slice(cut + 4);
    // `<figure>-vs-<peer>-<qualifier>` (e.g. producer-vs-raw-putrecords-limited) names the figure `<figure>-<qualifier>`.
    if (!lines.has(figure)) {
      const parts = peer.split('-');
      for (let i = parts.length - 1; i > 0; i--) {
        const candidate = `${figure}-${parts.slice(i).join('-')}`;
        if (lines.has(candidate)) {
          figure = candidate;
          break;
        }
      }
    }
    const figureLine = lines.get(figure);
    const peerName = lines.has(`${figure}-${peer}`) ? `${figure}-${peer}` : lines.has(peer) ? peer : undefined;
    const peerLine = peerName ? lines.get(peerName) : undefined;
    if (figureLine) used.add(figure);
    if (peerName) used.add(peerName);
    // The ratio's own text, then the peer line's (a modelled peer's formula lives there).
    const texts = [line.text, peerLine?.text].filter((t, i, all) => t && all.indexOf(t) === i).join('; ');
    const peerText = [peer + (peerLine ? ` = ${show(peerLine)}` : ''), texts].filter(Boolean).join(': ');
    ratios.set(name, { figure, value: figureLine ? show(figureLine) : '', peer: peerText, ratio: show(line) });
  }
  const rows = [];
  for (const [name, line] of lines) {
    if (ratios.has(name)) rows.push(ratios.get(name));
    else if (!used.has(name)) rows.push({ figure: name, value: show(line), peer: line.text, ratio: '' });
  }
  return rows;
}

export function machine(now = new Date()) {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  return `${model}, ${cpus.length} cores, Node ${process.version}, ${now.toISOString().slice(0, 10)}`;
}

const cell = (s) =>
  String(s ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');

/** The markdown of bench/results.md. */
export function resultsMarkdown(packages, { failed = [], command = 'pnpm bench', now = new Date() } = {}) {
  const m = machine(now);
  const out = [
    '# Benchmark results',
    '',
    `Written by \`${command}\` (scripts/run.mjs, parsed by scripts/bench-results.mjs) on ${now.toISOString()}; machine: ${m}.`,
    'Each ratio is the figure divided by the peer named beside it, both measured in the same run unless the peer says "modelled".',
    '',
    '| figure | value | peer | ratio | machine |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [pkg, lines] of packages) {
    for (const r of rowsOf(lines)) out.push(`| \`${cell(r.figure)}\` (${cell(pkg.replace(/^@shardline\//, ''))}) | ${cell(r.value)} | ${cell(r.peer)} | ${cell(r.ratio)} | ${cell(m)} |`);
  }
  out.push('');
  if (failed.length) out.push(`Benches that failed in this run (their rows are missing or partial): ${failed.join(', ')}.`, '');
  return out.join('\n');
}

/** Task ids turbo reports as failed (`Failed: @scope/pkg#bench`). */
function failedTasks(output) {
  const failed = new Set();
  for (const raw of output.split(/\r?\n/)) {
    const m = /Failed:\s+(.+)$/.exec(raw.replace(ANSI, ''));
    if (m) for (const t of m[1].split(/[\s,]+/)) if (t.includes('#')) failed.add(t.trim());
  }
  return [...failed];
}

/** Runs `turbo run bench` through pnpm with output streamed and captured; writes bench/results.md. */
export async function runBenches(env, rest = []) {
  const args = ['exec', 'turbo', 'run', 'bench', '--concurrency=1', '--continue', ...rest];
  let captured = '';
  const status = await new Promise((resolve) => {
    const child = spawn('pnpm', args, { env, cwd: root, stdio: ['inherit', 'pipe', 'pipe'], shell: process.platform === 'win32' });
    child.stdout.on('data', (d) => {
      process.stdout.write(d);
      captured += d.toString();
    });
    child.stderr.on('data', (d) => {
      process.stderr.write(d);
      captured += d.toString();
    });
    child.on('error', () => resolve(1));
    child.on('close', (code) => resolve(code ?? 1));
  });
  const packages = parseBenchLines(captured);
  const failed = failedTasks(captured);
  fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
  const file = path.join(root, 'bench', 'results.md');
  fs.writeFileSync(file, resultsMarkdown(packages, { failed, command: `pnpm bench${rest.length ? ' ' + rest.join(' ') : ''}` }));
  const count = [...packages.values()].reduce((n, l) => n + l.size, 0);
  console.log(`\n[shardline] ${count} bench lines from ${packages.size} packages written to ${path.relative(process.cwd(), file)}${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
  return status;
}
