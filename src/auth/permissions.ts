import type { Principal } from './principal.js';
import { allowedTypes } from './scopes.js';

/**
 * What a principal may do to a resource type, from its kind and its SMART scopes
 * (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html). The HTTP layer
 * asks before any store call; the store then confines reads to `principal.scope`.
 *
 * - staff: everything;
 * - patient (credential or SMART grant): read and search only, within `patient/` scopes — never a write or an export;
 * - system (Backend Services): within its `system/` scopes, v1 (`read`, `write`, `*`) or v2 (`cruds` letters).
 */
export type Action = 'read' | 'search' | 'create' | 'update' | 'delete' | 'export';

export function permits(principal: Principal, type: string, action: Action): boolean {
  switch (principal.kind) {
    case 'staff':
      return true;
    case 'patient': {
      if (action !== 'read' && action !== 'search') return false;
      const allowed = allowedTypes(principal.grantedScopes, action);
      return allowed === undefined || allowed.has(type);
    }
    case 'system':
      return systemScopesPermit(principal.grantedScopes, type, action);
  }
}

const SYSTEM_SCOPE = /^system\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|[cruds]+)(?:\?.*)?$/;

/** v2 letters each action needs; an export reads and searches. */
const LETTERS: Record<Action, string[]> = { read: ['r'], search: ['s'], create: ['c'], update: ['u'], delete: ['d'], export: ['r', 's'] };
const V1: Record<string, Action[]> = {
  read: ['read', 'search', 'export'],
  write: ['create', 'update', 'delete'],
  '*': ['read', 'search', 'export', 'create', 'update', 'delete'],
};

export function systemScopesPermit(granted: string, type: string, action: Action): boolean {
  for (const item of granted.split(' ')) {
    const m = SYSTEM_SCOPE.exec(item);
    if (!m || (m[1] !== '*' && m[1] !== type)) continue;
    const perm = m[2];
    if (perm in V1 ? V1[perm].includes(action) : LETTERS[action].every((l) => perm.includes(l))) return true;
  }
  return false;
}

/** The types a system client may see at all (read or search; undefined = every type): its Scope's types. */
export function systemReadableTypes(granted: string): string[] | undefined {
  const types = new Set<string>();
  for (const item of granted.split(' ')) {
    const m = SYSTEM_SCOPE.exec(item);
    if (!m) continue;
    const perm = m[2];
    const reads = perm in V1 ? V1[perm].includes('read') : perm.includes('r') || perm.includes('s');
    if (!reads) continue;
    if (m[1] === '*') return undefined;
    types.add(m[1]);
  }
  return [...types];
}
