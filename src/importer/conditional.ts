import { TYPE_NAME } from './fhir-id.js';

/**
 * Conditional references and criteria.
 * https://hl7.org/fhir/R4/bundle.html#references — a reference of the form
 * `Type?search-params` inside a transaction is resolved by searching; exactly one match
 * is required. The same parser reads `request.ifNoneExist` (conditional create,
 * https://hl7.org/fhir/R4/http.html#ccreate) and `PUT Type?params` (conditional update).
 */
export interface SearchCriteria {
  type: string;
  params: Array<[string, string]>;
}

/** `Type?a=b&c=d` → criteria; undefined when `ref` is not a conditional reference. */
export function parseConditionalReference(ref: string): SearchCriteria | undefined {
  const q = ref.indexOf('?');
  if (q <= 0) return undefined;
  const type = ref.slice(0, q);
  if (!TYPE_NAME.test(type)) return undefined;
  return { type, params: parseQuery(ref.slice(q + 1)) };
}

/**
 * A query string as FHIR search parameters, decoded. `+` is kept as a plus sign: FHIR
 * identifiers and codes may contain it and Synthea writes them unencoded.
 */
export function parseQuery(query: string): Array<[string, string]> {
  const params: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    params.push([decode(name), decode(value)]);
  }
  return params;
}

/** `ifNoneExist` as written: `identifier=…`, `?identifier=…` or `Type?identifier=…`. */
export function parseIfNoneExist(type: string, value: string): SearchCriteria {
  let query = value;
  if (query.startsWith(`${type}?`)) query = query.slice(type.length + 1);
  else if (query.startsWith('?')) query = query.slice(1);
  return { type, params: parseQuery(query) };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
