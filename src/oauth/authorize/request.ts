import { DATA_CATEGORIES, GRANULAR_TYPES, categoryOfType, granularItem, type DataCategory } from '../../consent/categories.js';
import { isIdentityScope, parsePatientScope } from '../../auth/scopes.js';
import { API_TYPES } from '../../fhir/resource-types.js';
import type { ClientRegistry, OAuthClient } from '../clients.js';

/**
 * An authorization request (RFC 6749 §4.1.1, RFC 7636, SMART App Launch "standalone
 * launch") checked before anything is shown:
 *
 * 1. the client and redirect URI first — an unknown client or an unregistered redirect
 *    URI is an error page, never a redirect (RFC 6749 §4.1.2.1: an open redirector otherwise);
 * 2. then everything else, reported to the app by redirect with `error` and `state`:
 *    response_type, aud (must be our FHIR base, else no code ever: SMART's defence against
 *    a token meant for another server), PKCE (S256 only; required of public clients), scope.
 *
 * What the app may be granted is computed here as consent items: one checkbox per
 * grantable thing, each the scope string it grants.
 */
export const REQUEST_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'aud', 'code_challenge', 'code_challenge_method', 'nonce', 'launch'] as const;
export type AuthorizeParams = Partial<Record<(typeof REQUEST_PARAMS)[number], string>>;

export interface ConsentItem {
  /** The scope string this checkbox grants (its `value`). */
  scope: string;
  /** Plain words. */
  label: string;
  /** Ticked when the page opens: what the app asked for, item by item. */
  checked: boolean;
}

export interface ConsentGroup {
  category: Pick<DataCategory, 'id' | 'label' | 'description'>;
  items: ConsentItem[];
}

export interface ValidRequest {
  client: OAuthClient;
  params: AuthorizeParams;
  redirectUri: string;
  groups: ConsentGroup[];
  /** Identity and launch scopes asked for and granted as asked (openid, fhirUser, launch/patient, offline_access). */
  identity: string[];
  offline: boolean;
  /** The wildcard asked for (`patient/*.rs` or `patient/*.read`), granted as such when every type item stays ticked. */
  wildcard?: string;
}

export type AuthorizeCheck =
  | { kind: 'error-page'; message: string }
  | { kind: 'redirect-error'; redirectUri: string; error: string; description: string; state?: string }
  | { kind: 'valid'; request: ValidRequest };

const PKCE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** The parameters of a GET query or POST form (each at most once: a repeated one is refused). */
export function readParams(source: Record<string, unknown>): AuthorizeParams | { repeated: string } {
  const params: AuthorizeParams = {};
  for (const name of REQUEST_PARAMS) {
    const value = source[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return { repeated: name };
    if (value.length > 4096) return { repeated: name };
    params[name] = value;
  }
  return params;
}

export async function checkAuthorize(params: AuthorizeParams, deps: { clients: ClientRegistry; fhirBase: string }): Promise<AuthorizeCheck> {
  const client = params.client_id ? await deps.clients.get(params.client_id) : undefined;
  if (!client || client.type === 'system') return { kind: 'error-page', message: 'This app is not registered with the practice, or its access was removed.' };
  const redirectUri = params.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
  if (!redirectUri || !client.redirectUris.includes(redirectUri)) {
    return { kind: 'error-page', message: 'The app sent you to an address it did not register. For your safety the request was stopped.' };
  }
  const fail = (error: string, description: string): AuthorizeCheck => ({ kind: 'redirect-error', redirectUri, error, description, state: params.state });
  if (params.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
  if (!params.aud || params.aud.replace(/\/+$/, '') !== deps.fhirBase) return fail('invalid_request', 'aud must be the FHIR base URL of this server');
  if (params.code_challenge_method !== undefined && params.code_challenge_method !== 'S256') return fail('invalid_request', 'code_challenge_method must be S256');
  if (params.code_challenge !== undefined && !PKCE_CHALLENGE.test(params.code_challenge)) return fail('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters)');
  if (params.code_challenge !== undefined && params.code_challenge_method === undefined) return fail('invalid_request', 'code_challenge_method S256 is required with code_challenge');
  if (client.type === 'public' && params.code_challenge === undefined) return fail('invalid_request', 'PKCE (code_challenge with S256) is required of public clients');
  if (params.launch !== undefined) return fail('invalid_request', 'EHR launch is not supported: use a standalone launch (launch/patient)');
  const consent = consentFor(params.scope ?? '');
  if (consent.groups.length === 0) return fail('invalid_scope', 'The app must ask for at least one patient/ read scope');
  return { kind: 'valid', request: { client, params, redirectUri, ...consent } };
}

/** The consent items for a requested scope string: what the patient can grant, grouped by data category. */
export function consentFor(scope: string): Pick<ValidRequest, 'groups' | 'identity' | 'offline' | 'wildcard'> {
  const items = new Map<string, ConsentItem & { type: string; category: DataCategory }>();
  const identity: string[] = [];
  let wildcard: string | undefined;
  const add = (type: string, scopeText: string, label: string, checked: boolean, category: DataCategory | undefined) => {
    if (!category) return;
    const existing = items.get(scopeText);
    if (existing) existing.checked ||= checked;
    else items.set(scopeText, { scope: scopeText, label, checked, type, category });
  };
  const addType = (type: string, v1: boolean, checked: boolean) => {
    add(type, `patient/${type}.${v1 ? 'read' : 'rs'}`, GRANULAR_TYPES.includes(type) ? `All ${plural(type)}` : plural(type), checked, categoryOfType(type));
    if (GRANULAR_TYPES.includes(type)) {
      for (const c of DATA_CATEGORIES) for (const i of c.granular) if (i.type === type) add(type, `patient/${type}.rs?category=${i.token}`, i.label, false, c);
    }
  };
  for (const item of scope.split(/\s+/).filter(Boolean)) {
    if (isIdentityScope(item)) {
      if (item !== 'launch' && item !== 'online_access') identity.push(item);
      continue;
    }
    const parsed = parsePatientScope(normalizeLetters(item));
    if (!parsed) continue; // not grantable to a patient-launched app (user/, system/, writes): left out
    if (parsed.type === '*') {
      wildcard = `patient/*.${parsed.v1 ? 'read' : 'rs'}`;
      for (const type of API_TYPES) addType(type, parsed.v1, true);
    } else if (parsed.category !== undefined) {
      const known = granularItem(parsed.type, parsed.category);
      add(parsed.type, `patient/${parsed.type}.rs?category=${parsed.category}`, known?.item.label ?? `${plural(parsed.type)} in category ${parsed.category}`, true, known?.category ?? categoryOfType(parsed.type));
    } else if (API_TYPES.includes(parsed.type)) {
      addType(parsed.type, parsed.v1, true);
    }
  }
  const groups: ConsentGroup[] = [];
  for (const category of DATA_CATEGORIES) {
    const list = [...items.values()].filter((i) => i.category === category).map(({ scope: s, label, checked }) => ({ scope: s, label, checked }));
    if (list.length > 0) groups.push({ category: { id: category.id, label: category.label, description: category.description }, items: list });
  }
  return { groups, identity: [...new Set(identity)], offline: identity.includes('offline_access'), wildcard };
}

/**
 * What the patient's ticks grant: the ticked items that were offered (anything else in
 * the form is ignored), and the identity scopes asked for. The wildcard the app asked for
 * is kept when every offered whole-type item stayed ticked.
 */
export function grantedScope(request: ValidRequest, ticked: readonly string[]): string {
  const offered = request.groups.flatMap((g) => g.items);
  const chosen = new Set(ticked.filter((t) => offered.some((o) => o.scope === t)));
  const wholeTypes = offered.filter((o) => !o.scope.includes('?'));
  let resources: string[];
  if (request.wildcard && wholeTypes.every((o) => chosen.has(o.scope))) resources = [request.wildcard];
  else {
    // A granular item is redundant beside its whole type.
    const whole = new Set([...chosen].filter((s) => !s.includes('?')).map((s) => s.split('.')[0]));
    resources = [...chosen].filter((s) => !s.includes('?') || !whole.has(s.split('.')[0]));
  }
  return [...request.identity, ...resources].join(' ');
}

/** v2 permissions beyond read/search (`cruds`) are narrowed to what a patient app can have: `rs`. */
function normalizeLetters(item: string): string {
  return item.replace(/^(patient\/[^.]+)\.(c?r?u?d?s?)(\?|$)/, (whole, head: string, letters: string, tail: string) => {
    if (!letters || letters === 'rs' || letters === 'r' || letters === 's') return whole;
    const read = letters.includes('r');
    const search = letters.includes('s');
    if (!read && !search) return whole;
    return `${head}.${read && search ? 'rs' : read ? 'r' : 's'}${tail}`;
  });
}

const PLURALS: Record<string, string> = {
  Patient: 'Your demographics',
  RelatedPerson: 'Related people',
  AllergyIntolerance: 'Allergies and intolerances',
  CarePlan: 'Care plans',
  CareTeam: 'Care teams',
  Condition: 'conditions',
  Coverage: 'Insurance coverage',
  Device: 'Implanted devices',
  DiagnosticReport: 'Diagnostic reports',
  DocumentReference: 'Clinical notes and documents',
  Encounter: 'Visits',
  Goal: 'Goals',
  Immunization: 'Immunizations',
  Location: 'Places of care',
  Medication: 'Medicines',
  MedicationDispense: 'Medicines dispensed',
  MedicationRequest: 'Prescriptions',
  Observation: 'observations (results, vital signs, assessments)',
  Organization: 'Organizations',
  Practitioner: 'Clinicians',
  PractitionerRole: 'Clinician roles',
  Procedure: 'Procedures',
  Provenance: 'Who recorded what (provenance)',
  QuestionnaireResponse: 'Questionnaire answers',
  ServiceRequest: 'Orders and referrals',
  Specimen: 'Specimens',
};

function plural(type: string): string {
  return PLURALS[type] ?? type;
}
