// The status page in a real browser: Debian's chromium driven by playwright-core, against a worker
// running on kinesalite + dynalite. `scripts/ensure-chromium.sh` (run by .ci/run) installs chromium.
// With SHARDLINE_WRITE_SCREENSHOT=1 the screenshot is also written to docs/status-page.png, the
// image the root README shows.
process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD ??= '1';

import { createDynamoDbClient } from '@shardline/core';
import { LeaseTable } from '@shardline/dynamo-lease';
import { createStream, uniqueName } from '@shardline/testkit';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { createPromMetrics, Worker } from '../src';
import { putRecords, splitShard, testWorkerOptions, useEmulators, waitFor } from './helpers';

// The page's globals, for the callbacks that run in the browser (the project compiles without the DOM lib).
interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement> & ArrayLike<PageElement>; getElementById(id: string): PageElement | null };
declare const window: object;

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACT = path.join(__dirname, 'artifacts', 'status-page.png');
const DOCS_IMAGE = path.resolve(__dirname, '../../../docs/status-page.png');

const t = useEmulators();

let browser: Browser | undefined;
const workers: Worker[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh (apt-get install chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

// Before the emulators stop (useEmulators' afterAll): a page still polling would scan a closed table.
afterEach(async () => {
  await Promise.all(browser?.contexts().map((c) => c.close()) ?? []);
  await Promise.all(workers.splice(0).map((w) => w.stop()));
});

afterAll(async () => {
  await browser?.close();
});

/** Lease key → owner as the page's shard table shows it. */
function pageOwners(page: Page): Promise<Record<string, string>> {
  return page.$$eval('#shards tbody tr', (rows: PageElement[]) => Object.fromEntries(rows.map((r) => [r.getAttribute('data-lease-key') ?? '', r.getAttribute('data-owner') ?? ''])));
}

async function tableOwners(tableName: string): Promise<Record<string, string>> {
  const client = createDynamoDbClient({ env: t.env });
  try {
    const leases = await new LeaseTable({ tableName, client }).listLeases();
    return Object.fromEntries(leases.map((l) => [l.leaseKey, l.leaseOwner ?? '']));
  } finally {
    client.destroy();
  }
}

describe('the status page in chromium', () => {
  it('shows the shards with their owners, and a lease change without a reload', async () => {
    const streamName = uniqueName('status');
    await createStream(t.kinesis, streamName, 4);
    const secretPayload = `record-payload-${uniqueName('secret')}`;
    await putRecords(t.kinesis, streamName, 400, secretPayload);
    const applicationName = uniqueName('orders-app');
    const registry = new Registry();
    let processed = 0;
    const options = (workerId: string, extra: object = {}) => testWorkerOptions(t, { applicationName, streamName, workerId, handler: (records) => void (processed += records.length), ...extra });
    const a = new Worker(options('worker-A', { metrics: createPromMetrics(registry), statusServer: { registry } }));
    const b = new Worker(options('worker-B'));
    workers.push(a, b);
    await a.start();
    await b.start();
    expect(a.statusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(b.statusUrl).toBeUndefined();

    // Balanced by graceful handoff: two shards each, as the lease table says.
    await waitFor(
      async () => {
        const owners = Object.values(await tableOwners(applicationName));
        return owners.filter((o) => o === 'worker-A').length === 2 && owners.filter((o) => o === 'worker-B').length === 2 && a.shards.length === 2 && b.shards.length === 2;
      },
      60_000,
      'two shards on each worker',
    );
    await waitFor(() => processed >= 400, 30_000, 'every record processed');

    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())));
    page.on('pageerror', (e) => void consoleErrors.push(String(e)));
    const response = await page.goto(a.statusUrl!);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    // Survives only as long as the page is not reloaded.
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));

    const expected = await tableOwners(applicationName);
    expect(Object.keys(expected)).toHaveLength(4);
    await page.waitForFunction(
      (want) => {
        const rows = [...document.querySelectorAll('#shards tbody tr')];
        return rows.length === 4 && rows.every((r) => r.getAttribute('data-owner') === want[r.getAttribute('data-lease-key') ?? '']);
      },
      expected,
      { timeout: 15_000 },
    );
    expect(await pageOwners(page)).toEqual(expected);
    expect(await page.textContent('#worker-id')).toBe('worker-A');
    // Lag and records come from this worker's own shards.
    const lagOfA = await page.$$eval('#shards tbody tr.here td[data-col="lag"]', (cells: PageElement[]) => cells.map((c) => c.textContent ?? ''));
    expect(lagOfA).toHaveLength(2);
    for (const lag of lagOfA) expect(lag).toMatch(/\d+(\.\d+)? (ms|s|min|h)$/);

    // Worker B stops gracefully: its leases are released and worker A takes them; the page follows.
    const lastSeq = await page.$$eval('#events li', (items: PageElement[]) => Math.max(0, ...items.map((i) => Number(i.getAttribute('data-seq')))));
    const leasesOfB = Object.keys(expected).filter((k) => expected[k] === 'worker-B');
    await b.stop();
    await page.waitForFunction(
      ({ keys, after }) => {
        const rows = [...document.querySelectorAll('#shards tbody tr')];
        const allA = rows.length === 4 && rows.every((r) => r.getAttribute('data-owner') === 'worker-A');
        const moved = keys.every((k) =>
          [...document.querySelectorAll(`#events li[data-lease-key="${k}"]`)].some(
            (li) => Number(li.getAttribute('data-seq')) > after && ['leaseTaken', 'leaseReleased', 'ownerChanged'].includes(li.getAttribute('data-kind') ?? ''),
          ),
        );
        return allA && moved;
      },
      { keys: leasesOfB, after: lastSeq },
      { timeout: 30_000 },
    );
    expect(Object.values(await tableOwners(applicationName)).every((o) => o === 'worker-A')).toBe(true);
    const takenAfterStop = await page.$$eval(
      '#events li[data-kind="leaseTaken"]',
      (items: PageElement[], after: number) => items.filter((i) => Number(i.getAttribute('data-seq')) > after).map((i) => i.getAttribute('data-lease-key')),
      lastSeq,
    );
    expect(takenAfterStop.sort()).toEqual([...leasesOfB].sort());

    // A split: the parent ends, its two children get leases, and the lineage shows parent → children.
    const parent = Object.keys(expected).sort()[0]!;
    await splitShard(t.kinesis, streamName, parent);
    await page.waitForFunction(
      (p) => {
        const edges = document.querySelectorAll('#lineage path.edge').length;
        const rows = [...document.querySelectorAll('#shards tbody tr')];
        const finished = rows.find((r) => r.getAttribute('data-lease-key') === p)?.querySelector('[data-col="state"]')?.textContent === 'finished';
        return edges === 2 && rows.length === 6 && finished && rows.filter((r) => r.getAttribute('data-owner') === 'worker-A').length === 5;
      },
      parent,
      { timeout: 60_000 },
    );
    expect(await page.$$eval('#events li[data-kind="shardEnded"]', (items: PageElement[]) => items.map((i) => i.getAttribute('data-lease-key')))).toContain(parent);

    // A third worker joins: graceful handoffs move shards to it, shown as they happen.
    const c = new Worker(options('worker-C'));
    workers.push(c);
    await c.start();
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('#shards tbody tr')];
        const ofA = rows.filter((r) => r.getAttribute('data-owner') === 'worker-A').length;
        const settled = rows.every((r) => !r.hasAttribute('data-handoff')) && document.getElementById('c-here')?.textContent === String(ofA);
        return settled && rows.filter((r) => r.getAttribute('data-owner') === 'worker-C').length === 2;
      },
      undefined,
      { timeout: 60_000 },
    );
    await page.waitForFunction(() => document.querySelectorAll('#events li[data-kind="leaseReleased"]').length >= 2, undefined, { timeout: 15_000 });
    // New records: the counters of worker A's shards move on the page too.
    const before = Number((await page.textContent('#c-records'))!.replace(/,/g, ''));
    await putRecords(t.kinesis, streamName, 300, `${secretPayload}-more`);
    // Worker A holds 5/8 of the hash-key space: about 190 of them.
    await page.waitForFunction((min) => Number((document.getElementById('c-records')?.textContent ?? '0').replace(/,/g, '')) >= min, before + 100, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);

    // Nothing secret on the page or in its data: no credentials from the environment, no record data.
    const json = await (await fetch(new URL('status.json', a.statusUrl))).text();
    const html = await page.content();
    for (const text of [json, html]) {
      expect(text).not.toContain(t.env.AWS_ACCESS_KEY_ID!);
      expect(text).not.toContain(t.env.AWS_SECRET_ACCESS_KEY!);
      expect(text).not.toContain(secretPayload);
      expect(text).not.toContain(t.env.AWS_ENDPOINT_URL_DYNAMODB!);
    }
    const metrics = await fetch(new URL('metrics', a.statusUrl));
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toMatch(/^shardline_kcl_records_processed_total\{stream="[^"]+",shard_id="shardId-\d+"\} \d+/m);

    mkdirSync(path.dirname(ARTIFACT), { recursive: true });
    const png = await page.screenshot({ path: ARTIFACT, fullPage: true });
    if (process.env.SHARDLINE_WRITE_SCREENSHOT === '1') {
      mkdirSync(path.dirname(DOCS_IMAGE), { recursive: true });
      writeFileSync(DOCS_IMAGE, png);
    }
    expect(consoleErrors).toEqual([]);
  });
});
