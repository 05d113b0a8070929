/**
 * Named reports of `whyreset query`: the questions network teams ask of a store, answered without
 * writing SQL. Each is one SQL statement valid in DuckDB and PostgreSQL alike (FILTER clauses,
 * no engine-specific functions), over the `resets` table.
 */

/** The `--top` reports. */
export const TOP_REPORTS = ['servers', 'clients', 'causes'] as const;
export type TopReport = (typeof TOP_REPORTS)[number];

/** The server of a reset: the responder of its connection (the receiver when the originator sent it). */
const SERVER = `CASE WHEN "from" = 'resp' THEN src ELSE dst END`;
/** The client: the other end. */
const CLIENT = `CASE WHEN "from" = 'resp' THEN dst ELSE src END`;

/** Seconds of a duration such as 90s, 30m, 12h, 2d, 1w; null when it is not one. */
export function durationSeconds(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (m === null) return null;
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

/**
 * The epoch second `--since` names: a duration back from `nowS` (2d), or a date or time
 * (2026-12-01, 2026-12-01T08:00:00Z; without a zone, UTC); null when it is neither.
 */
export function sinceEpoch(text: string, nowS: number): number | null {
  const back = durationSeconds(text);
  if (back !== null) return nowS - back;
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : `${text}Z`;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/**
 * `--top servers|clients|causes`: the resets since `since` per server, client or cause, with the
 * count of the window of the same length just before (did it double since Tuesday?), the forged
 * ones, and how many distinct peers.
 */
export function topSql(report: TopReport, since: number, nowS: number, limit: number): string {
  const previous = since - Math.max(0, nowS - since);
  const key = report === 'servers' ? SERVER : report === 'clients' ? CLIENT : 'cause';
  const name = report === 'servers' ? 'server' : report === 'clients' ? 'client' : 'cause';
  const peers = report === 'servers' ? `count(DISTINCT CASE WHEN ts >= ${since} THEN ${CLIENT} END) AS clients` : `count(DISTINCT CASE WHEN ts >= ${since} THEN ${SERVER} END) AS servers`;
  return [
    `SELECT ${key} AS ${name},`,
    `  count(*) FILTER (WHERE ts >= ${since}) AS resets,`,
    `  count(*) FILTER (WHERE ts < ${since}) AS previous,`,
    `  count(*) FILTER (WHERE ts >= ${since} AND verdict = 'forged') AS forged,`,
    `  ${peers}`,
    `FROM resets WHERE ts >= ${previous} AND ts <= ${nowS}`,
    `GROUP BY 1 HAVING count(*) FILTER (WHERE ts >= ${since}) > 0`,
    `ORDER BY resets DESC, 1 LIMIT ${Math.max(1, Math.floor(limit))}`,
  ].join('\n');
}

/** `--by-day`: resets per UTC day (since `since` when given), the forged ones, distinct servers and clients. */
export function byDaySql(since: number | null): string {
  return [
    `SELECT day, count(*) AS resets, count(*) FILTER (WHERE verdict = 'forged') AS forged,`,
    `  count(DISTINCT ${SERVER}) AS servers, count(DISTINCT ${CLIENT}) AS clients`,
    `FROM resets${since === null ? '' : ` WHERE ts >= ${since}`}`,
    'GROUP BY day ORDER BY day',
  ].join('\n');
}
