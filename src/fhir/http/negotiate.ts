import { FhirError } from '../outcome.js';

/**
 * Content negotiation for the JSON-only FHIR API (https://hl7.org/fhir/R4/http.html#mime-type):
 * `_format` wins over Accept; JSON flavours are served as application/fhir+json, anything
 * that excludes JSON is a 406.
 */
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir', 'text/json']);

/** `also`: media types a route serves besides JSON (a Bulk Data file: NDJSON). */
export function assertAcceptable(accept: string | undefined, format: string | undefined, also?: readonly string[]): void {
  if (format !== undefined) {
    const f = format.split(';')[0].trim().toLowerCase();
    if (!JSON_FORMATS.has(f)) throw new FhirError('not_acceptable', 406, `Unsupported _format "${format.slice(0, 64)}": this server speaks JSON only`, 'not-supported');
    return;
  }
  if (!accept) return;
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  const ok = types.some((t) => t === '*/*' || t === 'application/*' || t === 'text/*' || JSON_FORMATS.has(t) || t === '' || also?.includes(t));
  if (!ok) throw new FhirError('not_acceptable', 406, 'Unsupported Accept: this server returns application/fhir+json only', 'not-supported');
}
