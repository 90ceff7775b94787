import type { SummaryMode } from './query.js';
import { ELEMENTS } from './summary-elements.js';

/**
 * `_summary` and `_elements` (https://hl7.org/fhir/R4/search.html#summary,
 * #elements): the stored JSON is parsed and cut down only when one of them asks for it.
 * Subsetted resources carry the SUBSETTED tag ("the server SHALL mark the resources with
 * the tag SUBSETTED to ensure that the incomplete resource is not actually used to
 * overwrite a complete resource"). id, meta and the mandatory elements are always kept.
 */
const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

/** Whether `subset` changes anything for these options. */
export function needsSubset(summary: SummaryMode | undefined, elements: string[] | undefined): boolean {
  if (summary === 'true' || summary === 'text' || summary === 'data') return true;
  return elements !== undefined && summary !== 'count';
}

export function subset(json: string, type: string, summary: SummaryMode | undefined, elements: string[] | undefined): string {
  const resource = JSON.parse(json) as Record<string, unknown>;
  const [summaryNames, mandatoryNames] = ELEMENTS[type] ?? ['', ''];
  const mandatory = names(mandatoryNames);
  let keep: (key: string) => boolean;
  if (summary === 'data') keep = (key) => key !== 'text';
  else if (summary === 'text') keep = (key) => key === 'text' || matches(mandatory, key);
  else if (summary === 'true') {
    const summaryList = names(summaryNames);
    keep = (key) => matches(summaryList, key) || matches(mandatory, key);
  } else {
    const wanted = elements ?? [];
    keep = (key) => wanted.includes(key) || matches(mandatory, key);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'resourceType' || key === 'id' || key === 'meta' || keep(key)) out[key] = value;
  }
  const meta = { ...((out.meta as Record<string, unknown> | undefined) ?? {}) };
  const tags = Array.isArray(meta.tag) ? [...(meta.tag as unknown[])] : [];
  tags.push(SUBSETTED);
  meta.tag = tags;
  out.meta = meta;
  return JSON.stringify(out);
}

function names(list: string): string[] {
  return list === '' ? [] : list.split(' ');
}

/** `value[x]` matches `valueQuantity`, `valueString`, …; a primitive's `_name` follows its element. */
function matches(list: string[], key: string): boolean {
  const name = key.startsWith('_') ? key.slice(1) : key;
  return list.some((n) => (n.endsWith('[x]') ? name.startsWith(n.slice(0, -3)) && /^[A-Z]/.test(name.slice(n.length - 3)) : n === name));
}
