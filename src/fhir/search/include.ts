import { asResourceId, type Queryable, type SqlValue } from '../../db/db.js';
import { scopePredicate, type Scope } from '../scope.js';
import { placeholders } from './compile/sql.js';
import type { IncludeSpec, SearchQuery } from './query.js';

/**
 * `_include` and `_revinclude` (https://hl7.org/fhir/R4/search.html#include). Both go
 * through the same scope predicate as the match itself, so nothing out of scope is ever
 * included. `:iterate` specs are applied again to what the previous round added, up to
 * MAX_ROUNDS rounds. Resources already in the result are not repeated.
 */

export interface FoundRow {
  seq: number;
  type: string;
  id: string;
  content: string;
}

const MAX_ROUNDS = 4;
/** At most this many included resources per statement. */
const MAX_INCLUDED = 2000;

export async function resolveIncludes(db: Queryable, query: SearchQuery, scope: Scope, matches: FoundRow[]): Promise<FoundRow[]> {
  if (matches.length === 0 || (query.includes.length === 0 && query.revincludes.length === 0)) return [];
  const seen = new Set(matches.map((r) => r.seq));
  const included: FoundRow[] = [];
  let frontier = matches;
  for (let round = 0; round < MAX_ROUNDS && frontier.length > 0; round++) {
    const added: FoundRow[] = [];
    const take = (rows: FoundRow[]) => {
      for (const row of rows) {
        if (seen.has(row.seq)) continue;
        seen.add(row.seq);
        added.push(row);
      }
    };
    for (const spec of query.includes) {
      if (round > 0 && !spec.iterate) continue;
      const sources = frontier.filter((r) => spec.sourceType === r.type);
      if (sources.length > 0) take(await forward(db, spec, sources, scope));
    }
    for (const spec of query.revincludes) {
      if (round > 0 && !spec.iterate) continue;
      for (const type of new Set(frontier.map((r) => r.type))) {
        if (spec.targetType !== undefined && spec.targetType !== type) continue;
        take(await reverse(db, spec, type, frontier.filter((r) => r.type === type), scope));
      }
    }
    included.push(...added);
    frontier = added;
  }
  return included;
}

/** Resources that `sources` reference through `spec.param`. */
function forward(db: Queryable, spec: IncludeSpec, sources: FoundRow[], scope: Scope): Promise<FoundRow[]> {
  const s = scopePredicate(scope, 'r', undefined, db.dialect);
  // The sources' type is implied by x.res; leaving x.type out keeps SQLite on idx_reference_res.
  const params: SqlValue[] = [];
  let cond = '';
  if (spec.param !== '*') {
    cond += ' AND x.param = ?';
    params.push(spec.param);
  }
  if (spec.targetType !== undefined) {
    cond += ' AND x.target_type = ?';
    params.push(spec.targetType);
  }
  return db.all<FoundRow>(
    `SELECT r.seq, r.type, r.id, r.content FROM idx_reference x JOIN resources r ON r.type = x.target_type AND r.id = ${asResourceId('x.target_id', db.dialect)}` +
      ` WHERE x.res IN (${placeholders(sources.length)})${cond} AND r.deleted = 0 AND ${s.sql} ORDER BY r.seq LIMIT ?`,
    [...sources.map((r) => r.seq), ...params, ...s.params, MAX_INCLUDED],
  );
}

/** Resources of `spec.sourceType` that reference `targets` (all of `type`) through `spec.param`. */
function reverse(db: Queryable, spec: IncludeSpec, type: string, targets: FoundRow[], scope: Scope): Promise<FoundRow[]> {
  const s = scopePredicate(scope, 'r', undefined, db.dialect);
  const params: SqlValue[] = [spec.sourceType];
  let cond = '';
  if (spec.param !== '*') {
    cond += ' AND x.param = ?';
    params.push(spec.param);
  }
  // IN, not a join: a source that references many targets (one Provenance for a whole
  // record) is one row, so its scope check and content are read once, not once per target.
  return db.all<FoundRow>(
    `SELECT r.seq, r.type, r.id, r.content FROM resources r WHERE r.seq IN (SELECT x.res FROM idx_reference x` +
      ` WHERE x.type = ?${cond} AND x.target_type = ? AND x.target_id IN (${placeholders(targets.length)}))` +
      ` AND r.deleted = 0 AND ${s.sql} ORDER BY r.seq LIMIT ?`,
    [...params, type, ...targets.map((r) => r.id), ...s.params, MAX_INCLUDED],
  );
}
