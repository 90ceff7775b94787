/**
 * FHIR errors. Every error the FHIR surface returns is a FhirError: a stable code, an HTTP
 * status and a human message in the spec's words, rendered as an OperationOutcome.
 * https://hl7.org/fhir/R4/operationoutcome.html
 */
export type IssueSeverity = 'fatal' | 'error' | 'warning' | 'information';
/** https://hl7.org/fhir/R4/valueset-issue-type.html */
export type IssueType =
  | 'invalid' | 'structure' | 'required' | 'value' | 'processing' | 'not-supported' | 'not-found'
  | 'deleted' | 'security' | 'login' | 'forbidden' | 'too-costly' | 'throttled' | 'exception'
  | 'conflict' | 'duplicate' | 'informational' | 'too-long' | 'expired' | 'incomplete' | 'transient' | 'no-store';

export interface Issue {
  severity: IssueSeverity;
  code: IssueType;
  diagnostics: string;
  expression?: string[];
}

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: Issue[];
}

export class FhirError extends Error {
  constructor(
    /** Stable machine code, listed in docs/errors.md. */
    readonly code: string,
    readonly status: number,
    message: string,
    readonly issueType: IssueType = 'processing',
    options?: { cause?: unknown; headers?: Record<string, string>; issues?: Issue[] },
  ) {
    super(message, options);
    this.name = 'FhirError';
    this.headers = options?.headers ?? {};
    this.issues = options?.issues;
  }
  readonly headers: Record<string, string>;
  /** Several issues, each with the `expression` of the element at fault (validation). */
  readonly issues?: Issue[];

  toOutcome(): OperationOutcome {
    if (this.issues?.length) return outcome(this.issues);
    return outcome([{ severity: 'error', code: this.issueType, diagnostics: this.message }]);
  }
}

export function outcome(issues: Issue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues };
}

// Constructors for the errors used across the FHIR core, so codes and statuses stay consistent.
export const errors = {
  badParameter: (message: string) => new FhirError('bad_parameter', 400, message, 'invalid'),
  invalidResource: (message: string) => new FhirError('invalid_resource', 400, message, 'invalid'),
  unknownType: (type: string) => new FhirError('unknown_type', 404, `Unknown resource type "${type}"`, 'not-supported'),
  notFound: (type: string, id: string) => new FhirError('not_found', 404, `Resource ${type}/${id} is not known`, 'not-found'),
  versionNotFound: (type: string, id: string, vid: string) =>
    new FhirError('not_found', 404, `Version ${vid} of ${type}/${id} is not known`, 'not-found'),
  gone: (type: string, id: string) => new FhirError('deleted', 410, `Resource ${type}/${id} was deleted`, 'deleted'),
  forbidden: (message: string) => new FhirError('forbidden', 403, message, 'forbidden'),
  notSupported: (message: string) => new FhirError('not_supported', 400, message, 'not-supported'),
  conflict: (message: string) => new FhirError('conflict', 409, message, 'conflict'),
  /** The database cannot be reached or timed out (SPEC Operations: 503 with Retry-After). */
  unavailable: (retryAfterSeconds = 5) =>
    new FhirError('unavailable', 503, 'The service is temporarily unavailable (database unreachable); try again shortly', 'transient', {
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  /** The database refused a write because its storage is full (RFC 4918 §11.5, 507 Insufficient Storage). */
  storageFull: () => new FhirError('storage_full', 507, 'The server has no storage left; the change was not saved. Reads still work.', 'no-store'),
};
