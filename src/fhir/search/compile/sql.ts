import type { Dialect, SqlValue } from '../../../db/db.js';
import type { Scope } from '../../scope.js';

/** A SQL fragment and its positional `?` parameters, in order. Values never go in `sql`. */
export interface Sql {
  sql: string;
  params: SqlValue[];
}

/** Where a clause is compiled: the resource type searched and the alias of its `resources` row. */
export interface CompileContext {
  type: string;
  alias: string;
  scope: Scope;
  /** Nesting depth, to give nested `resources` rows distinct aliases (chains). */
  depth: number;
  /** Test the row's own index entries (correlated EXISTS) instead of building the list of matches. */
  correlate?: boolean;
  /** The database the SQL is for (plans differ: see compileClauses). */
  dialect: Dialect;
  /**
   * Every row the search may return is in this patient's compartment: the driving clause
   * reads its list of matches from the patient-first index (PATIENT_TABLES, migration 013).
   */
  compartment?: string;
}

/** Index tables whose rows carry the compartment's patient (`patient`, '' for none). */
export const PATIENT_TABLES: ReadonlySet<string> = new Set(['idx_token', 'idx_date']);

export function sql(text: string, params: SqlValue[] = []): Sql {
  return { sql: text, params };
}

/** Joins fragments with a boolean operator, in parentheses. */
export function join(parts: Sql[], op: 'AND' | 'OR'): Sql {
  if (parts.length === 1) return parts[0];
  return { sql: `(${parts.map((p) => p.sql).join(` ${op} `)})`, params: parts.flatMap((p) => p.params) };
}

export function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ');
}

/**
 * `alias.seq [NOT] IN (SELECT x.res FROM table x WHERE x.type = ? AND x.param = ? AND (…))`:
 * the shape of every index condition (docs/architecture.md). Values inside one clause
 * are OR-ed in `cond`; the caller AND-s clauses.
 *
 * With `ctx.correlate` the same condition is written `[NOT] EXISTS (SELECT 1 … WHERE
 * x.res = alias.seq AND …)`: SQLite materialises every `IN (subquery)` list in full, so
 * only the clause that drives the query uses IN; the others look at the candidate row's
 * own index entries (index `idx_*_res`), whose cost does not grow with the database.
 */
export function inIndex(ctx: CompileContext, table: string, param: string, cond: Sql | undefined, negate = false): Sql {
  const where = cond ? ` AND ${cond.sql}` : '';
  if (ctx.correlate) {
    // `x.type` is implied by `x.res` (the row's type is already fixed by the query); leaving
    // it out steers SQLite to the idx_*_res index instead of a range scan over the whole type.
    return {
      sql: `${negate ? 'NOT ' : ''}EXISTS (SELECT 1 FROM ${table} x WHERE x.res = ${ctx.alias}.seq AND x.param = ?${where})`,
      params: [param, ...(cond ? cond.params : [])],
    };
  }
  if (ctx.compartment !== undefined && !negate && PATIENT_TABLES.has(table)) {
    // Patient-first: a seek to (patient, type, param, value) instead of every row of the value.
    return {
      sql: `${ctx.alias}.seq IN (SELECT x.res FROM ${table} x WHERE x.patient = ? AND x.type = ? AND x.param = ?${where})`,
      params: [ctx.compartment, ctx.type, param, ...(cond ? cond.params : [])],
    };
  }
  return {
    sql: `${ctx.alias}.seq ${negate ? 'NOT IN' : 'IN'} (SELECT x.res FROM ${table} x WHERE x.type = ? AND x.param = ?${where})`,
    params: [ctx.type, param, ...(cond ? cond.params : [])],
  };
}

/** The half-open range of strings starting with `prefix` (index-friendly, both databases). */
export function prefixRange(column: string, prefix: string): Sql {
  return { sql: `(${column} >= ? AND ${column} < ?)`, params: [prefix, `${prefix}\uffff`] };
}

/** A LIKE pattern matching `value` anywhere, with LIKE metacharacters escaped (ESCAPE '\'). */
export function containsPattern(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
