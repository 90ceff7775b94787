import type { Clause, DateValue } from '../query.js';
import { inIndex, join, type CompileContext, type Sql } from './sql.js';

/**
 * Date search over closed intervals (https://hl7.org/fhir/R4/search.html#date): the search
 * value is the range [ql, qh] its precision denotes, the target the range [lo, hi] the
 * indexer stored (a Period's open end is MIN_TIME/MAX_TIME). Per the prefix table of
 * https://hl7.org/fhir/R4/search.html#prefix:
 * - eq: the search range fully contains the target; ne: it does not;
 * - gt: the range above the search value overlaps the target (hi > qh); lt: below (lo < ql);
 * - ge: gt or eq; le: lt or eq;
 * - sa: the target starts after the search range (lo > qh); eb: ends before it (hi < ql);
 * - ap: the ranges overlap once the search range is widened by 10% of the gap between now
 *   and the value ("the recommended value for the approximation is 10% … of the gap
 *   between now and the date").
 */
export function dateCondition(v: DateValue, lo: string, hi: string, now = Date.now()): Sql {
  const eq = `(${lo} >= ? AND ${hi} <= ?)`;
  switch (v.prefix) {
    case 'eq': return { sql: eq, params: [v.lo, v.hi] };
    case 'ne': return { sql: `(${lo} < ? OR ${hi} > ?)`, params: [v.lo, v.hi] };
    case 'gt': return { sql: `${hi} > ?`, params: [v.hi] };
    case 'lt': return { sql: `${lo} < ?`, params: [v.lo] };
    case 'ge': return { sql: `(${hi} > ? OR ${eq})`, params: [v.hi, v.lo, v.hi] };
    case 'le': return { sql: `(${lo} < ? OR ${eq})`, params: [v.lo, v.lo, v.hi] };
    case 'sa': return { sql: `${lo} > ?`, params: [v.hi] };
    case 'eb': return { sql: `${hi} < ?`, params: [v.lo] };
    case 'ap': {
      const margin = Math.round(Math.abs(now - (v.lo + v.hi) / 2) * 0.1);
      return { sql: `(${lo} <= ? AND ${hi} >= ?)`, params: [v.hi + margin, v.lo - margin] };
    }
  }
}

export function compileDate(clause: Extract<Clause, { kind: 'date' }>, ctx: CompileContext): Sql {
  return inIndex(ctx, 'idx_date', clause.param, join(clause.values.map((v) => dateCondition(v, 'x.lo', 'x.hi')), 'OR'));
}

/** `_lastUpdated` compares the row's own instant (a range of one millisecond). */
export function compileLastUpdated(clause: Extract<Clause, { kind: 'lastUpdated' }>, ctx: CompileContext): Sql {
  const col = `${ctx.alias}.last_updated`;
  return join(clause.values.map((v) => dateCondition(v, col, col)), 'OR');
}
