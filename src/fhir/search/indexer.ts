import { type IndexRows, type ReferenceRow, emptyIndexRows } from './index-rows.js';
import { dateRows, numberRows, quantityRows, referenceRows, stringRows, tokenRows, uriRows } from './index-values.js';
import { parseReference } from './reference.js';
import type { SearchParamDef, SearchRegistry } from './types.js';

/**
 * The write side of search: every index row of one resource version. Runs each indexed
 * parameter of the resource's type (`registry.forType`, which leaves out `_id` and
 * `_lastUpdated`: those are `resources` columns) and turns the selected values into rows
 * with index-values.ts. Pure and synchronous; the store writes the rows in the same
 * transaction as the resource.
 */
export function indexResource(resource: Record<string, unknown>, registry: SearchRegistry): IndexRows {
  const rows = emptyIndexRows();
  const type = resource.resourceType;
  if (typeof type !== 'string') return rows;
  for (const def of registry.forType(type)) addParamRows(def, resource, rows);
  dedupeRows(rows);
  rows.compartments = compartments(resource, type, rows.references, registry);
  rows.refs = literalRefs(resource);
  return rows;
}

function addParamRows(def: SearchParamDef, resource: Record<string, unknown>, rows: IndexRows): void {
  const values = def.extract(resource);
  if (values.length === 0) return;
  const p = def.code;
  switch (def.type) {
    case 'token':
      for (const v of values) tokenRows(p, v, rows.tokens);
      break;
    case 'string':
      for (const v of values) stringRows(p, v, rows.strings);
      break;
    case 'date':
      for (const v of values) dateRows(p, v, rows.dates);
      break;
    case 'number':
      for (const v of values) numberRows(p, v, rows.numbers);
      break;
    case 'quantity':
      for (const v of values) quantityRows(p, v, rows.quantities);
      break;
    case 'reference':
      for (const v of values) referenceRows(p, v, rows.references);
      break;
    case 'uri':
      for (const v of values) uriRows(p, v, rows.uris);
      break;
    default:
      break; // composite and special parameters are not in the registry
  }
}

/** Removes exact duplicate rows (e.g. the same given name in an official and a usual name). */
function dedupeRows(rows: IndexRows): void {
  rows.tokens = unique(rows.tokens, (r) => `${r.param}\u0000${r.system}\u0000${r.code}\u0000${r.text}`);
  rows.strings = unique(rows.strings, (r) => `${r.param}\u0000${r.exact}`);
  rows.dates = unique(rows.dates, (r) => `${r.param}\u0000${r.lo}\u0000${r.hi}`);
  rows.references = unique(rows.references, (r) => `${r.param}\u0000${r.targetType}\u0000${r.targetId}\u0000${r.url}`);
  rows.uris = unique(rows.uris, (r) => `${r.param}\u0000${r.value}`);
}

function unique<T>(list: T[], key: (row: T) => string): T[] {
  if (list.length < 2) return list;
  const seen = new Set<string>();
  const out: T[] = [];
  for (const row of list) {
    const k = key(row);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(row);
    }
  }
  return out;
}

/**
 * Patient compartment membership (https://hl7.org/fhir/R4/compartmentdefinition-patient.html):
 * the Patient ids that the type's compartment parameters reference. A Patient is in its own
 * compartment only: its `link` param is deliberately not followed, since a link may point
 * at another person's record (`seealso`), and the compartment is the patient's scope.
 */
function compartments(resource: Record<string, unknown>, type: string, refs: ReferenceRow[], registry: SearchRegistry): string[] {
  if (type === 'Patient') return typeof resource.id === 'string' ? [resource.id] : [];
  // R4 puts a Group in each member's compartment, but a Group lists other patients: in a
  // patient's scope it would name them. Groups are practice data (Bulk Data export), not the patient's.
  if (type === 'Group') return [];
  const params = registry.compartmentParams(type);
  if (params.length === 0) return [];
  const ids = new Set<string>();
  for (const r of refs) {
    if (r.targetType === 'Patient' && r.targetId && params.includes(r.param)) ids.add(r.targetId);
  }
  return [...ids];
}

/**
 * Every literal relative reference (`Type/id`, `Type/id/_history/n` → Type/id) anywhere in
 * the resource, for scope checks and _revinclude. Contained resources are skipped: their
 * references are not the container's (https://hl7.org/fhir/R4/references.html#contained),
 * and a `#id` reference points inside the resource. Absolute URLs, conditional and
 * identifier-only references are not literal references into this server.
 */
export function literalRefs(resource: Record<string, unknown>): { targetType: string; targetId: string }[] {
  const out: { targetType: string; targetId: string }[] = [];
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const x of node) if (x !== null && typeof x === 'object') visit(x);
      return;
    }
    const obj = node as Record<string, unknown>;
    for (const key in obj) {
      const v = obj[key];
      if (key === 'reference' && typeof v === 'string') {
        const parsed = parseReference(v);
        if (parsed && parsed.url === '') {
          const k = `${parsed.targetType}/${parsed.targetId}`;
          if (!seen.has(k)) {
            seen.add(k);
            out.push({ targetType: parsed.targetType, targetId: parsed.targetId });
          }
        }
      } else if (v !== null && typeof v === 'object' && !(key === 'contained' && obj === resource)) {
        visit(v);
      }
    }
  };
  visit(resource);
  return out;
}
