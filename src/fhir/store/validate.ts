import { errors } from '../outcome.js';
import type { SearchRegistry } from '../search/types.js';
import type { Resource } from './types.js';

/** https://hl7.org/fhir/R4/datatypes.html#id */
export const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/** The minimal shape every stored resource must have; deeper validation is the profile's job. */
export function assertStorable(resource: unknown, registry: SearchRegistry): asserts resource is Resource & { id: string } {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    throw errors.invalidResource('A resource must be a JSON object');
  }
  const r = resource as Record<string, unknown>;
  if (typeof r.resourceType !== 'string') throw errors.invalidResource('The resource has no resourceType');
  if (!registry.isResourceType(r.resourceType)) {
    throw errors.invalidResource(`Unknown resource type "${r.resourceType}"`);
  }
  if (typeof r.id !== 'string' || !ID_RE.test(r.id)) {
    throw errors.invalidResource(`Invalid id for ${r.resourceType}: ids are 1-64 characters of A-Z a-z 0-9 - .`);
  }
  if (r.meta !== undefined && (typeof r.meta !== 'object' || r.meta === null || Array.isArray(r.meta))) {
    throw errors.invalidResource(`${r.resourceType}/${r.id}: meta must be an object`);
  }
}
