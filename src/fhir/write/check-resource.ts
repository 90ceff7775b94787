import type { Issue } from '../outcome.js';
import type { Resource } from '../store/types.js';
import { referenceIssues } from './reference-check.js';
import { validateShape } from './schema-validator.js';
import { writeErrors } from './write-errors.js';

export interface CheckOptions {
  /** The type the URL names (or the Bundle entry's request.url). */
  type: string;
  /** PUT: the id the URL names; the body must carry the same id. */
  id?: string;
  /** Where the resource is, for expressions (default: its type; in a Bundle `Bundle.entry[3].resource`). */
  at?: string;
  /** Inside a transaction/batch Bundle: `urn:uuid:` and conditional references allowed. */
  inBundle?: boolean;
}

/**
 * Everything checked before a write stores anything (https://hl7.org/fhir/R4/http.html#create,
 * #update): 400 when the body is not a resource of the URL's type and id, 422 with one
 * issue per element at fault when it is not valid R4 JSON or holds a malformed reference.
 */
export function checkResource(body: unknown, options: CheckOptions): Resource {
  const at = options.at ?? options.type;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw writeErrors.badBody('The body must be a FHIR resource (a JSON object)', at);
  const r = body as Record<string, unknown>;
  if (r.resourceType !== options.type) {
    const given = typeof r.resourceType === 'string' ? `"${r.resourceType.slice(0, 64)}"` : 'missing';
    throw writeErrors.badBody(`resourceType ${given} does not match the type ${options.type} in the URL`, `${at}.resourceType`);
  }
  if (options.id !== undefined && r.id !== options.id) {
    // https://hl7.org/fhir/R4/http.html#update: the resource SHALL have an id identical to the URL's.
    const given = typeof r.id === 'string' ? `"${r.id.slice(0, 64)}"` : 'missing';
    throw writeErrors.badBody(`The resource id ${given} does not match the id "${options.id}" in the URL`, `${at}.id`);
  }
  // References are walked only in a resource of sound shape (and bounded depth).
  const shape: Issue[] = validateShape(r, at);
  if (shape.length > 0) throw writeErrors.unprocessable(shape);
  const refs = referenceIssues(r, at, options.inBundle ?? false);
  if (refs.length > 0) throw writeErrors.unprocessable(refs);
  return r as Resource;
}
