import { createHash } from 'node:crypto';
import { canonicalJson, withoutServerMeta } from '../fhir/canonical-json.js';

export { canonicalJson } from '../fhir/canonical-json.js';

/** https://hl7.org/fhir/R4/datatypes.html#id */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** A resource type name as FHIR spells them (used before the registry is consulted). */
export const TYPE_NAME = /^[A-Z][A-Za-z]{0,63}$/;

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && FHIR_ID.test(id);
}

/**
 * The id a POST entry without any id of its own gets: a name-based (RFC 9562 §5.5-style,
 * version nibble 5) uuid from the SHA-256 of the type and the canonical resource JSON, so
 * importing the same content again lands on the same id and changes nothing.
 */
export function deterministicId(type: string, resource: Record<string, unknown>): string {
  const hash = createHash('sha256').update(type).update('\n').update(canonicalJson(withoutServerMeta(withoutId(resource)))).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The id is the server's (or the file's), not content. */
function withoutId(resource: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, ...rest } = resource;
  return rest;
}
