import { randomUUID } from 'node:crypto';
import type { Issue } from '../outcome.js';
import type { SearchResult } from './execute.js';

/**
 * The searchset Bundle (https://hl7.org/fhir/R4/bundle.html) as a JSON string, built by
 * concatenating the stored resource texts: nothing is parsed or re-serialised on this
 * path. Ignored parameters are reported in an OperationOutcome entry with search.mode
 * `outcome` (https://hl7.org/fhir/R4/search.html#errors).
 */
export function bundleJson(result: SearchResult, now: Date = new Date()): string {
  const base = result.baseUrl.replace(/\/+$/, '');
  const parts: string[] = [];
  for (const e of result.entries) {
    parts.push(
      `{"fullUrl":${JSON.stringify(`${base}/${e.type}/${e.id}`)},"resource":${e.json},"search":{"mode":"${e.mode}"}}`,
    );
  }
  if (result.warnings.length > 0) {
    const issue: Issue[] = result.warnings.map((w) => ({ severity: 'warning', code: 'not-supported', diagnostics: w }));
    parts.push(`{"resource":${JSON.stringify({ resourceType: 'OperationOutcome', issue })},"search":{"mode":"outcome"}}`);
  }
  const total = result.total === undefined ? '' : `"total":${result.total},`;
  // JSON FHIR never has empty arrays (https://hl7.org/fhir/R4/json.html).
  const entries = parts.length > 0 ? `,"entry":[${parts.join(',')}]` : '';
  const links = result.links.map((l) => `{"relation":"${l.relation}","url":${JSON.stringify(l.url)}}`).join(',');
  return (
    `{"resourceType":"Bundle","id":"${randomUUID()}","meta":{"lastUpdated":"${now.toISOString()}"},"type":"searchset",` +
    `${total}"link":[${links}]${entries}}`
  );
}
