import type { Resource, StoreTx } from '../fhir/store/types.js';
import { canonicalJson } from './fhir-id.js';
import { atLocation, ImportError } from './errors.js';
import type { PlannedEntry } from './plan-bundle.js';
import type { ReferenceResolver } from './reference-resolver.js';
import { rewriteReferences } from './references.js';

/** What happened to one entry. `matched`: a conditional create found an existing resource. */
export type EntryOutcomeKind = 'created' | 'updated' | 'unchanged' | 'matched' | 'deleted';

export interface EntryOutcome {
  index: number;
  fullUrl?: string;
  type: string;
  id: string;
  outcome: EntryOutcomeKind;
}

/**
 * Runs planned entries inside one store transaction, in the order of
 * https://hl7.org/fhir/R4/http.html#trules: conditional creates/updates are resolved and
 * every fullUrl is mapped first (so `urn:uuid:` references may point forwards), then
 * DELETEs, then POST/PUT/collection entries in bundle order, each with its references
 * rewritten just before it is written. Any error propagates and the caller's transaction
 * rolls back: nothing of the bundle is stored.
 */
export async function executePlan(tx: StoreTx, entries: readonly PlannedEntry[], resolver: ReferenceResolver): Promise<EntryOutcome[]> {
  const outcomes: Array<EntryOutcome | undefined> = new Array(entries.length);
  const finalIds = await resolveConditionals(entries, resolver, outcomes);
  const skipped = mapIdentities(entries, finalIds, resolver, outcomes);

  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.method !== 'DELETE') continue;
    try {
      await tx.delete(e.type, e.id);
    } catch (err) {
      throw atLocation(err, e.loc);
    }
    outcomes[i] = { index: e.loc.entry ?? i, fullUrl: e.fullUrl, type: e.type, id: e.id, outcome: 'deleted' };
  }

  // Writes are stored in putMany batches. A conditional reference may match a resource
  // written earlier in this bundle, so the batch so far is stored before one is resolved.
  let batch: Array<{ i: number; resource: Resource }> = [];
  const store = async () => {
    if (batch.length === 0) return;
    const writes = batch;
    batch = [];
    let results;
    try {
      results = await tx.putMany(writes.map((w) => w.resource));
    } catch (err) {
      // putMany validates every resource before writing any; name the entry at fault.
      const at = writes.find((w) => err instanceof Error && err.message.includes(`${w.resource.resourceType}/${w.resource.id}`));
      throw atLocation(err, entries[(at ?? writes[0]).i].loc);
    }
    for (const [k, { i }] of writes.entries()) {
      const e = entries[i];
      const result = results[k];
      const outcome: EntryOutcomeKind = result.created ? 'created' : result.changed ? 'updated' : 'unchanged';
      outcomes[i] = { index: e.loc.entry ?? i, fullUrl: e.fullUrl, type: e.type, id: result.id, outcome };
    }
  };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.method === 'DELETE' || outcomes[i] || skipped.has(i) || !e.resource) continue;
    if (resolver.needsLookup(e.resource)) await store();
    const replacements = await resolver.replacementsFor(e.resource, e.loc);
    let resource = rewriteReferences(e.resource, replacements);
    if (resource.id !== finalIds[i]) resource = withId(resource, finalIds[i]);
    batch.push({ i, resource });
  }
  await store();
  return outcomes.filter((o): o is EntryOutcome => o !== undefined);
}

/**
 * Conditional create (https://hl7.org/fhir/R4/http.html#ccreate): one match → the entry's
 * fullUrl points at the match and nothing is written; several → error; none → created
 * under its planned id. The same criteria twice in one bundle resolve to the first entry.
 * Conditional update (https://hl7.org/fhir/R4/http.html#cond-update): one match → that
 * resource is updated; none → created under its planned id; several → error.
 */
async function resolveConditionals(
  entries: readonly PlannedEntry[],
  resolver: ReferenceResolver,
  outcomes: Array<EntryOutcome | undefined>,
): Promise<string[]> {
  const ids = entries.map((e) => e.id);
  const seen = new Map<string, string>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const criteria = e.ifNoneExist ?? e.updateCriteria;
    if (!criteria) continue;
    const key = `${e.ifNoneExist ? 'create' : 'update'} ${criteria.type}?${canonicalJson(criteria.params)}`;
    const prior = seen.get(key);
    const matches = prior !== undefined ? [prior] : await resolver.search(criteria, e.loc);
    if (matches.length > 1) {
      throw new ImportError(
        'ambiguous_reference',
        `${e.ifNoneExist ? 'ifNoneExist' : 'conditional update'} criteria match ${matches.length} ${criteria.type} resources`,
        e.loc,
      );
    }
    if (matches.length === 1) {
      ids[i] = matches[0];
      if (e.ifNoneExist) outcomes[i] = { index: e.loc.entry ?? i, fullUrl: e.fullUrl, type: e.type, id: matches[0], outcome: 'matched' };
      else if (e.resource?.id !== undefined && e.resource.id !== matches[0]) {
        throw new ImportError('id_mismatch', `resource.id "${e.resource.id}" differs from the matching ${e.type}/${matches[0]}`, e.loc);
      }
    }
    if (prior === undefined) seen.set(key, ids[i]);
  }
  return ids;
}

/**
 * Maps every fullUrl to its final `Type/id` and applies the transaction rule that no two
 * entries may write the same resource (https://hl7.org/fhir/R4/http.html#trules). Two
 * entries whose ids were both derived from identical content are the same resource: the
 * second is skipped. Returns the indexes of skipped entries.
 */
function mapIdentities(
  entries: readonly PlannedEntry[],
  ids: readonly string[],
  resolver: ReferenceResolver,
  outcomes: Array<EntryOutcome | undefined>,
): Set<number> {
  const writers = new Map<string, number>();
  const skipped = new Set<number>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    const key = `${e.type}/${ids[i]}`;
    if (e.fullUrl) resolver.fullUrls.set(e.fullUrl, key);
    if (outcomes[i]?.outcome === 'matched') continue;
    const prior = writers.get(key);
    if (prior === undefined) {
      writers.set(key, i);
    } else if (e.generatedId && entries[prior].generatedId) {
      skipped.add(i);
      outcomes[i] = { index: e.loc.entry ?? i, fullUrl: e.fullUrl, type: e.type, id: ids[i], outcome: 'unchanged' };
    } else {
      throw new ImportError('duplicate_entry', `${key} is also written by entry[${entries[prior].loc.entry ?? prior}]`, e.loc);
    }
  }
  return skipped;
}

/** The resource with `id` set, keeping resourceType and id first as FHIR JSON shows them. */
function withId(resource: Resource, id: string): Resource {
  const { resourceType, id: _old, ...rest } = resource;
  return { resourceType, id, ...rest };
}
