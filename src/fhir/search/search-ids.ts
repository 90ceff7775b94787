import type { Queryable } from '../../db/db.js';
import { ALL } from '../scope.js';
import { idsSql } from './compile/select.js';
import { parseSearch } from './parse.js';
import type { SearchRegistry } from './types.js';

/** At most this many ids are returned (a conditional reference needs to tell 0, 1 and "several"). */
export const MAX_IDS = 1000;

/**
 * Ids of the current resources of `type` matching FHIR search parameters, for conditional
 * references and creates inside a write transaction (`q` is the transaction, so its own
 * writes are visible). Scope is everything; unknown parameters are an error here
 * (https://hl7.org/fhir/R4/http.html#ccreate: a server that cannot interpret the
 * criteria must not guess). Ids come in creation order.
 */
export async function searchIds(q: Queryable, registry: SearchRegistry, type: string, params: Array<[string, string]>): Promise<string[]> {
  const query = parseSearch(type, params, registry, { strict: true });
  const stmt = idsSql(query, ALL, MAX_IDS, q.dialect);
  const rows = await q.all<{ id: string }>(stmt.sql, stmt.params);
  return rows.map((r) => r.id);
}
