/**
 * Types of the search registry: SearchParameter definitions (R4 base + US Core 6.1.0)
 * turned into data once at start-up and injected where needed. The same registry feeds
 * the indexer, the query parser and the CapabilityStatement, so they cannot disagree.
 */
export type SearchParamType = 'token' | 'string' | 'date' | 'reference' | 'quantity' | 'number' | 'uri' | 'composite' | 'special';

export interface SearchParamDef {
  /** The name used in URLs, e.g. `patient`, `code`, `_lastUpdated`. */
  code: string;
  type: SearchParamType;
  /** The resource type this definition is registered for (one def object per base type). */
  resourceType: string;
  /** The FHIRPath expression restricted to this resource type (as in the definition). */
  expression: string;
  /** Canonical URL of the SearchParameter (for the CapabilityStatement). */
  url: string;
  /** Allowed target types of a reference parameter. */
  targets: string[];
  /** Modifiers the parameter definition allows (informational). */
  documentation?: string;
  /** Evaluates the expression against a resource: the FHIR values it selects. */
  extract(resource: Record<string, unknown>): unknown[];
}

export interface SearchRegistry {
  /** The definition of `code` for `resourceType`, or undefined when the server does not support it. */
  get(resourceType: string, code: string): SearchParamDef | undefined;
  /** Every indexed parameter of a resource type (excluding `_id`/`_lastUpdated`, which come from columns). */
  forType(resourceType: string): readonly SearchParamDef[];
  /** Resource types this server knows (R4 resource types). */
  resourceTypes(): readonly string[];
  /** Whether `type` is one of resourceTypes() (a set lookup, for hot paths). */
  isResourceType(type: string): boolean;
  /** Patient-compartment membership params per resource type (R4 CompartmentDefinition/patient). */
  compartmentParams(resourceType: string): readonly string[];
}
