/**
 * The report page's style sheet (inlined). System fonts only (nothing is fetched); colours keep
 * WCAG AA contrast for text; forged and suspect resets differ by dash pattern and label as well
 * as colour, so they survive greyscale printing; print hides the interactive controls.
 */
/** The CSS of the page. */
export const PAGE_CSS = `
:root{--fg:#1d2125;--muted:#5a6270;--line:#d5d9de;--bg:#fff;--panel:#f5f7f9;--rst:#c41d1d;--suspect:#b35900;--forged:#8e1f8e;--data:#1f5fa8;--ok:#2b6e35}
*{box-sizing:border-box}[hidden]{display:none!important}
html{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0 auto;max-width:1500px;padding:0 20px 60px}
h1{font-size:1.6rem;margin:18px 0 4px}h2{font-size:1.25rem;margin:34px 0 10px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:1.05rem;margin:0 0 6px}h4{font-size:.95rem;margin:10px 0 4px}
a{color:#0b57a3}code,.mono,td{font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.88em}
.lead{font-size:1.1rem;margin:6px 0 14px}.muted{color:var(--muted)}
nav.toc{font-size:.9rem;margin:6px 0 8px}nav.toc a{margin-right:14px}
.skip{position:absolute;left:-999px}.skip:focus{left:10px;top:10px;background:#fff;padding:6px;z-index:9}
table{border-collapse:collapse;font-size:.86rem}th,td{padding:3px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:var(--panel);font-weight:600}td.n,th.n{text-align:right}
.wrap{overflow-x:auto;max-width:100%}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:18px;align-items:start}
.bar{display:inline-block;height:.7em;background:#6b7f99;vertical-align:middle;min-width:1px}
.sw{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:4px;vertical-align:-1px;border:1px solid #0003}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.badge{font-weight:600}.nowrap{white-space:nowrap}
.v-forged,.v-forged a{color:var(--forged);font-weight:600}.v-suspect{color:var(--suspect);font-weight:600}.v-genuine{color:var(--ok)}
.pattern{background:var(--panel);border-left:4px solid #6b7f99;padding:6px 10px;margin:6px 0}
.errors{color:var(--rst)}
figure{margin:0}figcaption{font-size:.85rem;color:var(--muted);margin-top:4px}
svg.chart{max-width:100%;height:auto;font-size:11px;font-family:inherit}
svg.chart .axis{stroke:#888;stroke-width:1}svg.chart .grid{stroke:#e3e6ea;stroke-width:1}svg.chart text{fill:var(--fg)}
svg.chart .ttl-normal{fill:#6b7f99;fill-opacity:.7}svg.chart .ttl-forged{stroke:var(--forged);stroke-width:2.2}svg.chart .ttl-suspect{stroke:var(--suspect);stroke-width:2.2}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.82rem;margin:4px 0;padding:0;list-style:none}
#t-controls{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:end;margin:8px 0}
#t-controls label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
#t-controls input,#t-controls select,#t-controls button{font:inherit;font-size:.9rem;padding:3px 6px}
#resets th button{all:unset;cursor:pointer}#resets th button:focus-visible{outline:2px solid #0b57a3}
#resets th[aria-sort=ascending] button::after{content:" ▲"}#resets th[aria-sort=descending] button::after{content:" ▼"}
#resets.live tbody tr{cursor:pointer}#resets tbody tr:hover{background:#eef3f9}
#resets td{white-space:nowrap}#resets td:last-child{white-space:normal;overflow-wrap:anywhere;min-width:8em;max-width:30em}
.c-middlebox_injected,.v-forged{font-weight:600}
#t-status{min-height:1.4em;font-size:.9rem}
article.conn{border:1px solid var(--line);border-radius:6px;padding:12px 14px;margin:14px 0;break-inside:avoid-page}
article.conn:target{outline:3px solid #0b57a3;outline-offset:2px}
.pair{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}.pair>.fig{flex:0 1 auto;max-width:100%;overflow-x:auto}.pair>.why{flex:1 1 320px;min-width:280px}
.why section{border-top:1px solid var(--line);padding-top:4px}.why section:first-child{border-top:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:0 10px;margin:4px 0;font-size:.88rem}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
ul.ev{margin:4px 0;padding-left:18px;font-size:.88rem}ul.ev li{margin:2px 0}
.hint{background:#fff8e1;border-left:4px solid #e0a800;padding:4px 8px;font-size:.9rem}
.reason{background:#fdecea;border-left:4px solid var(--rst);padding:4px 8px;font-size:.9rem;overflow-wrap:anywhere}
.consequence{margin-left:2em;border-left:2px dashed var(--rst);padding-left:8px}
svg.ladder{max-width:100%;height:auto;font-size:11px;font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace}
svg.ladder text{fill:var(--fg)}svg.ladder .ct{font-weight:700;text-anchor:middle;font-size:12px}svg.ladder .cs{text-anchor:middle;fill:var(--muted)}
svg.ladder .th{fill:var(--muted)}svg.ladder .fr{text-anchor:end;fill:var(--muted)}svg.ladder .tm{fill:var(--muted)}
svg.ladder .life{stroke:#8a929c;stroke-width:2}svg.ladder .life.pt{stroke-dasharray:2 4;stroke-width:1.5}
svg.ladder .band rect{fill:#f0f2f4;stroke:#c5cad0;stroke-dasharray:4 3}svg.ladder .band text{text-anchor:middle;fill:var(--muted);font-style:italic}
svg.ladder .pk polyline{fill:none;stroke:#59606a;stroke-width:1.4}svg.ladder .pk polygon{fill:#59606a}
svg.ladder .lbl{text-anchor:middle;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.ladder .k-data polyline{stroke:var(--data)}svg.ladder .k-data polygon{fill:var(--data)}
svg.ladder .k-rst polyline,svg.ladder .k-rst-suspect polyline,svg.ladder .k-rst-forged polyline{stroke:var(--rst);stroke-width:2.4}
svg.ladder .k-rst polygon{fill:var(--rst)}svg.ladder .k-rst .lbl{fill:var(--rst);font-weight:700}
svg.ladder .k-rst-suspect polyline{stroke:var(--suspect);stroke-dasharray:7 3}svg.ladder .k-rst-suspect polygon{fill:var(--suspect)}svg.ladder .k-rst-suspect .lbl{fill:var(--suspect);font-weight:700}
svg.ladder .k-rst-forged polyline{stroke:var(--forged);stroke-dasharray:3 3}svg.ladder .k-rst-forged polygon{fill:var(--forged)}svg.ladder .k-rst-forged .lbl{fill:var(--forged);font-weight:700}
svg.ladder .born{fill:#fff;stroke:var(--forged);stroke-width:2.5}svg.ladder .lost{stroke:var(--rst);stroke-width:2.5}
svg.ladder .pk:hover polyline{stroke-width:3.5}
@media print{
  html{font-size:11px}body{max-width:none;padding:0}#t-controls,#t-status,nav.toc,.skip,.noprint{display:none!important}
  .wrap{overflow:visible}article.conn{border-color:#999}.pair{display:block}
  a{color:inherit;text-decoration:none}h2{break-after:avoid}
}
`;
