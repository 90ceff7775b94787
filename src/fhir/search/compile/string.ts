import type { Clause } from '../query.js';
import { containsPattern, inIndex, join, prefixRange, sql, type CompileContext } from './sql.js';

/**
 * String search (https://hl7.org/fhir/R4/search.html#string): by default a case- and
 * accent-insensitive starts-with, as a range over the normalised value so the index is
 * used; `:exact` compares the value as written; `:contains` is a LIKE over the
 * normalised value.
 */
export function compileString(clause: Extract<Clause, { kind: 'string' }>, ctx: CompileContext) {
  const conds = clause.values.map((v) => {
    if (clause.mode === 'exact') return sql('x.exact = ?', [v]);
    if (clause.mode === 'contains') return sql(`x.value LIKE ? ESCAPE '\\'`, [containsPattern(v)]);
    return prefixRange('x.value', v);
  });
  return inIndex(ctx, 'idx_string', clause.param, join(conds, 'OR'));
}
