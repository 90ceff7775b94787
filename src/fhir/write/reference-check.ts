import type { Issue } from '../outcome.js';
import { ID_RE } from '../store/validate.js';
import { isSchemaResourceType } from './schema-validator.js';

/**
 * Whether every `Reference.reference` in a resource is well formed
 * (https://hl7.org/fhir/R4/references.html#literal): `#local` (a contained resource),
 * `Type/id` or `Type/id/_history/vid` with a known type and a valid id, or an absolute
 * http(s) URL. Inside a transaction or batch Bundle, `urn:uuid:`/`urn:oid:` (another
 * entry's fullUrl) and conditional `Type?search` references are allowed too
 * (https://hl7.org/fhir/R4/bundle.html#references); the planner resolves them.
 */
export function referenceIssues(resource: unknown, root: string, inBundle: boolean): Issue[] {
  const issues: Issue[] = [];
  walk(resource, root, (ref, path) => {
    const problem = referenceProblem(ref, inBundle);
    if (problem && issues.length < 50) {
      issues.push({ severity: 'error', code: 'value', diagnostics: `Invalid reference at ${path}: ${problem}`, expression: [path] });
    }
  });
  return issues;
}

const RELATIVE = /^([A-Z][A-Za-z]{0,63})\/([^/]+)(?:\/_history\/([^/]+))?$/;
const UUID = /^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const OID = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;

function referenceProblem(ref: string, inBundle: boolean): string | undefined {
  if (ref.length === 0) return 'empty';
  if (ref.length > 2048) return 'longer than 2,048 characters';
  if (ref.startsWith('#')) return ref === '#' || ID_RE.test(ref.slice(1)) ? undefined : 'not a valid local reference (#id)';
  if (ref.startsWith('urn:')) {
    if (!UUID.test(ref) && !OID.test(ref)) return 'not a valid urn:uuid: or urn:oid:';
    return inBundle ? undefined : 'urn:uuid: and urn:oid: references are resolved only inside a transaction Bundle';
  }
  const q = ref.indexOf('?');
  if (q > 0 && /^[A-Z][A-Za-z]{0,63}$/.test(ref.slice(0, q))) {
    if (!inBundle) return 'conditional references are resolved only inside a transaction Bundle';
    return isSchemaResourceType(ref.slice(0, q)) ? undefined : `unknown resource type "${ref.slice(0, q)}"`;
  }
  if (/^https?:\/\//i.test(ref)) {
    try {
      new URL(ref);
      return undefined;
    } catch {
      return 'not a valid absolute URL';
    }
  }
  const m = RELATIVE.exec(ref);
  if (!m) return 'not Type/id, an absolute URL or #id';
  if (!isSchemaResourceType(m[1])) return `unknown resource type "${m[1]}"`;
  if (!ID_RE.test(m[2])) return `"${m[2].slice(0, 64)}" is not a valid id`;
  if (m[3] !== undefined && !ID_RE.test(m[3])) return `"${m[3].slice(0, 64)}" is not a valid version id`;
  return undefined;
}

/** Calls `visit` with each `reference` string and its FHIRPath-style path. */
function walk(value: unknown, path: string, visit: (ref: string, path: string) => void): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${path}[${i}]`, visit));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    const p = `${path}.${key.slice(0, 64)}`;
    if (key === 'reference' && typeof v === 'string') visit(v, p);
    else if (v !== null && typeof v === 'object') walk(v, p, visit);
  }
}
