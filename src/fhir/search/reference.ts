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

const TYPE_RE = /^[A-Z][A-Za-z]+$/;
/** https://hl7.org/fhir/R4/datatypes.html#id */
const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;

/** `Patient/1/_history/2` → [`Patient`, `1`]; undefined when the path does not end in Type/id. */
function typeAndId(path: string): [string, string] | undefined {
  const parts = path.split('/');
  let n = parts.length;
  if (n >= 4 && parts[n - 2] === '_history') n -= 2;
  if (n < 2) return undefined;
  const type = parts[n - 2];
  const id = parts[n - 1];
  return TYPE_RE.test(type) && ID_RE.test(id) ? [type, id] : undefined;
}

/**
 * Parses a literal reference. Returns undefined for references that do not point at a
 * resource by address: contained (`#id`), conditional (`Patient?identifier=…`, which the
 * importer resolves before storing) and anything malformed.
 */
export function parseReference(reference: string): ParsedReference | undefined {
  if (reference.length === 0 || reference.startsWith('#') || reference.includes('?')) return undefined;
  const colon = reference.indexOf(':');
  if (colon > 0 && /^[a-z][a-z0-9+.-]*$/i.test(reference.slice(0, colon))) {
    // Absolute: http(s)://server/base/Type/id[/_history/v], urn:uuid:…, urn:oid:…
    const isHttp = reference.startsWith('http://') || reference.startsWith('https://');
    const ti = isHttp ? typeAndId(reference) : undefined;
    return { targetType: ti ? ti[0] : '', targetId: ti ? ti[1] : '', url: reference };
  }
  const parts = reference.split('/');
  if (!(parts.length === 2 || (parts.length === 4 && parts[2] === '_history'))) return undefined;
  const ti = typeAndId(reference);
  if (!ti) return undefined;
  return { targetType: ti[0], targetId: ti[1], url: '' };
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
