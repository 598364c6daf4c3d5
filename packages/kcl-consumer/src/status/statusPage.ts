import { createHash } from 'node:crypto';

// The page is one self-contained document: inline CSS and JS, system fonts, no build step and no
// request to anywhere but its own `status.json`. It renders with DOM calls and `textContent` only
// (lease keys and worker ids come from the table, which anybody with write access can fill).

const STYLE = `
:root {
  --bg: #f5f6f8; --panel: #ffffff; --ink: #1d2330; --muted: #667085; --line: #e3e6eb;
  --accent: #2f6fde; --ok: #1f9d55; --warn: #c27c0e; --bad: #d14343; --chip: #eef1f5;
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #12151b; --panel: #1a1f27; --ink: #e6e9ef; --muted: #98a2b3; --line: #2a313c; --chip: #242b36; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
code, .mono { font-family: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 18px; padding: 16px 24px; background: var(--panel); border-bottom: 1px solid var(--line); }
header h1 { margin: 0; font-size: 18px; font-weight: 650; letter-spacing: -0.01em; }
header h1 span { color: var(--muted); font-weight: 500; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 14px; color: var(--muted); font-size: 13px; }
.meta b { color: var(--ink); font-weight: 600; }
.meta [hidden] { display: none; }
.live { margin-left: auto; display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--muted); }
.live.on .dot { background: var(--ok); box-shadow: 0 0 0 3px color-mix(in srgb, var(--ok) 25%, transparent); }
.live.off .dot { background: var(--bad); }
main { padding: 18px 24px 28px; display: grid; gap: 18px; max-width: 1400px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 14px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
.card .v { font-size: 24px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
section h2 { margin: 0; padding: 11px 14px; font-size: 14px; font-weight: 650; border-bottom: 1px solid var(--line); display: flex; gap: 10px; align-items: baseline; }
section h2 small { color: var(--muted); font-weight: 500; }
.split { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px; align-items: start; }
@media (max-width: 980px) { .split { grid-template-columns: 1fr; } }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 14px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; }
tbody tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.here td:first-child { box-shadow: inset 3px 0 0 var(--accent); }
.owner { display: inline-flex; align-items: center; gap: 7px; padding: 2px 9px 2px 7px; border-radius: 999px; background: var(--chip); }
.owner::before { content: ""; width: 9px; height: 9px; border-radius: 50%; background: var(--owner, var(--muted)); }
.owner.none { color: var(--muted); font-style: italic; }
.arrow { margin: 0 6px; color: var(--muted); }
.you { margin-left: 6px; color: var(--accent); font-size: 11px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.04em; }
.state { display: inline-block; padding: 1px 8px; border-radius: 6px; font-size: 12px; background: var(--chip); color: var(--muted); }
.state.processing { color: var(--ok); }
.state.finished { color: var(--muted); }
.state.waiting-on-parents, .state.handoff, .state.shutting-down, .state.initializing { color: var(--warn); }
.state.unowned, .state.lease-lost { color: var(--bad); }
.lag.high { color: var(--bad); font-weight: 600; }
.muted { color: var(--muted); }
.empty { padding: 14px; color: var(--muted); }
.banner { padding: 10px 14px; border-radius: 10px; background: color-mix(in srgb, var(--bad) 12%, var(--panel)); border: 1px solid color-mix(in srgb, var(--bad) 40%, var(--line)); }
.banner[hidden] { display: none; }
#lineage { padding: 10px 14px 14px; overflow-x: auto; }
#lineage svg { display: block; }
#lineage text { font: 12px ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace; fill: var(--ink); }
#lineage .node { fill: var(--chip); stroke: var(--muted); stroke-width: 1.3; }
#lineage .node.unowned { stroke-dasharray: 4 3; }
#lineage text.who { font: 11.5px system-ui, sans-serif; fill: var(--muted); }
#lineage .edge { fill: none; stroke: var(--muted); stroke-width: 1.4; opacity: 0.7; }
#lineage .gen { font: 11px system-ui, sans-serif; fill: var(--muted); text-transform: uppercase; letter-spacing: 0.05em; }
ol#events { list-style: none; margin: 0; padding: 0; max-height: 420px; overflow-y: auto; }
ol#events li { display: grid; grid-template-columns: 64px 118px minmax(0, 1fr); gap: 10px; align-items: baseline; padding: 6px 14px; border-bottom: 1px solid var(--line); }
ol#events li:last-child { border-bottom: 0; }
ol#events .t { color: var(--muted); font-variant-numeric: tabular-nums; font-size: 12.5px; }
.kind { font-size: 12px; font-weight: 600; padding: 1px 7px; border-radius: 6px; background: var(--chip); justify-self: start; }
.kind.leaseTaken, .kind.shardStarted { color: var(--ok); }
.kind.leaseReleased, .kind.handoffRequested, .kind.ownerChanged, .kind.leaseCreated { color: var(--accent); }
.kind.leaseStolen, .kind.leaseLost, .kind.processorFailed { color: var(--bad); }
.kind.shardEnded, .kind.leaseDeleted { color: var(--muted); }
.what { overflow-wrap: anywhere; }
.what .how { color: var(--muted); font-family: system-ui, sans-serif; font-size: 13px; margin-left: 8px; }
footer { color: var(--muted); font-size: 12px; padding: 0 24px 20px; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var base = location.href.split(/[?#]/)[0];
  if (base.charAt(base.length - 1) !== '/') base += '/';
  var statusUrl = new URL('status.json', base).toString();
  var last = null;
  var failures = 0;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  // Colours by order of first sight, so that a worker keeps its colour while the page is open.
  var PALETTE = ['#2f6fde', '#e8590c', '#2b8a3e', '#ae3ec9', '#c2255c', '#0c8599', '#f08c00', '#5f3dc4', '#5c940d', '#1971c2'];
  var colours = {};
  var nextColour = 0;
  function ownerColor(id) {
    if (!colours[id]) {
      if (nextColour < PALETTE.length) colours[id] = PALETTE[nextColour++];
      else {
        var h = 0;
        for (var i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
        colours[id] = 'hsl(' + (h % 360) + ' 60% 48%)';
      }
    }
    return colours[id];
  }
  function ownerFill(id) { return 'color-mix(in srgb, ' + ownerColor(id) + ' 14%, transparent)'; }
  function duration(ms) {
    if (ms === null || ms === undefined) return '\\u2014';
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 1 : 0) + ' s';
    if (ms < 3600000) return Math.round(ms / 60000) + ' min';
    return (ms / 3600000).toFixed(1) + ' h';
  }
  function ago(at, now) {
    if (at === null || at === undefined) return '\\u2014';
    return duration(Math.max(0, now - at)) + ' ago';
  }
  function clock(at) {
    var d = new Date(at);
    function p(n) { return (n < 10 ? '0' : '') + n; }
    return p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());
  }
  function shortPosition(p) {
    if (p === null || p === undefined) return '\\u2014';
    return /^[0-9]{13,}/.test(p) ? '\\u2026' + p.slice(-10) : p;
  }
  function chip(owner) {
    var c = el('span', owner === null ? 'owner none' : 'owner', owner === null ? 'nobody' : owner);
    if (owner !== null) c.style.setProperty('--owner', ownerColor(owner));
    return c;
  }
  function ownerChip(lease, self) {
    var wrap = el('span');
    // During a graceful handoff the table names the new owner; the old one still processes.
    if (lease.checkpointOwner !== null && lease.checkpointOwner !== lease.owner) {
      wrap.appendChild(chip(lease.checkpointOwner));
      wrap.appendChild(el('span', 'arrow', '\u2192'));
    }
    wrap.appendChild(chip(lease.owner));
    if (lease.owner !== null && lease.owner === self) wrap.appendChild(el('span', 'you', 'this worker'));
    return wrap;
  }
  function cell(row, content, cls, title) {
    var td = el('td', cls);
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    if (title) td.title = title;
    row.appendChild(td);
    return td;
  }
  function stateOf(lease, shard) {
    if (lease.checkpointOwner !== null) return 'handoff';
    if (shard) return shard.state;
    if (lease.finished) return 'finished';
    if (lease.owner === null) return 'unowned';
    return 'held';
  }

  function renderHeader(s) {
    var w = s.worker;
    $('worker-id').textContent = w.workerId;
    $('application').textContent = w.applicationName;
    $('table-name').textContent = w.tableName;
    $('table-meta').hidden = w.tableName === w.applicationName;
    $('streams').textContent = w.streams.map(function (x) { return x.streamName; }).join(', ');
    $('lifecycle').textContent = w.lifecycle;
    document.title = w.workerId + ' \\u00b7 ' + w.applicationName + ' \\u00b7 Shardline';
  }

  function renderCards(s) {
    var records = 0, lag = null;
    s.shards.forEach(function (x) {
      records += x.recordsProcessed;
      if (x.millisBehindLatest !== null) lag = Math.max(lag === null ? 0 : lag, x.millisBehindLatest);
    });
    $('c-here').textContent = String(s.shards.length);
    $('c-leases').textContent = String(s.leases.length);
    $('c-open').textContent = String(s.leases.filter(function (l) { return !l.finished; }).length);
    $('c-workers').textContent = String(s.owners.filter(function (o) { return o.leases > 0; }).length);
    $('c-records').textContent = records.toLocaleString('en-US');
    $('c-lag').textContent = duration(lag);
  }

  function renderShards(s) {
    var body = el('tbody');
    var here = {};
    s.shards.forEach(function (x) { here[x.leaseKey] = x; });
    var self = s.worker.workerId;
    s.leases.forEach(function (l) {
      var shard = here[l.leaseKey];
      var tr = el('tr', shard ? 'here' : '');
      tr.setAttribute('data-lease-key', l.leaseKey);
      tr.setAttribute('data-owner', l.owner === null ? '' : l.owner);
      if (l.checkpointOwner !== null) tr.setAttribute('data-handoff', l.checkpointOwner);
      cell(tr, l.shardId, 'mono', l.leaseKey);
      if (s.worker.streams.length > 1) cell(tr, l.streamName || '\\u2014');
      cell(tr, ownerChip(l, self)).setAttribute('data-col', 'owner');
      cell(tr, String(l.counter), 'num');
      cell(tr, shortPosition(l.checkpoint), 'mono', l.checkpoint || '');
      cell(tr, shard ? shard.recordsProcessed.toLocaleString('en-US') : '\\u2014', 'num');
      var lag = shard ? shard.millisBehindLatest : null;
      var lagCell = cell(tr, shard ? duration(lag) : '\\u2014', 'num lag' + (lag !== null && lag > 60000 ? ' high' : ''), shard ? '' : 'lag is reported by the status page of the lease owner');
      lagCell.setAttribute('data-col', 'lag');
      cell(tr, shard ? ago(shard.lastBatchAt, s.generatedAt) : '\\u2014', 'num');
      var st = stateOf(l, shard);
      cell(tr, el('span', 'state ' + st, st)).setAttribute('data-col', 'state');
      body.appendChild(tr);
    });
    var table = $('shards');
    $('streams-col').hidden = s.worker.streams.length <= 1;
    table.replaceChild(body, table.tBodies[0]);
    $('shards-empty').hidden = s.leases.length > 0;
  }

  function renderLineage(s) {
    var box = $('lineage');
    var nodes = s.lineage.nodes;
    if (nodes.length === 0) { box.replaceChildren(el('div', 'empty', 'No leases yet.')); return; }
    var byKey = {};
    s.leases.forEach(function (l) { byKey[l.leaseKey] = l; });
    var columns = [];
    nodes.forEach(function (n) { (columns[n.generation] = columns[n.generation] || []).push(n); });
    var W = 240, H = 30, GX = 44, GY = 10, TOP = 22;
    var rows = 0;
    columns.forEach(function (c) { if (c) rows = Math.max(rows, c.length); });
    var width = columns.length * W + (columns.length - 1) * GX + 2;
    var height = TOP + rows * (H + GY);
    var root = svg('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': 'shard lineage' });
    var pos = {};
    columns.forEach(function (c, g) {
      if (!c) return;
      var label = svg('text', { x: g * (W + GX) + 1, y: 12, 'class': 'gen' });
      label.textContent = g === 0 ? 'shards' : 'generation ' + g;
      root.appendChild(label);
      c.forEach(function (n, i) { pos[n.leaseKey] = { x: g * (W + GX) + 1, y: TOP + i * (H + GY) }; });
    });
    s.lineage.edges.forEach(function (e) {
      var a = pos[e.parent], b = pos[e.child];
      if (!a || !b) return;
      var x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
      root.appendChild(svg('path', { d: 'M' + x1 + ' ' + y1 + ' C' + mx + ' ' + y1 + ' ' + mx + ' ' + y2 + ' ' + x2 + ' ' + y2, 'class': 'edge' }));
    });
    nodes.forEach(function (n) {
      var p = pos[n.leaseKey], l = byKey[n.leaseKey];
      if (!p || !l) return;
      var g = svg('g', { 'data-lease-key': n.leaseKey });
      var rect = svg('rect', { x: p.x, y: p.y, width: W, height: H, rx: 7, 'class': 'node' + (l.finished ? ' finished' : l.owner === null ? ' unowned' : '') });
      if (!l.finished && l.owner !== null) {
        rect.style.setProperty('fill', ownerFill(l.owner));
        rect.style.setProperty('stroke', ownerColor(l.owner));
      }
      g.appendChild(rect);
      var t = svg('text', { x: p.x + 10, y: p.y + H / 2 + 4 });
      t.textContent = l.shardId + (l.finished ? ' \\u2713' : '');
      g.appendChild(t);
      var o = svg('text', { x: p.x + W - 9, y: p.y + H / 2 + 4, 'text-anchor': 'end', 'class': 'who' });
      o.textContent = l.finished ? 'finished' : l.owner === null ? 'nobody' : l.owner;
      g.appendChild(o);
      var title = svg('title', {});
      title.textContent = l.leaseKey + '\\nowner: ' + (l.owner || 'nobody') + '\\ncheckpoint: ' + (l.checkpoint || '\\u2014') + (l.parentShardIds.length ? '\\nparents: ' + l.parentShardIds.join(', ') : '');
      g.appendChild(title);
      root.appendChild(g);
    });
    box.replaceChildren(root);
  }

  var LABELS = {
    leaseTaken: 'taken', leaseStolen: 'stolen', leaseLost: 'lost', leaseReleased: 'released', handoffRequested: 'handoff asked',
    shardStarted: 'shard started', shardEnded: 'shard ended', processorFailed: 'processor failed', leaseDeleted: 'lease deleted',
    leaseCreated: 'lease created', ownerChanged: 'owner changed'
  };
  function who(v) { return v === null ? 'nobody' : v; }
  function describe(e) {
    var what = el('span', 'what mono', e.leaseKey.slice(e.leaseKey.lastIndexOf(':') + 1));
    what.title = e.leaseKey;
    var how = [];
    if (e.from !== undefined && e.to !== undefined) how.push(who(e.from) + ' \\u2192 ' + who(e.to));
    else if (e.from !== undefined) how.push('from ' + who(e.from));
    else if (e.to !== undefined) how.push('to ' + who(e.to));
    if (e.detail) how.push(e.detail);
    if (how.length) what.appendChild(el('span', 'how', how.join(' \\u00b7 ')));
    return what;
  }
  function renderEvents(s) {
    var list = el('ol');
    list.id = 'events';
    s.events.slice(-60).reverse().forEach(function (e) {
      var li = el('li');
      li.setAttribute('data-kind', e.kind);
      li.setAttribute('data-seq', String(e.seq));
      li.setAttribute('data-lease-key', e.leaseKey);
      li.appendChild(el('span', 't', clock(e.at)));
      li.appendChild(el('span', 'kind ' + e.kind, LABELS[e.kind] || e.kind));
      li.appendChild(describe(e));
      list.appendChild(li);
    });
    $('events').replaceWith(list);
    $('events-empty').hidden = s.events.length > 0;
  }

  function render(s) {
    s.owners.forEach(function (o) { ownerColor(o.workerId); });
    renderHeader(s);
    renderCards(s);
    renderShards(s);
    renderLineage(s);
    renderEvents(s);
    var banner = $('banner');
    banner.hidden = s.leasesError === null;
    banner.textContent = s.leasesError === null ? '' : 'Reading the lease table fails (' + s.leasesError + '); showing the leases read ' + ago(s.leasesReadAt, s.generatedAt) + '.';
    document.body.setAttribute('data-generated-at', String(s.generatedAt));
  }

  function setLive(ok) {
    var live = $('live');
    live.className = 'live ' + (ok ? 'on' : 'off');
    $('live-text').textContent = ok ? 'live \\u00b7 updated ' + clock(last.generatedAt) : 'disconnected \\u00b7 retrying';
  }

  function tick() {
    fetch(statusUrl, { cache: 'no-store', headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (s) { last = s; failures = 0; render(s); setLive(true); })
      .catch(function () { failures++; if (failures > 1 || last === null) setLive(false); })
      .then(function () { setTimeout(tick, 1000); });
  }
  tick();
})();
`;

const BODY = `<header>
  <h1>Shardline <span>worker status</span></h1>
  <div class="meta">
    <span>worker <b id="worker-id" class="mono">\u2026</b></span>
    <span>application <b id="application">\u2026</b></span>
    <span id="table-meta">lease table <b id="table-name">\u2026</b></span>
    <span>streams <b id="streams">\u2026</b></span>
    <span>state <b id="lifecycle">\u2026</b></span>
  </div>
  <div id="live" class="live"><span class="dot"></span><span id="live-text">connecting\u2026</span></div>
</header>
<main>
  <div id="banner" class="banner" hidden></div>
  <div class="cards">
    <div class="card"><div class="k">Shards here</div><div class="v" id="c-here">\u2014</div></div>
    <div class="card"><div class="k">Leases</div><div class="v" id="c-leases">\u2014</div></div>
    <div class="card"><div class="k">Open shards</div><div class="v" id="c-open">\u2014</div></div>
    <div class="card"><div class="k">Workers</div><div class="v" id="c-workers">\u2014</div></div>
    <div class="card"><div class="k">Records here</div><div class="v" id="c-records">\u2014</div></div>
    <div class="card"><div class="k">Max lag here</div><div class="v" id="c-lag">\u2014</div></div>
  </div>
  <section>
    <h2>Shards <small>every lease in the table; lag and records for the shards this worker processes</small></h2>
    <table id="shards">
      <thead><tr><th>Shard</th><th id="streams-col" hidden>Stream</th><th>Owner</th><th class="num">Counter</th><th>Checkpoint</th><th class="num">Records</th><th class="num">Behind latest</th><th class="num">Last batch</th><th>State</th></tr></thead>
      <tbody></tbody>
    </table>
    <div id="shards-empty" class="empty" hidden>No leases in the table yet.</div>
  </section>
  <div class="split">
    <section>
      <h2>Lineage <small>parents \u2192 children after splits and merges</small></h2>
      <div id="lineage"><div class="empty">Loading\u2026</div></div>
    </section>
    <section>
      <h2>Recent events <small>newest first</small></h2>
      <ol id="events"></ol>
      <div id="events-empty" class="empty" hidden>No events yet.</div>
    </section>
  </div>
</main>
<footer>Refreshes every second from <code>status.json</code>; Prometheus metrics at <code>metrics</code>.</footer>`;

/** The status page: one HTML document with its CSS and JS inline, polling `status.json` every second. @public */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Shardline worker status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

let policy: string | undefined;

/**
 * The Content-Security-Policy sent with the page: its own inline style and script (by hash) and
 * requests to its own origin only, so nothing on it can load from anywhere else.
 * @public
 */
export function statusPageContentSecurityPolicy(): string {
  policy ??= [
    "default-src 'none'",
    `style-src ${sha256(STYLE)}`,
    `script-src ${sha256(SCRIPT)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return policy;
}
