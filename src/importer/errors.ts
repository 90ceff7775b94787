import { FhirError, type IssueType } from '../fhir/outcome.js';

/**
 * Import errors. Every failure of `importBundle`/`importFiles` is an ImportError: a stable
 * code, an HTTP-like status (so an HTTP transaction endpoint could render it as an
 * OperationOutcome), and a message that names the file, the entry and what is wrong, e.g.
 *
 *   data/p.json: entry[12] (urn:uuid:9a…) Encounter: unresolved conditional reference
 *   "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999" (no Practitioner matches)
 *
 * Codes (stable; keep docs/errors.md in step):
 *   invalid_json          the file or NDJSON line is not JSON
 *   not_a_resource        the JSON is not an object with a resourceType
 *   unsupported_bundle    Bundle.type other than transaction, batch or collection
 *   unknown_type          resourceType (or a conditional reference's type) the server does not know
 *   missing_resource      an entry without `resource` (other than DELETE)
 *   unsupported_method    request.method other than POST, PUT or DELETE, or a malformed request.url
 *   invalid_id            an id that does not match the FHIR id regex [A-Za-z0-9\-\.]{1,64}
 *   id_mismatch           PUT Type/id whose resource.id or type differs from the url
 *   duplicate_entry       two entries resolving to the same Type/id (transaction rule)
 *   unresolved_reference  a urn:uuid / fullUrl / conditional reference with no target
 *   ambiguous_reference   a conditional reference or ifNoneExist matching several resources
 *   unreadable_file       a path that cannot be read or has an unsupported extension
 *   (any store code)      a FhirError thrown by the store, e.g. invalid_resource
 */
export type ImportErrorCode =
  | 'invalid_json'
  | 'not_a_resource'
  | 'unsupported_bundle'
  | 'unknown_type'
  | 'missing_resource'
  | 'unsupported_method'
  | 'invalid_id'
  | 'id_mismatch'
  | 'duplicate_entry'
  | 'unresolved_reference'
  | 'ambiguous_reference'
  | 'unreadable_file';

/** Where in the input a problem is: the file (or source label) and the entry or line. */
export interface ImportLocation {
  /** File path or a caller-chosen label such as "generated bundle". */
  source: string;
  /** 0-based index in Bundle.entry (FHIRPath style `entry[i]`). */
  entry?: number;
  /** 1-based line number in an NDJSON file. */
  line?: number;
  fullUrl?: string;
  /** Resource type of the entry, when known. */
  type?: string;
}

const STATUS: Record<ImportErrorCode, [number, IssueType]> = {
  invalid_json: [400, 'structure'],
  not_a_resource: [400, 'structure'],
  unsupported_bundle: [400, 'not-supported'],
  unknown_type: [400, 'not-supported'],
  missing_resource: [400, 'required'],
  unsupported_method: [400, 'not-supported'],
  invalid_id: [400, 'value'],
  id_mismatch: [400, 'invalid'],
  duplicate_entry: [400, 'duplicate'],
  unresolved_reference: [400, 'not-found'],
  // https://hl7.org/fhir/R4/http.html#ccreate: multiple matches → 412 Precondition Failed
  ambiguous_reference: [412, 'conflict'],
  unreadable_file: [400, 'exception'],
};

export class ImportError extends FhirError {
  constructor(
    code: ImportErrorCode | string,
    /** What is wrong, without the location. */
    readonly detail: string,
    readonly location: ImportLocation,
    options?: { cause?: unknown; status?: number; issueType?: IssueType; retryable?: boolean },
  ) {
    const [status, issueType] = STATUS[code as ImportErrorCode] ?? [options?.status ?? 400, options?.issueType ?? 'invalid'];
    super(code, options?.status ?? status, `${describeLocation(location)}: ${detail}`, options?.issueType ?? issueType, {
      cause: options?.cause,
    });
    this.name = 'ImportError';
    this.retryable = options?.retryable ?? false;
  }

  /**
   * True when the input may import once other input is in (a conditional reference that
   * matched nothing yet): importFiles retries such files after the others.
   */
  readonly retryable: boolean;
}

/** `file: entry[3] (urn:uuid:…) Patient` / `file: line 7` / `file`. */
export function describeLocation(loc: ImportLocation): string {
  let text = loc.source;
  if (loc.entry !== undefined) text += `: entry[${loc.entry}]`;
  else if (loc.line !== undefined) text += `: line ${loc.line}`;
  if (loc.fullUrl) text += ` (${loc.fullUrl})`;
  if (loc.type && (loc.entry !== undefined || loc.line !== undefined)) text += ` ${loc.type}`;
  return text;
}

/**
 * Re-throws anything raised while handling one entry as an ImportError naming that entry;
 * a FhirError from the store keeps its code and status.
 */
export function atLocation(err: unknown, location: ImportLocation): ImportError {
  if (err instanceof ImportError) return err;
  if (err instanceof FhirError) {
    return new ImportError(err.code, err.message, location, { cause: err, status: err.status, issueType: err.issueType });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ImportError('store_error', message, location, { cause: err, status: 500, issueType: 'exception' });
}
