import { FhirError, type Issue } from '../outcome.js';

/**
 * The errors only writes raise (https://hl7.org/fhir/R4/http.html#create, #update,
 * #cond-update, #transaction). Codes are listed in docs/errors.md.
 */
export const writeErrors = {
  /** The body is JSON but not something a write can take: not a resource, wrong type or id for the URL. */
  badBody: (message: string, expression?: string) =>
    new FhirError('invalid_resource', 400, message, 'invalid', expression ? { issues: [{ severity: 'error', code: 'invalid', diagnostics: message, expression: [expression] }] } : undefined),
  /** A readable resource that is not valid R4 (shape, types, values, references). */
  unprocessable: (issues: Issue[]) =>
    new FhirError('unprocessable_resource', 422, issues[0]?.diagnostics ?? 'The resource is not valid', issues[0]?.code ?? 'invalid', { issues }),
  /** If-Match names another version, or conditional criteria match several resources. */
  preconditionFailed: (message: string) => new FhirError('precondition_failed', 412, message, 'conflict'),
  /** Patients never write; a system client without the scope for this type and action. */
  forbidden: (message: string) => new FhirError('forbidden', 403, message, 'forbidden'),
};
