/**
 * Finding and rewriting `Reference.reference` values anywhere in a resource, including
 * inside `contained` resources. Identifier-only references (no `reference`) and `#local`
 * references are never touched.
 * https://hl7.org/fhir/R4/references.html
 */
type Json = unknown;

/** Calls `visit` with every `reference` string in `value` (depth-first, document order). */
export function forEachReference(value: Json, visit: (ref: string) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) forEachReference(item, visit);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const key in obj) {
    const v = obj[key];
    if (key === 'reference' && typeof v === 'string') visit(v);
    else if (v !== null && typeof v === 'object') forEachReference(v, visit);
  }
}

/**
 * A copy of `value` in which every `reference` string found in `replacements` is replaced.
 * Copy-on-write: untouched branches are shared with the input, and the input is never
 * modified (the generator passes in bundles it still holds).
 */
export function rewriteReferences<T extends Json>(value: T, replacements: ReadonlyMap<string, string>): T {
  if (replacements.size === 0) return value;
  return rewrite(value, replacements) as T;
}

function rewrite(value: Json, map: ReadonlyMap<string, string>): Json {
  if (Array.isArray(value)) {
    let out: Json[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = rewrite(value[i], map);
      if (next !== value[i]) {
        out ??= value.slice();
        out[i] = next;
      }
    }
    return out ?? value;
  }
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key in obj) {
    const v = obj[key];
    let next: unknown = v;
    if (key === 'reference' && typeof v === 'string') next = map.get(v) ?? v;
    else if (v !== null && typeof v === 'object') next = rewrite(v, map);
    if (next !== v) {
      out ??= { ...obj };
      out[key] = next;
    }
  }
  return out ?? value;
}
