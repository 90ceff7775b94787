/**
 * Search values taken from returned resources, the way Inferno picks them
 * (us-core-test-kit search_test.rb, date_search_validation.rb; checklist §0).
 */
import { elementsOf, paramValues } from './elements.js';
import type { Json } from './harness.js';

const DAY = 86_400_000;
/** Code systems Inferno prefers for the `system|code` variant. */
const PREFERRED = [/^http:\/\/loinc\.org$/, /^http:\/\/snomed\.info\/sct$/, /^http:\/\/terminology\.hl7\.org\/CodeSystem\//, /^http:\/\/hl7\.org\/fhir\/us\/core\/CodeSystem\//];

/** The plain search value Inferno sends for `param` from this resource, or undefined. */
export function searchValue(resource: Json, param: string, patientId: string): string | undefined {
  const { kind } = elementsOf(resource.resourceType, param);
  if (param === 'patient') return patientId;
  if (kind === 'id') return resource.id;
  const node = paramValues(resource, param)[0];
  if (node === undefined) return undefined;
  switch (kind) {
    case 'token': return tokenCode(node);
    case 'reference': {
      const ref = (node as Json).reference;
      return typeof ref === 'string' && !ref.startsWith('#') ? ref : undefined;
    }
    case 'string': {
      if (typeof node === 'string') return node;
      const n = node as Json; // HumanName or Address
      return n.family ?? n.given?.[0] ?? n.city ?? n.line?.[0] ?? n.text;
    }
    case 'uri': return String(node);
    case 'date': return plainDate(resource, node);
  }
}

function tokenCode(node: unknown): string | undefined {
  if (typeof node === 'string' || typeof node === 'boolean') return String(node);
  const n = node as Json;
  if (Array.isArray(n.coding)) return n.coding.find((c: Json) => c.code)?.code;
  return n.code ?? n.value;
}

/** `system|code` for the token variant: a coding with the searched code, preferring Inferno's systems. */
export function systemToken(resource: Json, param: string, code: string): string | undefined {
  const candidates: Array<{ system: string; code: string }> = [];
  for (const n of paramValues(resource, param)) {
    if (!n || typeof n !== 'object') continue;
    const node = n as Json;
    const codings: Json[] = Array.isArray(node.coding) ? node.coding : [node];
    for (const c of codings) {
      const value = c.code ?? c.value;
      if (typeof c.system === 'string' && typeof value === 'string' && value.toLowerCase() === code.toLowerCase()) candidates.push({ system: c.system, code: value });
    }
  }
  const best = candidates.find((c) => PREFERRED.some((p) => p.test(c.system))) ?? candidates[0];
  return best && `${best.system}|${best.code}`;
}

/**
 * The plain date search: a full dateTime as is (exact-instant equality), a date-only value
 * as `gt<value−1 day>` (Goal's target-date excepted), a Period as `gt<start−1d>` or `lt<end+1d>`.
 */
function plainDate(resource: Json, node: unknown): string | undefined {
  if (typeof node === 'string') {
    if (node.includes('T')) return node;
    return resource.resourceType === 'Goal' ? node : `gt${shiftDays(node, -1)}`;
  }
  const p = node as Json;
  if (p.start) return `gt${shiftDays(p.start, -1)}`;
  if (p.end) return `lt${shiftDays(p.end, 1)}`;
  return undefined;
}

/** The element value a comparator search starts from (a Period's start, else its end). */
export function dateBase(resource: Json, param: string): string | undefined {
  const node = paramValues(resource, param)[0];
  if (typeof node === 'string') return node;
  const p = node as Json | undefined;
  return p?.start ?? p?.end;
}

/** Inferno's comparator value: lt/le → value + 1 day, gt/ge → value − 1 day, in xmlschema form. */
export function comparatorValue(comparator: 'gt' | 'ge' | 'lt' | 'le', base: string): string {
  return comparator + shiftDays(base, comparator === 'lt' || comparator === 'le' ? 1 : -1);
}

const DATE = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Ruby's `(DateTime.xmlschema(v) + days).xmlschema`: whole seconds, the value's own offset
 * (`+00:00` for a date or `Z`), e.g. 2019-05-01T10:15:00-04:00 + 1 → 2019-05-02T10:15:00-04:00.
 */
export function shiftDays(value: string, days: number): string {
  const m = DATE.exec(value);
  if (!m) throw new Error(`not a FHIR date: ${value}`);
  const [, y, mo, d, h, mi, s, zone] = m;
  const wall = Date.UTC(+y, mo ? +mo - 1 : 0, d ? +d : 1, h ? +h : 0, mi ? +mi : 0, s ? +s : 0) + days * DAY;
  const iso = new Date(wall).toISOString().slice(0, 19);
  return iso + (!zone || zone === 'Z' ? '+00:00' : zone);
}
