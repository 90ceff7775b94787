import { compileFhirPath } from './fhirpath-lite.js';
import { splitUnion } from './fhirpath-parse.js';
import { type RawSearchParameter, loadSearchDefinitions } from './search-definitions.js';
import type { SearchParamDef, SearchRegistry } from './types.js';

/**
 * The search-parameter registry: R4 SearchParameters plus US Core 6.1.0, one definition
 * per (resource type, code), each with its FHIRPath compiled to a closure. A parameter
 * whose expression cannot be compiled (or whose type the server does not index:
 * composite, special) is left out and reported, so nothing that is listed fails to work.
 */

export interface SkippedSearchParam {
  resourceType: string;
  code: string;
  type: string;
  expression: string;
  reason: string;
}

export interface RegistryBuild {
  registry: SearchRegistry;
  /** Definitions left out of the registry, with the reason. */
  skipped: SkippedSearchParam[];
}

/** Served from `resources` columns, not from index rows (see SearchRegistry.forType). */
const COLUMN_PARAMS = new Set(['_id', '_lastUpdated']);

/** https://hl7.org/fhir/R4/domainresource.html: every resource except these three. */
const NOT_DOMAIN_RESOURCES = new Set(['Bundle', 'Binary', 'Parameters']);

/**
 * Additions to the R4 patient compartment. R4 leaves Device out, but US Core 6.1.0's
 * Implantable Device profile is searched by `patient` in a patient-access API
 * (https://hl7.org/fhir/us/core/STU6.1/StructureDefinition-us-core-implantable-device.html),
 * and the scope is the compartment, so a patient's own device must be in it.
 */
const COMPARTMENT_SUPPLEMENT: Record<string, readonly string[]> = { Device: ['patient'] };

/** The leading type name of one union branch: `(Observation.value as Quantity)` → Observation. */
function rootType(branch: string): string | undefined {
  const m = /^\(*\s*([A-Za-z]+)/.exec(branch);
  return m && /^[A-Z]/.test(m[1]) ? m[1] : undefined;
}

/** The branches of `expression` that apply to `base` (`A.x | B.y` for base A → `A.x`). */
export function narrowExpression(expression: string, base: string): string {
  return splitUnion(expression)
    .filter((branch) => {
      const root = rootType(branch);
      return root === undefined || root === base;
    })
    .join(' | ');
}

export function buildRegistry(): RegistryBuild {
  const defs = loadSearchDefinitions();
  const known = new Set(defs.resourceTypes);
  const byType = new Map<string, Map<string, SearchParamDef>>();
  for (const t of defs.resourceTypes) byType.set(t, new Map());
  const skipped: SkippedSearchParam[] = [];

  const add = (raw: RawSearchParameter) => {
    for (const base of raw.base) {
      const types =
        base === 'Resource'
          ? defs.resourceTypes
          : base === 'DomainResource'
            ? defs.resourceTypes.filter((t) => !NOT_DOMAIN_RESOURCES.has(t))
            : known.has(base)
              ? [base]
              : [];
      const expression = raw.expression ? narrowExpression(raw.expression, base) : '';
      for (const resourceType of types) {
        const skip = (reason: string) => skipped.push({ resourceType, code: raw.code, type: raw.type, expression, reason });
        if (raw.type === 'composite' || raw.type === 'special') {
          skip(`${raw.type} parameters are not indexed`);
          continue;
        }
        if (!expression) {
          skip('no FHIRPath expression for this base');
          continue;
        }
        const compiled = compileFhirPath(expression, resourceType);
        if (!compiled.ok) {
          skip(compiled.error);
          continue;
        }
        byType.get(resourceType)!.set(
          raw.code,
          Object.freeze({
            code: raw.code,
            type: raw.type,
            resourceType,
            expression,
            url: raw.url,
            targets: Object.freeze([...(raw.target ?? [])]) as string[],
            documentation: raw.description,
            extract: compiled.fn,
          }),
        );
      }
    }
  };
  for (const raw of defs.core) add(raw);
  // US Core parameters come second so that they win on a (type, code) clash.
  for (const raw of defs.usCore) add(raw);

  const indexed = new Map<string, readonly SearchParamDef[]>();
  for (const [type, params] of byType) {
    indexed.set(type, Object.freeze([...params.values()].filter((d) => !COLUMN_PARAMS.has(d.code))));
  }
  const compartment = new Map<string, readonly string[]>(defs.compartment);
  for (const [type, params] of Object.entries(COMPARTMENT_SUPPLEMENT)) {
    compartment.set(type, Object.freeze([...(compartment.get(type) ?? []), ...params]));
  }
  const types = Object.freeze([...defs.resourceTypes]);
  const none: readonly never[] = Object.freeze([]);

  const registry: SearchRegistry = Object.freeze({
    get: (resourceType: string, code: string) => byType.get(resourceType)?.get(code),
    forType: (resourceType: string) => indexed.get(resourceType) ?? none,
    resourceTypes: () => types,
    isResourceType: (type: string) => known.has(type),
    compartmentParams: (resourceType: string) => compartment.get(resourceType) ?? none,
  });
  return { registry, skipped };
}

/** A fresh registry (the definition files themselves are parsed once per process). */
export function loadRegistry(): SearchRegistry {
  return buildRegistry().registry;
}
