import type { Queryable, SqlValue } from '../../db/db.js';
import { errors } from '../outcome.js';
import { type Scope, scopePredicate, versionInScope } from '../scope.js';
import type { SearchRegistry } from '../search/types.js';
import type { StoredResource } from '../store/types.js';

/**
 * `_history` at type level (`GET [type]/_history`) and system level (`GET /_history`),
 * https://hl7.org/fhir/R4/http.html#history: every version (current ones from
 * `resources`, earlier ones from `resource_history`, deletions included) changed at or
 * after `_since`, newest first, keyset-paged so that versions written while a client
 * pages appear on no page they would shift (they are newer than the first page).
 *
 * Visibility is the scope's: the predicate is applied to the resource's current row, as
 * for instance history, and each earlier version of a patient-scoped read is checked on
 * its own content (versionInScope), so a version written while the resource belonged to
 * another patient's record stays hidden. Such versions are left out after the page is
 * read, so a patient's page may hold fewer than `_count` entries; the next link is still right.
 */
export interface HistoryPosition {
  lastUpdated: number;
  res: number;
  version: number;
}

export interface HistoryQuery {
  /** Absent: system level. */
  type?: string;
  /** Epoch ms; versions with last_updated >= since. */
  since?: number;
  count: number;
  /** Continue after this position (the last of the previous page). */
  after?: HistoryPosition;
}

export interface HistoryPage {
  versions: StoredResource[];
  /** Where the next page starts; undefined on the last page. */
  next?: HistoryPosition;
}

interface Row {
  res: number;
  type: string;
  id: string;
  version: number;
  last_updated: number;
  deleted: number;
  content: string;
  cur: number;
}

export async function historyPage(q: Queryable, registry: SearchRegistry, scope: Scope, query: HistoryQuery): Promise<HistoryPage> {
  const part = (table: 'r' | 'h') => {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (query.type !== undefined) (where.push('r.type = ?'), params.push(query.type));
    if (query.since !== undefined) (where.push(`${table}.last_updated >= ?`), params.push(query.since));
    if (query.after) {
      const { lastUpdated: t, res, version: v } = query.after;
      const seq = table === 'r' ? 'r.seq' : 'h.res';
      where.push(`(${table}.last_updated < ? OR (${table}.last_updated = ? AND (${seq} < ? OR (${seq} = ? AND ${table}.version < ?))))`);
      params.push(t, t, res, res, v);
    }
    const s = scopePredicate(scope, 'r', query.type, q.dialect);
    where.push(s.sql);
    params.push(...s.params);
    return { where: where.join(' AND '), params };
  };
  const cur = part('r');
  const old = part('h');
  const rows = await q.all<Row>(
    'SELECT res, type, id, version, last_updated, deleted, content, cur FROM (' +
      `SELECT r.seq AS res, r.type, r.id, r.version, r.last_updated, r.deleted, r.content, 1 AS cur FROM resources r WHERE ${cur.where}` +
      ' UNION ALL ' +
      `SELECT h.res, r.type, r.id, h.version, h.last_updated, h.deleted, h.content, 0 AS cur FROM resource_history h JOIN resources r ON r.seq = h.res WHERE ${old.where}` +
      ') x ORDER BY last_updated DESC, res DESC, version DESC LIMIT ?',
    [...cur.params, ...old.params, query.count + 1],
  );
  const page = rows.slice(0, query.count);
  const last = page[page.length - 1];
  const versions = page
    .filter((row) => row.cur === 1 || versionInScope(scope, row.type, row.content, row.deleted === 1, registry))
    .map((row) => ({ type: row.type, id: row.id, version: row.version, lastUpdated: Number(row.last_updated), deleted: row.deleted === 1, json: row.content }));
  const next = rows.length > query.count && last ? { lastUpdated: Number(last.last_updated), res: Number(last.res), version: last.version } : undefined;
  return { versions, next };
}

const INVALID = 'Invalid paging cursor "_page" (use the links of a previous page)';

/** The next-page position as an opaque token: a position only, never a grant (the scope is applied again). */
export function encodePosition(p: HistoryPosition): string {
  return Buffer.from(JSON.stringify([p.lastUpdated, p.res, p.version])).toString('base64url');
}

export function decodePosition(text: string): HistoryPosition {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) throw errors.badParameter(INVALID);
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw errors.badParameter(INVALID);
  }
  if (!Array.isArray(v) || v.length !== 3 || !v.every((n) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0)) throw errors.badParameter(INVALID);
  return { lastUpdated: v[0], res: v[1], version: v[2] };
}
