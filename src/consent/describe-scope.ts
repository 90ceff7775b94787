import { isIdentityScope, parsePatientScope } from '../auth/scopes.js';
import { plural } from '../oauth/authorize/request.js';
import { DATA_CATEGORIES, granularItem } from './categories.js';

/**
 * What a granted scope string lets an app read, in the patient's words (FHIR API Access
 * list, staff patient page): `patient/*.rs` is "Your whole record"; anything narrower is
 * grouped by the data categories of the consent page — a category granted in full by its
 * label, a part of one as "label: the parts". Read-only, because that is all a patient
 * grant can ever be (src/auth/scopes.ts).
 */
export interface ScopeWords {
  /** One line per data category (or "Your whole record"). */
  lines: string[];
  /** offline_access: the app keeps access (refresh tokens) until the grant is revoked. */
  lasting: boolean;
  /** openid/fhirUser: the app learns who signed in. */
  identity: boolean;
}

export const WHOLE_RECORD = 'Your whole record';

export function describeScope(scope: string): ScopeWords {
  const items = scope.split(/\s+/).filter(Boolean);
  const lasting = items.includes('offline_access');
  const identity = items.includes('openid') || items.includes('fhirUser');
  const resources = items.filter((i) => !isIdentityScope(i)).map(parsePatientScope).filter((s) => s !== undefined && (s.read || s.search));
  if (resources.some((s) => s!.type === '*')) return { lines: [WHOLE_RECORD], lasting, identity };
  const wholeTypes = new Set(resources.filter((s) => s!.category === undefined).map((s) => s!.type));
  const slices = new Set(resources.filter((s) => s!.category !== undefined).map((s) => `${s!.type} ${s!.category}`));
  const lines: string[] = [];
  const described = new Set<string>();
  for (const c of DATA_CATEGORIES) {
    const types = c.types.filter((t) => wholeTypes.has(t));
    const parts = c.granular.filter((i) => wholeTypes.has(i.type) || slices.has(`${i.type} ${i.token}`));
    types.forEach((t) => described.add(t));
    parts.forEach((i) => described.add(`${i.type} ${i.token}`));
    if (types.length + parts.length === 0) continue;
    if (types.length === c.types.length && parts.length === c.granular.length) lines.push(c.label);
    else lines.push(`${c.label}: ${[...types.map(plural), ...parts.map((i) => i.label)].join(', ')}`);
  }
  // A whole Condition/Observation grant shows as every category it spans; types and
  // category slices outside the list are named as they are.
  const spanned = (t: string) => DATA_CATEGORIES.some((c) => c.granular.some((i) => i.type === t));
  for (const t of wholeTypes) if (!described.has(t) && !spanned(t)) lines.push(capitalized(plural(t)));
  for (const s of resources) {
    if (s!.category === undefined || described.has(`${s!.type} ${s!.category}`) || wholeTypes.has(s!.type)) continue;
    described.add(`${s!.type} ${s!.category}`);
    lines.push(granularItem(s!.type, s!.category)?.item.label ?? `${capitalized(plural(s!.type))} in the category ${s!.category}`);
  }
  return { lines: [...new Set(lines)], lasting, identity };
}

const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
