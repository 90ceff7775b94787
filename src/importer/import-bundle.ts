import type { StoreTx } from '../fhir/store/types.js';
import { executePlan, type EntryOutcome } from './execute-plan.js';
import { TYPE_NAME } from './fhir-id.js';
import { checkResource, chooseId, isBundle, planBundle, type PlanContext, type PlannedEntry } from './plan-bundle.js';
import { ReferenceResolver } from './reference-resolver.js';

/** The part of the FHIR store the importer writes through (src/fhir/store/store.ts). */
export interface ImportStore {
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** When present (FhirStore has it), its resource types are the known ones. */
  readonly registry?: { resourceTypes(): readonly string[] };
}

export interface ImportOptions {
  /** Names the input in errors and results: a file path or a label. Default "bundle". */
  source?: string;
  /**
   * Resource types the server knows (registry.resourceTypes()); anything else is rejected
   * as `unknown_type`. Default: the store's registry; failing that, only the spelling.
   */
  resourceTypes?: Iterable<string>;
}

export interface ImportCounts {
  /** Entries processed (resources written, matched or deleted). */
  resources: number;
  created: number;
  updated: number;
  /** Equal content already stored, or a conditional create that found its match. */
  unchanged: number;
  deleted: number;
}

export interface BundleImportResult extends ImportCounts {
  source: string;
  /** transaction, batch or collection; `resource` for a single non-Bundle resource. */
  bundleType: string;
  entries: EntryOutcome[];
}

/**
 * Imports one parsed Bundle (transaction, batch or collection) or a single resource in
 * one store transaction: every entry is stored, or — on any error — none is, and the
 * ImportError names the source, the entry and what is wrong.
 *
 * Batch bundles are atomic too (a deliberate departure from
 * https://hl7.org/fhir/R4/http.html#brules, where batch entries succeed or fail one by
 * one): an import is re-run after fixing its input, and half a provider batch would leave
 * conditional references that resolve for some patients and not others. Re-running is
 * safe because import is idempotent.
 */
export async function importBundle(store: ImportStore, json: unknown, options: ImportOptions = {}): Promise<BundleImportResult> {
  const ctx = planContext(options, store);
  let entries: PlannedEntry[];
  let bundleType: string;
  if (isBundle(json)) {
    const plan = planBundle(json, ctx);
    entries = plan.entries;
    bundleType = plan.bundleType;
  } else {
    entries = [planResource(json, ctx, { source: ctx.source })];
    bundleType = 'resource';
  }
  const outcomes = await store.transaction((tx) => executePlan(tx, entries, new ReferenceResolver(tx, ctx.isKnownType)));
  return { source: ctx.source, bundleType, entries: outcomes, ...countOutcomes(outcomes) };
}

export function planContext(options: ImportOptions, store?: ImportStore): PlanContext {
  const types = options.resourceTypes ?? store?.registry?.resourceTypes();
  const known = types ? new Set(types) : undefined;
  return {
    source: options.source ?? 'bundle',
    isKnownType: known ? (t) => known.has(t) : (t) => TYPE_NAME.test(t),
  };
}

/** A single resource (a .json file that is not a Bundle, or an NDJSON line) as an entry. */
export function planResource(json: unknown, ctx: PlanContext, loc: PlannedEntry['loc']): PlannedEntry {
  const resource = checkResource(json, loc, ctx);
  const where = { ...loc, type: resource.resourceType };
  return { loc: where, method: 'NONE', type: resource.resourceType, resource, ...chooseId(resource, where) };
}

export function emptyCounts(): ImportCounts {
  return { resources: 0, created: 0, updated: 0, unchanged: 0, deleted: 0 };
}

export function countOutcomes(outcomes: readonly EntryOutcome[], into: ImportCounts = emptyCounts()): ImportCounts {
  for (const o of outcomes) {
    into.resources++;
    if (o.outcome === 'matched') into.unchanged++;
    else into[o.outcome]++;
  }
  return into;
}

export function addCounts(into: ImportCounts, more: ImportCounts): ImportCounts {
  into.resources += more.resources;
  into.created += more.created;
  into.updated += more.updated;
  into.unchanged += more.unchanged;
  into.deleted += more.deleted;
  return into;
}
