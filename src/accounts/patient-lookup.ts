import { FhirError } from '../fhir/outcome.js';
import { ALL } from '../fhir/scope.js';
import { escapeValue } from '../fhir/search/escape.js';
import { dateRange } from '../fhir/search/normalize.js';
import { searchIds } from '../fhir/search/search-ids.js';
import type { FhirStore } from '../fhir/store/store.js';

/**
 * Finding Patient resources for staff (admin search, `chartkey portal enable`, Groups):
 * a FHIR search of `Patient` with the staff scope, through the same parser, index and
 * semantics as `GET /fhir/Patient?…` (https://hl7.org/fhir/R4/search.html), so this module
 * holds no SQL of its own.
 */
export interface PatientQuery {
  /** Words, each a prefix of some part of a name (`name=word`, ANDed). */
  name?: string;
  /** YYYY, YYYY-MM or YYYY-MM-DD (`birthdate=`). */
  birthDate?: string;
  /** An identifier value, or system|value (`identifier=`). */
  identifier?: string;
}

type Store = Pick<FhirStore, 'db' | 'registry' | 'read'>;

/** The ids of the first `limit` Patients matching every part of `query`, oldest first. */
export async function findPatientIds(store: Store, query: PatientQuery, limit = 50): Promise<string[]> {
  const params: Array<[string, string]> = [];
  for (const word of (query.name ?? '').trim().split(/\s+/).filter(Boolean).slice(0, 5)) params.push(['name', escapeValue(word)]);
  const birth = query.birthDate?.trim();
  if (birth) {
    if (!dateRange(birth)) return [];
    params.push(['birthdate', birth]);
  }
  const ident = query.identifier?.trim();
  if (ident) {
    const bar = ident.indexOf('|');
    params.push(['identifier', bar >= 0 ? `${escapeValue(ident.slice(0, bar))}|${escapeValue(ident.slice(bar + 1))}` : escapeValue(ident)]);
  }
  try {
    return (await searchIds(store.db, store.registry, 'Patient', params)).slice(0, limit);
  } catch (err) {
    // A value the search cannot take (over 4,096 characters, say) matches no patient.
    if (err instanceof FhirError && err.status === 400) return [];
    throw err;
  }
}

/** PATIENT on the command line: a resource id, or a `system|value` identifier matching exactly one patient. */
export async function resolvePatient(store: Store, ref: string): Promise<{ id: string } | { error: string }> {
  const direct = /^[A-Za-z0-9\-.]{1,64}$/.test(ref) ? await store.read(ALL, 'Patient', ref) : undefined;
  if (direct && !direct.deleted) return { id: direct.id };
  if (!ref.includes('|')) return { error: `No Patient with id "${ref}" (use an id or system|value).` };
  const ids = await findPatientIds(store, { identifier: ref }, 2);
  if (ids.length === 0) return { error: `No Patient with identifier "${ref}".` };
  if (ids.length > 1) return { error: `More than one Patient has identifier "${ref}"; use the resource id.` };
  return { id: ids[0] };
}

