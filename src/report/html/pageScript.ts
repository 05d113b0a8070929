/**
 * The report page's only script (inlined; the page works without it, minus the table's
 * sorting, filtering and paging). It decodes the embedded rows, then sorts, filters and pages
 * the resets table, and takes a clicked row to its connection's ladder. Cells are filled with
 * textContent only: no string from a capture is ever parsed as HTML.
 */
import { DECODE_ROWS_SOURCE } from './resetTableDecoder.js';

/** Table columns in order: key (the script's sort/cell key) and header text. */
export const TABLE_COLUMNS: readonly (readonly [string, string])[] = [
  ['id', 'reset'],
  ['ts', 'time (UTC)'],
  ['frame', 'capture:frame'],
  ['conn', 'connection'],
  ['src', 'source'],
  ['dst', 'destination'],
  ['flags', 'flags'],
  ['ttl', 'TTL'],
  ['stage', 'stage'],
  ['cause', 'cause'],
  ['verdict', 'verdict'],
  ['conf', 'conf.'],
  ['sig', 'signature'],
  ['reason', 'reason text'],
];

/** The script, wrapped so that it leaves no globals. */
export const PAGE_SCRIPT = `(function () {
'use strict';
${DECODE_ROWS_SOURCE}
var table = document.getElementById('resets');
if (!table) return;
var chunks = [];
document.querySelectorAll('script.wr-rows').forEach(function (s) { chunks.push(JSON.parse(s.textContent)); });
var R = decodeRows(chunks);
var ladders = new Set();
document.querySelectorAll('svg[data-conn]').forEach(function (el) { ladders.add(el.getAttribute('data-conn')); });
var collator = new Intl.Collator('en', { numeric: true });
var perCause = table.getAttribute('data-ladders-per-cause');
var K = { stage: 0, cause: 1, verdict: 2, origin: 3, flags: 4, sig: 5, ev: 6, conf: 7 };
function kindField(i, f) { return R.kinds[R.kind[i]][f]; }
function endpoint(a, p) { return a.indexOf(':') >= 0 ? '[' + a + ']:' + p : a + ':' + p; }
function pad(n, w) { n = String(n); while (n.length < w) n = '0' + n; return n; }
function timeOf(ts) {
  var whole = Math.floor(ts), micros = Math.round((ts - whole) * 1e6);
  if (micros >= 1e6) { whole += 1; micros -= 1e6; }
  var ms = whole * 1000, iso = ms >= -62167219200000 && ms < 253402300800000 ? new Date(ms).toISOString() : '????-??-??T??:??:??.???Z';
  return [iso.slice(11, 19) + '.' + pad(micros, 6), iso.slice(0, 10)];
}
var text = {
  id: function (i) { return R.id[i]; },
  ts: function (i) { return timeOf(R.ts[i])[0]; },
  frame: function (i) { return R.cap[i] + ':' + R.frame[i]; },
  conn: function (i) { return R.conn[i] === null ? '-' : R.conn[i]; },
  src: function (i) { return endpoint(R.addrs[R.src[i]], R.sport[i]); },
  dst: function (i) { return endpoint(R.addrs[R.dst[i]], R.dport[i]); },
  flags: function (i) { return kindField(i, K.flags); },
  ttl: function (i) { return String(R.ttl[i]); },
  stage: function (i) { return kindField(i, K.stage) || '-'; },
  cause: function (i) { return kindField(i, K.cause) || '-'; },
  verdict: function (i) { return kindField(i, K.verdict) || '-'; },
  conf: function (i) { var c = kindField(i, K.conf); return c === null ? '-' : c.toFixed(2); },
  sig: function (i) { return kindField(i, K.sig) || '-'; },
  ev: function (i) { return kindField(i, K.ev); },
  reason: function (i) { return R.reason[i] < 0 ? '' : R.reasons[R.reason[i]]; }
};
var numeric = {
  ts: function (i) { return R.ts[i]; },
  frame: function (i) { return R.cap[i] * 1e12 + R.frame[i]; },
  ttl: function (i) { return R.ttl[i]; },
  conf: function (i) { var c = kindField(i, K.conf); return c === null ? -1 : c; },
  src: null, dst: null
};
var search = new Array(R.n);
function haystack(i) {
  var h = search[i];
  if (h === undefined) {
    h = [text.id(i), text.frame(i), text.conn(i), text.src(i), text.dst(i), text.flags(i), text.stage(i), text.cause(i),
      text.verdict(i), kindField(i, K.origin), text.sig(i), text.ev(i), text.reason(i)].join(' ').toLowerCase();
    search[i] = h;
  }
  return h;
}
var q = document.getElementById('t-q');
var sel = { cause: document.getElementById('t-cause'), verdict: document.getElementById('t-verdict'), stage: document.getElementById('t-stage') };
var sizeSel = document.getElementById('t-size');
var status = document.getElementById('t-status');
var pageInfo = document.getElementById('t-page');
var prevBtn = document.getElementById('t-prev'), nextBtn = document.getElementById('t-next');
var tbody = table.tBodies[0];
var state = { key: null, dir: 1, page: 0, rows: null };
function filtered() {
  var words = q.value.toLowerCase().split(/\\s+/).filter(Boolean);
  var want = { cause: sel.cause.value, verdict: sel.verdict.value, stage: sel.stage.value };
  var out = [];
  for (var i = 0; i < R.n; i++) {
    if (want.cause && kindField(i, K.cause) !== want.cause) continue;
    if (want.verdict && kindField(i, K.verdict) !== want.verdict) continue;
    if (want.stage && kindField(i, K.stage) !== want.stage) continue;
    if (words.length) {
      var h = haystack(i), ok = true;
      for (var w = 0; w < words.length; w++) if (h.indexOf(words[w]) < 0) { ok = false; break; }
      if (!ok) continue;
    }
    out.push(i);
  }
  return out;
}
function sortRows(rows) {
  if (state.key === null) return rows;
  var key = state.key, dir = state.dir, num = numeric[key], txt = text[key];
  if (key === 'src' || key === 'dst') {
    var a = key === 'src' ? R.src : R.dst, p = key === 'src' ? R.sport : R.dport;
    rows.sort(function (x, y) { return dir * (collator.compare(R.addrs[a[x]], R.addrs[a[y]]) || p[x] - p[y]) || x - y; });
  } else if (num) {
    rows.sort(function (x, y) { return dir * (num(x) - num(y)) || x - y; });
  } else {
    rows.sort(function (x, y) { return dir * collator.compare(txt(x), txt(y)) || x - y; });
  }
  return rows;
}
function cell(tr, key, i) {
  var td = document.createElement('td');
  var t = text[key](i);
  if (key === 'conn' && ladders.has(R.conn[i])) {
    var a = document.createElement('a');
    a.href = '#conn-' + R.conn[i];
    a.textContent = t;
    td.appendChild(a);
  } else td.textContent = t;
  if (key === 'ts') td.title = timeOf(R.ts[i])[1] + ' UTC';
  if (key === 'cause' || key === 'verdict') td.className = key.charAt(0) + '-' + t;
  tr.appendChild(td);
}
var keys = [];
table.querySelectorAll('thead th').forEach(function (th) { keys.push(th.getAttribute('data-key')); });
function render() {
  var rows = state.rows, size = Number(sizeSel.value), pages = Math.max(1, Math.ceil(rows.length / size));
  if (state.page >= pages) state.page = pages - 1;
  var from = state.page * size, to = Math.min(rows.length, from + size);
  var frag = document.createDocumentFragment();
  for (var r = from; r < to; r++) {
    var i = rows[r], tr = document.createElement('tr');
    tr.setAttribute('data-row', String(i));
    tr.title = 'evidence: ' + (text.ev(i) || 'none');
    for (var k = 0; k < keys.length; k++) cell(tr, keys[k], i);
    frag.appendChild(tr);
  }
  tbody.replaceChildren(frag);
  status.textContent = rows.length === 0 ? 'No reset matches.' :
    'Resets ' + (from + 1) + '–' + to + ' of ' + rows.length + (rows.length < R.n ? ' (filtered from ' + R.n + ')' : '') + '.';
  pageInfo.textContent = 'page ' + (state.page + 1) + ' of ' + pages;
  prevBtn.disabled = state.page === 0;
  nextBtn.disabled = state.page >= pages - 1;
}
function refilter() { state.rows = sortRows(filtered()); state.page = 0; render(); }
var timer = 0;
q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(refilter, 150); });
for (var s in sel) sel[s].addEventListener('change', refilter);
sizeSel.addEventListener('change', function () { state.page = 0; render(); });
prevBtn.addEventListener('click', function () { state.page--; render(); });
nextBtn.addEventListener('click', function () { state.page++; render(); });
table.querySelectorAll('thead th').forEach(function (th) {
  var b = th.querySelector('button');
  b.addEventListener('click', function () {
    var key = th.getAttribute('data-key');
    state.dir = state.key === key ? -state.dir : 1;
    state.key = key;
    table.querySelectorAll('thead th').forEach(function (o) { o.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
    state.rows = sortRows(state.rows);
    state.page = 0;
    render();
  });
});
tbody.addEventListener('click', function (ev) {
  if (ev.target.closest('a')) return;
  var tr = ev.target.closest('tr');
  if (!tr || !tr.hasAttribute('data-row')) return;
  var conn = R.conn[Number(tr.getAttribute('data-row'))];
  if (conn !== null && ladders.has(conn)) location.hash = '#conn-' + conn;
  else status.textContent = conn === null ? 'This reset belongs to no tracked connection.' :
    'No ladder drawn for ' + conn + ': the report draws the first ' + perCause + ' connections per cause.';
});
document.getElementById('t-controls').hidden = false;
table.classList.add('live');
refilter();
})();`;
