import type { ScopeNarrowing } from '../fhir/scope.js';

/**
 * SMART scopes for patient-bound access (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html).
 * A patient credential or a patient's SMART grant can only ever read its own patient's
 * record, so only `patient/` read scopes are grantable: v1 `patient/X.read` and v2
 * `patient/X.rs` (`r`, `s`, `rs`), X a resource type or `*`, and v2 granular scopes
 * `patient/X.rs?category=system|code`. Identity scopes (openid, fhirUser, launch/patient)
 * are accepted and echoed; offline_access only where a refresh token can be issued.
 */
const RESOURCE_SCOPE = /^patient\/(\*|[A-Z][A-Za-z]{1,63})\.(read|rs|r|s)(?:\?category=([^\s?&=]{1,300}))?$/;
/** Any resource scope of any context, to tell "not grantable" from "not a resource scope". */
const ANY_RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|c?r?u?d?s?)(\?.*)?$/;
const IDENTITY = new Set(['launch/patient', 'openid', 'fhirUser', 'offline_access', 'online_access', 'launch']);

export const DEFAULT_SCOPE = 'patient/*.rs';

export interface PatientResourceScope {
  /** The scope string as granted. */
  readonly text: string;
  /** Resource type or '*'. */
  readonly type: string;
  readonly read: boolean;
  readonly search: boolean;
  /** v1 (`.read`) or v2 (`.rs`, `.r`, `.s`). */
  readonly v1: boolean;
  /** Granular: the `category` token (`system|code` or `code`) a resource must carry. */
  readonly category?: string;
}

/** A patient read scope, or undefined when `item` is not one. */
export function parsePatientScope(item: string): PatientResourceScope | undefined {
  const m = RESOURCE_SCOPE.exec(item);
  if (!m) return undefined;
  const perm = m[2];
  let category: string | undefined;
  if (m[3] !== undefined) {
    if (perm === 'read') return undefined; // granular scopes are SMART v2 only
    try {
      category = decodeURIComponent(m[3]);
    } catch {
      return undefined;
    }
    if (m[1] === '*' || category === '' || category.startsWith('|') || category.endsWith('|')) return undefined;
  }
  return {
    text: item,
    type: m[1],
    read: perm === 'read' || perm.includes('r'),
    search: perm === 'read' || perm.includes('s'),
    v1: perm === 'read',
    category,
  };
}

export function isIdentityScope(item: string): boolean {
  return IDENTITY.has(item);
}

/** Whether `item` looks like a SMART resource scope at all (any context, any permissions). */
export function isResourceScope(item: string): boolean {
  return ANY_RESOURCE_SCOPE.test(item);
}

export type ScopeResult = { ok: true; granted: string } | { ok: false; invalid: string };

/**
 * Validates a requested scope string for the client-credentials grant of a patient
 * credential; an empty request gets DEFAULT_SCOPE. `offline_access` is dropped (that
 * grant issues no refresh token).
 */
export function grantScopes(requested: string | undefined, knownTypes: readonly string[]): ScopeResult {
  const items = (requested ?? '').split(/\s+/).filter(Boolean);
  if (items.length === 0) return { ok: true, granted: DEFAULT_SCOPE };
  const granted: string[] = [];
  let resources = 0;
  for (const item of items) {
    if (IDENTITY.has(item)) {
      if (item !== 'offline_access' && item !== 'online_access' && item !== 'launch') granted.push(item);
      continue;
    }
    const parsed = parsePatientScope(item);
    if (!parsed || (parsed.type !== '*' && !knownTypes.includes(parsed.type))) return { ok: false, invalid: item.slice(0, 100) };
    granted.push(item);
    resources++;
  }
  if (resources === 0) granted.push(DEFAULT_SCOPE);
  return { ok: true, granted: [...new Set(granted)].join(' ') };
}

/** The resource types a granted scope string allows for a given action; undefined = all. */
export function allowedTypes(scope: string, action: 'read' | 'search'): Set<string> | undefined {
  const types = new Set<string>();
  for (const item of scope.split(' ')) {
    const s = parsePatientScope(item);
    if (!s || !(action === 'read' ? s.read : s.search)) continue;
    if (s.type === '*') return undefined;
    types.add(s.type);
  }
  return types;
}

/**
 * What a granted scope string lets a patient scope see (src/fhir/scope.ts enforces it):
 * every type granted for reading or searching, and for types granted only through
 * granular scopes, the categories a resource must carry. A type-level grant beats a
 * granular one of the same type; `patient/*` leaves the types open.
 */
export function narrowingOf(scope: string): ScopeNarrowing {
  const parsed = scope
    .split(' ')
    .map(parsePatientScope)
    .filter((s): s is PatientResourceScope => s !== undefined && (s.read || s.search));
  const wholeTypes = new Set(parsed.filter((s) => s.category === undefined).map((s) => s.type));
  const categories: Record<string, string[]> = {};
  for (const s of parsed) {
    if (s.category === undefined || wholeTypes.has(s.type) || wholeTypes.has('*')) continue;
    (categories[s.type] ??= []).push(s.category);
  }
  const types = wholeTypes.has('*') ? undefined : new Set([...wholeTypes, ...Object.keys(categories)]);
  return { types, categories };
}
