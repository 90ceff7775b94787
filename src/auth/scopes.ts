/**
 * SMART scopes for patient-bound credentials (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html).
 * A credential can only ever read its own patient's record, so only `patient/` read scopes
 * are grantable: v1 `patient/X.read` and v2 `patient/X.rs` (`r`, `s`, `rs`), X a resource
 * type or `*`. Identity scopes (openid, fhirUser, launch/patient) are accepted and echoed.
 */
const RESOURCE_SCOPE = /^patient\/(\*|[A-Z][A-Za-z]{1,63})\.(read|rs|r|s)$/;
const IDENTITY = new Set(['launch/patient', 'openid', 'fhirUser', 'offline_access', 'online_access']);

export const DEFAULT_SCOPE = 'patient/*.rs';

export type ScopeResult = { ok: true; granted: string } | { ok: false; invalid: string };

/** Validates a requested scope string; an empty request gets DEFAULT_SCOPE. */
export function grantScopes(requested: string | undefined, knownTypes: readonly string[]): ScopeResult {
  const items = (requested ?? '').split(/\s+/).filter(Boolean);
  if (items.length === 0) return { ok: true, granted: DEFAULT_SCOPE };
  const granted: string[] = [];
  for (const item of items) {
    if (IDENTITY.has(item)) {
      if (item !== 'offline_access' && item !== 'online_access') granted.push(item);
      continue;
    }
    const m = RESOURCE_SCOPE.exec(item);
    if (!m || (m[1] !== '*' && !knownTypes.includes(m[1]))) return { ok: false, invalid: item.slice(0, 100) };
    granted.push(item);
  }
  if (!granted.some((s) => RESOURCE_SCOPE.test(s))) granted.push(DEFAULT_SCOPE);
  return { ok: true, granted: [...new Set(granted)].join(' ') };
}

/** The resource types a granted scope string allows for a given action; undefined = all. */
export function allowedTypes(scope: string, action: 'read' | 'search'): Set<string> | undefined {
  const types = new Set<string>();
  for (const item of scope.split(' ')) {
    const m = RESOURCE_SCOPE.exec(item);
    if (!m) continue;
    const perm = m[2];
    const ok = perm === 'read' || perm === 'rs' || (action === 'read' ? perm === 'r' : perm === 's');
    if (!ok) continue;
    if (m[1] === '*') return undefined;
    types.add(m[1]);
  }
  return types;
}
