import { FhirError } from '../fhir/outcome.js';
import type { ExportLevel, ExportRequest } from './types.js';

/** https://hl7.org/fhir/uv/bulkdata/export.html#query-parameters */
export const OUTPUT_FORMATS: readonly string[] = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];

/** FHIR instant (https://hl7.org/fhir/R4/datatypes.html#instant). */
const INSTANT = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$/;

/** Parameters this server handles without a word; `_format` is the FHIR API's own (checked before routing). */
const SILENT = new Set(['_format']);

const bad = (message: string) => new FhirError('bad_parameter', 400, message, 'invalid');
const clip = (s: string) => (s.length > 64 ? `${s.slice(0, 64)}…` : s);

export interface KickoffInput {
  level: ExportLevel;
  groupId?: string;
  requestUrl: string;
  /** The decoded query parameters, in order, repeats kept. */
  query: ReadonlyArray<readonly [string, string]>;
  prefer: string | undefined;
  isResourceType: (type: string) => boolean;
}

/**
 * Validates a kick-off request (https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-kick-off-request):
 * `Prefer: respond-async` is required; `_outputFormat` must be an NDJSON flavour; `_since`
 * an instant; `_type` known resource types. `_typeFilter` is refused (this server cannot
 * apply it, and says so rather than return more than asked). Any other parameter is a 400
 * under `Prefer: handling=strict`, otherwise ignored and reported in the manifest's `error`.
 */
export function parseKickoff(input: KickoffInput): ExportRequest {
  const prefer = (input.prefer ?? '')
    .split(/[,;]/)
    .map((p) => p.trim().toLowerCase().replace(/\s+/g, ''));
  if (!prefer.includes('respond-async')) throw bad('The Prefer header must include respond-async: $export runs asynchronously');
  const strict = prefer.includes('handling=strict');
  const warnings: string[] = [];
  let since: number | undefined;
  let types: string[] | undefined;
  const byName = new Map<string, string[]>();
  for (const [name, value] of input.query) byName.set(name, [...(byName.get(name) ?? []), value]);
  for (const [name, values] of byName) {
    switch (name) {
      case '_outputFormat': {
        if (values.length > 1) throw bad('_outputFormat may be given once');
        if (!OUTPUT_FORMATS.includes(values[0])) throw bad(`Unsupported _outputFormat "${clip(values[0])}": use ${OUTPUT_FORMATS.join(', ')}`);
        break;
      }
      case '_since': {
        if (values.length > 1) throw bad('_since may be given once');
        const ms = INSTANT.test(values[0]) ? Date.parse(values[0]) : NaN;
        if (Number.isNaN(ms)) throw bad(`_since must be a FHIR instant such as 2024-01-31T12:00:00Z, got "${clip(values[0])}"`);
        since = ms;
        break;
      }
      case '_type': {
        types ??= [];
        for (const item of values.flatMap((v) => v.split(','))) {
          const t = item.trim();
          if (!t || !input.isResourceType(t)) throw bad(`Unknown resource type "${clip(t)}" in _type`);
          if (!types.includes(t)) types.push(t);
        }
        break;
      }
      case '_typeFilter':
        throw new FhirError('not_supported', 400, '_typeFilter is not supported by this server: resubmit the request without it', 'not-supported');
      default: {
        if (SILENT.has(name)) break;
        const message = `Unsupported parameter "${clip(name)}" for $export`;
        if (strict) throw new FhirError('not_supported', 400, message, 'not-supported');
        warnings.push(`${message} was ignored`);
      }
    }
  }
  return { level: input.level, groupId: input.groupId, requestUrl: input.requestUrl, types, since, warnings };
}
