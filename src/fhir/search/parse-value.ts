import { errors } from '../outcome.js';
import { splitUnescaped, unescape } from './escape.js';
import { normalizeCode, normalizeString } from './normalize.js';
import type { ReferenceValue, TokenValue } from './query.js';

/**
 * Values of the unordered parameter types: token, string, reference, uri.
 * https://hl7.org/fhir/R4/search.html#token, #string, #reference, #uri
 */

/** `code`, `system|code`, `|code` (no system) or `system|` (any code in the system). */
export function parseToken(param: string, raw: string): TokenValue {
  const parts = splitUnescaped(raw, '|');
  if (parts.length === 1) return { code: normalizeCode(unescape(raw)) };
  if (parts.length !== 2) throw errors.badParameter(`Invalid token "${raw}" for search parameter "${param}" (expected [system|]code)`);
  const system = unescape(parts[0]);
  const code = unescape(parts[1]);
  if (system === '' && code === '') throw errors.badParameter(`Invalid token "${raw}" for search parameter "${param}"`);
  return code === '' ? { system } : { system, code: normalizeCode(code) };
}

/** The value a string search compares: normalised for the default and :contains, as written for :exact. */
export function parseString(mode: 'prefix' | 'exact' | 'contains', raw: string): string {
  const value = unescape(raw);
  return mode === 'exact' ? value : normalizeString(value);
}

const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const LOCAL_REF = /^([A-Z][A-Za-z]{1,63})\/([^/]+)(?:\/_history\/[^/]+)?$/;

/**
 * `id`, `Type/id`, `Type/id/_history/v` or an absolute URL. An absolute URL under our own
 * base is the local reference it names (https://hl7.org/fhir/R4/references.html#literal);
 * any other URL (or urn:) matches the reference as written.
 */
export function parseReference(
  param: string,
  raw: string,
  typeModifier: string | undefined,
  baseUrl: string | undefined,
  isType: (t: string) => boolean,
): ReferenceValue {
  let value = unescape(raw);
  if (baseUrl && value.startsWith(`${baseUrl.replace(/\/+$/, '')}/`)) value = value.slice(baseUrl.replace(/\/+$/, '').length + 1);
  const local = LOCAL_REF.exec(value);
  if (local && isType(local[1])) {
    if (typeModifier && typeModifier !== local[1]) {
      throw errors.badParameter(`Reference "${raw}" does not match the type modifier ":${typeModifier}" of search parameter "${param}"`);
    }
    return { kind: 'local', targetType: local[1], id: local[2] };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) return { kind: 'url', url: value };
  if (value.includes('/')) return { kind: 'url', url: value };
  return typeModifier ? { kind: 'local', targetType: typeModifier, id: value } : { kind: 'local', id: value };
}

export function isResourceTypeName(name: string): boolean {
  return RESOURCE_TYPE.test(name);
}

/** A uri value as written (uris are compared exactly, https://hl7.org/fhir/R4/search.html#uri). */
export function parseUri(raw: string): string {
  return unescape(raw);
}
