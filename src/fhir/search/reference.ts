/**
 * Reading Reference.reference strings (https://hl7.org/fhir/R4/references.html#literal).
 * Shared by the FHIRPath `resolve() is Type` test and the indexer.
 */

export interface ParsedReference {
  /** Resource type of a literal reference; '' for a URL that does not end in Type/id. */
  targetType: string;
  /** Logical id of a literal reference; '' for a URL that does not end in Type/id. */
  targetId: string;
  /** The reference as written when it is absolute (http…, urn:…); '' when relative. */
  url: string;
}

/** https://hl7.org/fhir/R4/datatypes.html#id: [A-Za-z0-9\-.]{1,64} */
function isId(s: string, from: number, to: number): boolean {
  if (to <= from || to - from > 64) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
    if (!ok) return false;
  }
  return true;
}

/** A resource type name: an upper-case letter then letters. */
function isTypeName(s: string, from: number, to: number): boolean {
  if (to - from < 2) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    if (!(upper || (i > from && c >= 97 && c <= 122))) return false;
  }
  return true;
}

/**
 * `…/Type/id` or `…/Type/id/_history/v` at the end of `s` (from `start`): [type, id], or
 * undefined. `relative` requires the whole string to be just that (no base path).
 */
function typeAndId(s: string, start: number, relative: boolean): [string, string] | undefined {
  let end = s.length;
  const h = s.lastIndexOf('/_history/', end);
  if (h > start) {
    if (s.indexOf('/', h + 10) >= 0 || h + 10 >= end) return undefined;
    end = h;
  }
  const slash = s.lastIndexOf('/', end - 1);
  if (slash <= start) return undefined;
  const typeStart = s.lastIndexOf('/', slash - 1) + 1;
  if (relative ? typeStart !== start : typeStart <= start) return undefined;
  if (!isTypeName(s, typeStart, slash) || !isId(s, slash + 1, end)) return undefined;
  return [s.slice(typeStart, slash), s.slice(slash + 1, end)];
}

/**
 * Parses a literal reference. Returns undefined for references that do not point at a
 * resource by address: contained (`#id`), conditional (`Patient?identifier=…`, which the
 * importer resolves before storing) and anything malformed.
 */
export function parseReference(reference: string): ParsedReference | undefined {
  if (reference.length === 0 || reference.charCodeAt(0) === 35 /* # */ || reference.includes('?')) return undefined;
  const colon = reference.indexOf(':');
  if (colon > 0 && /^[a-z][a-z0-9+.-]*$/i.test(reference.slice(0, colon))) {
    // Absolute: http(s)://server/base/Type/id[/_history/v], urn:uuid:…, urn:oid:…
    const isHttp = reference.startsWith('http://') || reference.startsWith('https://');
    const ti = isHttp ? typeAndId(reference, reference.indexOf('/', colon + 3), false) : undefined;
    return { targetType: ti ? ti[0] : '', targetId: ti ? ti[1] : '', url: reference };
  }
  const ti = typeAndId(reference, 0, true);
  return ti ? { targetType: ti[0], targetId: ti[1], url: '' } : undefined;
}

/** The type a Reference points at: from its literal reference, else from Reference.type. */
export function referenceType(ref: Record<string, unknown>): string | undefined {
  const r = ref.reference;
  if (typeof r === 'string') {
    const parsed = parseReference(r);
    if (parsed && parsed.targetType) return parsed.targetType;
  }
  return typeof ref.type === 'string' ? ref.type : undefined;
}
