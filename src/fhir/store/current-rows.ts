import type { Queryable } from '../../db/db.js';

/** A row of `resources` as the writer and write responses need it. */
export interface CurrentRow {
  seq: number;
  type: string;
  id: string;
  version: number;
  last_updated: number;
  deleted: number;
  content: string;
}

/** Resources per statement: well under both drivers' parameter limits. */
const CHUNK = 200;

/**
 * The current rows (deleted or not) of the resources named, keyed `type/id`; absent ones
 * left out. Grouped by type (`type = ? AND id IN (…)`): one index range per type rather
 * than an OR of (type, id) pairs, which PostgreSQL plans arm by arm on every execution.
 */
export async function currentRows(q: Queryable, keys: ReadonlyArray<{ type: string; id: string }>): Promise<Map<string, CurrentRow>> {
  const found = new Map<string, CurrentRow>();
  for (let start = 0; start < keys.length; start += CHUNK) {
    const byType = new Map<string, Set<string>>();
    for (const { type, id } of keys.slice(start, start + CHUNK)) {
      let ids = byType.get(type);
      if (!ids) byType.set(type, (ids = new Set()));
      ids.add(id);
    }
    const where: string[] = [];
    const params: string[] = [];
    for (const [type, ids] of byType) {
      where.push(ids.size === 1 ? '(type = ? AND id = ?)' : `(type = ? AND id IN (${[...ids].map(() => '?').join(', ')}))`);
      params.push(type, ...ids);
    }
    const rows = await q.all<CurrentRow>(`SELECT seq, type, id, version, last_updated, deleted, content FROM resources WHERE ${where.join(' OR ')}`, params);
    for (const r of rows) found.set(`${r.type}/${r.id}`, r);
  }
  return found;
}
