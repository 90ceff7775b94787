import type { Clause, TokenValue } from '../query.js';
import { inIndex, join, placeholders, prefixRange, sql, type CompileContext, type Sql } from './sql.js';

/**
 * Token search (https://hl7.org/fhir/R4/search.html#token) over idx_token, whose codes are
 * stored lower-cased (normalizeCode) and texts normalised (normalizeString).
 * `:not` selects resources with no matching code at all, including those without the
 * element (https://hl7.org/fhir/R4/search.html#modifiers).
 */
export function compileToken(clause: Extract<Clause, { kind: 'token' }>, ctx: CompileContext): Sql {
  if (clause.mode === 'text') return inIndex(ctx, 'idx_token', clause.param, join(clause.texts.map((t) => prefixRange('x.text', t)), 'OR'));
  return inIndex(ctx, 'idx_token', clause.param, tokenValues(clause.values), clause.mode === 'not');
}

function tokenValues(values: TokenValue[]): Sql {
  const codeOnly = values.filter((v) => v.system === undefined && v.code !== undefined).map((v) => v.code as string);
  const parts: Sql[] = [];
  if (codeOnly.length === 1) parts.push(sql('x.code = ?', codeOnly));
  else if (codeOnly.length > 1) parts.push(sql(`x.code IN (${placeholders(codeOnly.length)})`, codeOnly));
  for (const v of values) {
    if (v.system === undefined) continue;
    parts.push(v.code === undefined ? sql('x.system = ?', [v.system]) : sql('(x.system = ? AND x.code = ?)', [v.system, v.code]));
  }
  return join(parts, 'OR');
}
