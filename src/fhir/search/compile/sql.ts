import type { SqlValue } from '../../../db/db.js';
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
}

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
 */
export function inIndex(ctx: CompileContext, table: string, param: string, cond: Sql | undefined, negate = false): Sql {
  const where = cond ? ` AND ${cond.sql}` : '';
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
