import type { Clause } from '../query.js';
import { inIndex, join, placeholders, prefixRange, sql, type CompileContext } from './sql.js';

/**
 * Uri search (https://hl7.org/fhir/R4/search.html#uri): exact by default; `:below` =
 * stored uri starts with the value; `:above` = the value starts with the stored uri,
 * tested as membership in the value's path prefixes.
 */
export function compileUri(clause: Extract<Clause, { kind: 'uri' }>, ctx: CompileContext) {
  const conds = clause.values.map((v) => {
    if (clause.mode === 'below') return prefixRange('x.value', v);
    if (clause.mode === 'above') {
      const prefixes = pathPrefixes(v);
      return sql(`x.value IN (${placeholders(prefixes.length)})`, prefixes);
    }
    return sql('x.value = ?', [v]);
  });
  return inIndex(ctx, 'idx_uri', clause.param, join(conds, 'OR'));
}

/** `http://a/b/c` → [`http://a/b/c`, `http://a/b`, `http://a`]. */
export function pathPrefixes(uri: string): string[] {
  const out = [uri];
  const start = uri.indexOf('://') >= 0 ? uri.indexOf('://') + 3 : 0;
  for (let i = uri.length - 1; i > start; i--) if (uri[i] === '/') out.push(uri.slice(0, i));
  return out;
}
