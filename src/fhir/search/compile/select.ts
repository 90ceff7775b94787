import type { Dialect, SqlValue } from '../../../db/db.js';
import { compartmentOfScope, scopePredicate, type Scope } from '../../scope.js';
import type { Clause, Cursor, SearchQuery, SortKey } from '../query.js';
import { compileClauses } from './clause.js';
import { sortExpression } from './sort.js';
import type { Sql } from './sql.js';

/**
 * Whole statements for one search: the page (keyset paging on the sort keys then `seq`),
 * the count and the bare ids. Every statement ANDs the scope predicate (src/fhir/scope.ts,
 * the only place that decides whose data) and `deleted = 0`.
 */

/**
 * `[r.type = ? AND] <clauses> AND r.deleted = 0 AND <scope>` over alias `r`. An index
 * clause already restricts the type (its rows carry `x.type = ?`); leaving `r.type = ?`
 * out then lets SQLite drive the query from the most selective index list instead of
 * scanning every resource of the type (without table statistics it would prefer the
 * type index). Clauses are ordered most selective first for the same reason.
 */
export function baseWhere(query: SearchQuery, scope: Scope, dialect: Dialect): Sql {
  // Every row is of the searched type (an index clause or r.type = ? ensures it).
  const s = scopePredicate(scope, 'r', query.resourceType, dialect);
  const compartment = compartmentOfScope(scope, query.resourceType) ?? compartmentOfClauses(query.clauses);
  const rank = (c: Clause) => (compartment !== undefined && patientFirst(c) ? PATIENT_FIRST[c.kind] ?? UNSELECTIVE : selectivity(c));
  const clauses = [...query.clauses].sort((a, b) => rank(a) - rank(b));
  const c = compileClauses(clauses, { type: query.resourceType, alias: 'r', scope, depth: 0, dialect, compartment });
  const typed = clauses.length > 0 && rank(clauses[0]) < UNSELECTIVE;
  const type = typed ? { sql: '', params: [] } : { sql: 'r.type = ? AND ', params: [query.resourceType] };
  return {
    sql: `${type.sql}${c.sql} AND r.deleted = 0 AND ${s.sql}`,
    params: [...type.params, ...c.params, ...s.params],
  };
}

const UNSELECTIVE = 100;

/**
 * With every result in one patient's compartment, a token or date clause read from the
 * patient-first index (the patient's rows of that value) is a shorter list than the
 * patient's reference rows (every resource of the type in the record): it drives.
 */
const PATIENT_FIRST: Partial<Record<Clause['kind'], number>> = { token: 0.5, date: 0.7 };

function patientFirst(clause: Clause): boolean {
  if (clause.kind === 'token') return clause.mode === 'code';
  return clause.kind === 'date';
}

/** The patient whose compartment every match lies in, by a reference clause (see Clause `compartment`). */
function compartmentOfClauses(clauses: Clause[]): string | undefined {
  for (const c of clauses) if (c.kind === 'reference' && c.compartment !== undefined) return c.compartment;
  return undefined;
}

/** A rough rank: lower runs first and may drive the query; UNSELECTIVE and above cannot. */
function selectivity(clause: Clause): number {
  switch (clause.kind) {
    case 'reference': return 1;
    case 'chain': return 5;
    case 'string': return clause.mode === 'contains' ? 20 : 2;
    case 'token': return clause.mode === 'code' ? 3 : clause.mode === 'text' ? 10 : UNSELECTIVE;
    case 'uri': return 4;
    case 'date': case 'number': case 'quantity': return 6;
    case 'missing': return clause.missing ? UNSELECTIVE : 8;
    case 'id': case 'lastUpdated': return UNSELECTIVE;
  }
}

export interface PageRow {
  seq: number;
  type: string;
  id: string;
  content: string;
  [key: `k${number}`]: string | number;
}

/** Up to `limit` rows after `cursor`, in sort order; columns seq, type, id, content, k0…kn. */
export function pageSql(query: SearchQuery, scope: Scope, limit: number, dialect: Dialect): Sql {
  const where = baseWhere(query, scope, dialect);
  if (query.sort.length === 0) {
    const after = query.cursor ? { sql: ' AND r.seq > ?', params: [query.cursor.seq] } : { sql: '', params: [] };
    return {
      sql: `SELECT r.seq, r.type, r.id, r.content FROM resources r WHERE ${where.sql}${after.sql} ORDER BY r.seq LIMIT ?`,
      params: [...where.params, ...after.params, limit],
    };
  }
  const keys = query.sort.map((k) => sortExpression(k, 'r'));
  const cols = keys.map((k, i) => `${k.sql} AS k${i}`).join(', ');
  const keyNames = keys.map((_, i) => `k${i}`);
  const order = (alias: string) => [...query.sort.map((k, i) => `${alias}.k${i}${k.desc ? ' DESC' : ''}`), `${alias}.seq`].join(', ');
  const after = query.cursor ? keyset(query.sort, query.cursor, 's') : { sql: '1=1', params: [] };
  // Sort and limit on (seq, keys) first, then fetch the content of the page's rows only.
  return {
    sql:
      `SELECT r.seq, r.type, r.id, r.content, ${keyNames.map((k) => `t.${k}`).join(', ')} FROM (` +
      `SELECT s.seq, ${keyNames.map((k) => `s.${k}`).join(', ')} FROM (SELECT r.seq AS seq, ${cols} FROM resources r WHERE ${where.sql}) s` +
      ` WHERE ${after.sql} ORDER BY ${order('s')} LIMIT ?) t JOIN resources r ON r.seq = t.seq ORDER BY ${order('t')}`,
    params: [...keys.flatMap((k) => k.params), ...where.params, ...after.params, limit],
  };
}

/**
 * Rows strictly after the cursor in (k0 dir0, k1 dir1, …, seq asc) order:
 * (k0 ≷ v0) OR (k0 = v0 AND k1 ≷ v1) OR … OR (k0 = v0 AND … AND seq > s).
 */
function keyset(sort: SortKey[], cursor: Cursor, alias: string): Sql {
  const ors: string[] = [];
  const params: SqlValue[] = [];
  for (let i = 0; i <= sort.length; i++) {
    const ands: string[] = [];
    for (let j = 0; j < i; j++) {
      ands.push(`${alias}.k${j} = ?`);
      params.push(cursor.values[j]);
    }
    if (i < sort.length) {
      ands.push(`${alias}.k${i} ${sort[i].desc ? '<' : '>'} ?`);
      params.push(cursor.values[i]);
    } else {
      ands.push(`${alias}.seq > ?`);
      params.push(cursor.seq);
    }
    ors.push(`(${ands.join(' AND ')})`);
  }
  return { sql: `(${ors.join(' OR ')})`, params };
}

export function countSql(query: SearchQuery, scope: Scope, dialect: Dialect): Sql {
  const where = baseWhere(query, scope, dialect);
  return { sql: `SELECT COUNT(*) AS n FROM resources r WHERE ${where.sql}`, params: where.params };
}

export function idsSql(query: SearchQuery, scope: Scope, limit: number, dialect: Dialect): Sql {
  const where = baseWhere(query, scope, dialect);
  return { sql: `SELECT r.id FROM resources r WHERE ${where.sql} ORDER BY r.seq LIMIT ?`, params: [...where.params, limit] };
}
