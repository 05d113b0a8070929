/**
 * The report page's only script (inlined after resetTableDecoder.ts, wrapped so that it leaves
 * no globals; the page works without it, minus the table's sorting, filtering and paging). It
 * decodes the embedded rows, then sorts, filters and pages the resets table, and takes a
 * clicked row to its connection's ladder. Cells are filled with textContent only: no string
 * from a capture is ever parsed as HTML. A browser script, not a module: compiled by this
 * folder's tsconfig.json (lib DOM, ES2017).
 */

/** Makes the resets table live, if the page has one. */
function startResetTable(): void {
  const table = document.getElementById('resets') as HTMLTableElement | null;
  if (!table) return;
  const chunks: WireChunk[] = [];
  document.querySelectorAll('script.wr-rows').forEach((s) => {
    chunks.push(JSON.parse(s.textContent ?? ''));
  });
  const R = decodeRows(chunks);
  const ladders = new Set<string | null>();
  document.querySelectorAll('svg[data-conn]').forEach((el) => {
    ladders.add(el.getAttribute('data-conn'));
  });
  const collator = new Intl.Collator('en', { numeric: true });
  const perCause = table.getAttribute('data-ladders-per-cause');
  /** Positions in a kind (WireKind). */
  const K = { stage: 0, cause: 1, verdict: 2, origin: 3, flags: 4, sig: 5, ev: 6 } as const;
  const kindText = (i: number, f: number): string => R.kinds[R.kind[i]][f] as string;
  const kindConf = (i: number): number | null => R.kinds[R.kind[i]][7];
  const endpoint = (a: string, p: number): string => (a.indexOf(':') >= 0 ? `[${a}]:${p}` : `${a}:${p}`);
  const pad = (n: number, w: number): string => {
    let s = String(n);
    while (s.length < w) s = `0${s}`;
    return s;
  };
  /** [HH:MM:SS.micros, YYYY-MM-DD] in UTC, the microseconds rounded as the text report does. */
  const timeOf = (ts: number): [string, string] => {
    let whole = Math.floor(ts);
    let micros = Math.round((ts - whole) * 1e6);
    if (micros >= 1e6) {
      whole += 1;
      micros -= 1e6;
    }
    // A time beyond the Date range (an absurd pcapng timestamp) prints as ???? instead of throwing.
    const ms = whole * 1000;
    const iso = ms >= -62167219200000 && ms < 253402300800000 ? new Date(ms).toISOString() : '????-??-??T??:??:??.???Z';
    return [`${iso.slice(11, 19)}.${pad(micros, 6)}`, iso.slice(0, 10)];
  };
  const text: Record<string, (i: number) => string> = {
    id: (i) => R.id[i] as string,
    ts: (i) => timeOf(R.ts[i])[0],
    frame: (i) => `${R.cap[i]}:${R.frame[i]}`,
    conn: (i) => R.conn[i] ?? '-',
    src: (i) => endpoint(R.addrs[R.src[i]], R.sport[i]),
    dst: (i) => endpoint(R.addrs[R.dst[i]], R.dport[i]),
    flags: (i) => kindText(i, K.flags),
    ttl: (i) => String(R.ttl[i]),
    stage: (i) => kindText(i, K.stage) || '-',
    cause: (i) => kindText(i, K.cause) || '-',
    verdict: (i) => kindText(i, K.verdict) || '-',
    conf: (i) => {
      const c = kindConf(i);
      return c === null ? '-' : c.toFixed(2);
    },
    sig: (i) => kindText(i, K.sig) || '-',
    ev: (i) => kindText(i, K.ev),
    reason: (i) => (R.reason[i] < 0 ? '' : R.reasons[R.reason[i]]),
  };
  const numeric: Record<string, ((i: number) => number) | undefined> = {
    ts: (i) => R.ts[i],
    frame: (i) => R.cap[i] * 1e12 + R.frame[i],
    ttl: (i) => R.ttl[i],
    conf: (i) => {
      const c = kindConf(i);
      return c === null ? -1 : c;
    },
  };
  const search: (string | undefined)[] = new Array(R.n);
  /** The lower-cased text a filter word is looked for in, built once per row when first needed. */
  const haystack = (i: number): string => {
    let h = search[i];
    if (h === undefined) {
      h = [text.id(i), text.frame(i), text.conn(i), text.src(i), text.dst(i), text.flags(i), text.stage(i), text.cause(i), text.verdict(i), kindText(i, K.origin), text.sig(i), text.ev(i), text.reason(i)]
        .join(' ')
        .toLowerCase();
      search[i] = h;
    }
    return h;
  };
  const q = document.getElementById('t-q') as HTMLInputElement;
  const sel = {
    cause: document.getElementById('t-cause') as HTMLSelectElement,
    verdict: document.getElementById('t-verdict') as HTMLSelectElement,
    stage: document.getElementById('t-stage') as HTMLSelectElement,
  };
  const sizeSel = document.getElementById('t-size') as HTMLSelectElement;
  const status = document.getElementById('t-status') as HTMLElement;
  const pageInfo = document.getElementById('t-page') as HTMLElement;
  const prevBtn = document.getElementById('t-prev') as HTMLButtonElement;
  const nextBtn = document.getElementById('t-next') as HTMLButtonElement;
  const tbody = table.tBodies[0];
  const state: { key: string | null; dir: number; page: number; rows: number[] } = { key: null, dir: 1, page: 0, rows: [] };
  /** Rows passing the selects and every word of the search box, in row order. */
  const filtered = (): number[] => {
    const words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    const want = { cause: sel.cause.value, verdict: sel.verdict.value, stage: sel.stage.value };
    const out: number[] = [];
    for (let i = 0; i < R.n; i++) {
      if (want.cause && kindText(i, K.cause) !== want.cause) continue;
      if (want.verdict && kindText(i, K.verdict) !== want.verdict) continue;
      if (want.stage && kindText(i, K.stage) !== want.stage) continue;
      if (words.length) {
        const h = haystack(i);
        if (!words.every((w) => h.indexOf(w) >= 0)) continue;
      }
      out.push(i);
    }
    return out;
  };
  /** Rows sorted by the chosen column (stable: ties keep row order). */
  const sortRows = (rows: number[]): number[] => {
    if (state.key === null) return rows;
    const key = state.key;
    const dir = state.dir;
    const num = numeric[key];
    const txt = text[key];
    if (key === 'src' || key === 'dst') {
      const a = key === 'src' ? R.src : R.dst;
      const p = key === 'src' ? R.sport : R.dport;
      rows.sort((x, y) => dir * (collator.compare(R.addrs[a[x]], R.addrs[a[y]]) || p[x] - p[y]) || x - y);
    } else if (num) {
      rows.sort((x, y) => dir * (num(x) - num(y)) || x - y);
    } else {
      rows.sort((x, y) => dir * collator.compare(txt(x), txt(y)) || x - y);
    }
    return rows;
  };
  /** Appends row i's cell of column key to tr (text only; a link when the connection has a ladder). */
  const cell = (tr: HTMLTableRowElement, key: string, i: number): void => {
    const td = document.createElement('td');
    const t = text[key](i);
    const conn = R.conn[i];
    if (key === 'conn' && ladders.has(conn)) {
      const a = document.createElement('a');
      a.href = `#conn-${conn}`;
      a.textContent = t;
      td.appendChild(a);
    } else td.textContent = t;
    if (key === 'ts') td.title = `${timeOf(R.ts[i])[1]} UTC`;
    if (key === 'cause' || key === 'verdict') td.className = `${key.charAt(0)}-${t}`;
    tr.appendChild(td);
  };
  const keys: string[] = [];
  table.querySelectorAll('thead th').forEach((th) => {
    keys.push(th.getAttribute('data-key') ?? '');
  });
  /** Shows the current page of state.rows, and the counts and buttons around it. */
  const render = (): void => {
    const rows = state.rows;
    const size = Number(sizeSel.value);
    const pages = Math.max(1, Math.ceil(rows.length / size));
    if (state.page >= pages) state.page = pages - 1;
    const from = state.page * size;
    const to = Math.min(rows.length, from + size);
    const frag = document.createDocumentFragment();
    for (let r = from; r < to; r++) {
      const i = rows[r];
      const tr = document.createElement('tr');
      tr.setAttribute('data-row', String(i));
      tr.title = `evidence: ${text.ev(i) || 'none'}`;
      for (let k = 0; k < keys.length; k++) cell(tr, keys[k], i);
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    status.textContent =
      rows.length === 0 ? 'No reset matches.' : `Resets ${from + 1}–${to} of ${rows.length}${rows.length < R.n ? ` (filtered from ${R.n})` : ''}.`;
    pageInfo.textContent = `page ${state.page + 1} of ${pages}`;
    prevBtn.disabled = state.page === 0;
    nextBtn.disabled = state.page >= pages - 1;
  };
  const refilter = (): void => {
    state.rows = sortRows(filtered());
    state.page = 0;
    render();
  };
  let timer = 0;
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(refilter, 150);
  });
  for (const s of [sel.cause, sel.verdict, sel.stage]) s.addEventListener('change', refilter);
  sizeSel.addEventListener('change', () => {
    state.page = 0;
    render();
  });
  prevBtn.addEventListener('click', () => {
    state.page--;
    render();
  });
  nextBtn.addEventListener('click', () => {
    state.page++;
    render();
  });
  table.querySelectorAll('thead th').forEach((th) => {
    const b = th.querySelector('button') as HTMLButtonElement;
    b.addEventListener('click', () => {
      const key = th.getAttribute('data-key');
      state.dir = state.key === key ? -state.dir : 1;
      state.key = key;
      table.querySelectorAll('thead th').forEach((o) => {
        o.removeAttribute('aria-sort');
      });
      th.setAttribute('aria-sort', state.dir > 0 ? 'ascending' : 'descending');
      state.rows = sortRows(state.rows);
      state.page = 0;
      render();
    });
  });
  tbody.addEventListener('click', (ev) => {
    const target = ev.target as Element;
    if (target.closest('a')) return;
    const tr = target.closest('tr');
    if (!tr || !tr.hasAttribute('data-row')) return;
    const conn = R.conn[Number(tr.getAttribute('data-row'))];
    if (conn !== null && ladders.has(conn)) location.hash = `#conn-${conn}`;
    else
      status.textContent =
        conn === null ? 'This reset belongs to no tracked connection.' : `No ladder drawn for ${conn}: the report draws the first ${perCause} connections per cause.`;
  });
  (document.getElementById('t-controls') as HTMLElement).hidden = false;
  table.classList.add('live');
  refilter();
}

startResetTable();
