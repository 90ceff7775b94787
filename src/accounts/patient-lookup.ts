import type { Db, SqlValue } from '../db/db.js';
import { dateRange, normalizeCode, normalizeString } from '../fhir/search/normalize.js';

/**
 * Finding Patient resources for staff (admin search, `chartkey portal enable`). Reads the
 * search index the store fills on every write (idx_string/idx_date/idx_token, see
 * src/fhir/search/index-rows.ts), so it needs no scan of resource JSON.
 */
export interface PatientQuery {
  /** Words, each a prefix of some part of a name. */
  name?: string;
  /** YYYY, YYYY-MM or YYYY-MM-DD. */
  birthDate?: string;
  /** An identifier value, or system|value. */
  identifier?: string;
}

export async function findPatientIds(db: Db, query: PatientQuery, limit = 50): Promise<string[]> {
  const where: string[] = ["r.type = 'Patient'", 'r.deleted = 0'];
  const params: SqlValue[] = [];
  for (const word of normalizeString(query.name ?? '').split(' ').filter(Boolean).slice(0, 5)) {
    where.push("EXISTS (SELECT 1 FROM idx_string s WHERE s.res = r.seq AND s.type = 'Patient' AND s.param = 'name' AND s.value >= ? AND s.value < ?)");
    params.push(word, `${word}\uffff`);
  }
  const birth = query.birthDate?.trim();
  if (birth) {
    const range = dateRange(birth);
    if (!range) return [];
    where.push("EXISTS (SELECT 1 FROM idx_date d WHERE d.res = r.seq AND d.type = 'Patient' AND d.param = 'birthdate' AND d.lo >= ? AND d.hi <= ?)");
    params.push(range.lo, range.hi);
  }
  const ident = query.identifier?.trim();
  if (ident) {
    const bar = ident.indexOf('|');
    const system = bar >= 0 ? ident.slice(0, bar) : undefined;
    const value = normalizeCode(bar >= 0 ? ident.slice(bar + 1) : ident);
    where.push(
      `EXISTS (SELECT 1 FROM idx_token t WHERE t.res = r.seq AND t.type = 'Patient' AND t.param = 'identifier' AND t.code = ?${system !== undefined ? ' AND t.system = ?' : ''})`,
    );
    params.push(value, ...(system !== undefined ? [system] : []));
  }
  const rows = await db.all<{ id: string }>(`SELECT r.id FROM resources r WHERE ${where.join(' AND ')} ORDER BY r.seq LIMIT ?`, [...params, limit]);
  return rows.map((r) => r.id);
}

/** PATIENT on the command line: a resource id, or a `system|value` identifier matching exactly one patient. */
export async function resolvePatient(db: Db, ref: string): Promise<{ id: string } | { error: string }> {
  const direct = await db.get<{ id: string }>("SELECT id FROM resources WHERE type = 'Patient' AND id = ? AND deleted = 0", [ref]);
  if (direct) return { id: direct.id };
  if (!ref.includes('|')) return { error: `No Patient with id "${ref}" (use an id or system|value).` };
  const ids = await findPatientIds(db, { identifier: ref }, 2);
  if (ids.length === 0) return { error: `No Patient with identifier "${ref}".` };
  if (ids.length > 1) return { error: `More than one Patient has identifier "${ref}"; use the resource id.` };
  return { id: ids[0] };
}
