import type { Clause, ReferenceValue } from '../query.js';
import { inIndex, join, placeholders, sql, type CompileContext, type Sql } from './sql.js';

/**
 * Reference search (https://hl7.org/fhir/R4/search.html#reference): `id` matches any
 * target type, `Type/id` (or `:Type` + `id`) that type only, and any other URL the
 * reference as written.
 */
export function compileReference(clause: Extract<Clause, { kind: 'reference' }>, ctx: CompileContext): Sql {
  return inIndex(ctx, 'idx_reference', clause.param, referenceValues(clause.values));
}

function referenceValues(values: ReferenceValue[]): Sql {
  const bareIds: string[] = [];
  const parts: Sql[] = [];
  for (const v of values) {
    if (v.kind === 'url') parts.push(sql('x.url = ?', [v.url]));
    else if (v.targetType === undefined) bareIds.push(v.id);
    else parts.push(sql('(x.target_type = ? AND x.target_id = ?)', [v.targetType, v.id]));
  }
  if (bareIds.length === 1) parts.unshift(sql('x.target_id = ?', bareIds));
  else if (bareIds.length > 1) parts.unshift(sql(`x.target_id IN (${placeholders(bareIds.length)})`, bareIds));
  return join(parts, 'OR');
}
