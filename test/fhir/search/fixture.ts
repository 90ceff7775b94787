import { expect } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Db } from '../../../src/db/db.js';
import { ALL, type Scope } from '../../../src/fhir/scope.js';
import { bundleJson } from '../../../src/fhir/search/bundle.js';
import { executeSearch, type SearchResult } from '../../../src/fhir/search/execute.js';
import { parseSearch } from '../../../src/fhir/search/parse.js';
import { loadRegistry } from '../../../src/fhir/search/registry.js';
import { searchIds } from '../../../src/fhir/search/search-ids.js';
import type { SearchRegistry } from '../../../src/fhir/search/types.js';
import { createStore, type FhirStore } from '../../../src/fhir/store/store.js';
import { importFiles } from '../../../src/importer/index.js';
import { createTestDb, type TestDb } from '../../helpers/db.js';

/**
 * Real Synthea data loaded through the importer and the store, and the same bundles
 * walked in memory so tests compute expected results independently of the search code.
 */
export const DATA = '/work/shared/data/synthea/';
export const BASE = 'https://ehr.example.org/fhir';
export const PATIENTS = {
  sandee: 'ad655588-9deb-d164-ea1e-29243f2de17d',
  gordon: 'a31a6a86-6dc3-486a-da54-7f42b3fc84c1',
  kermit: '1f456f0a-acb1-4728-82af-01ca57083c7b',
  tuyet: '3fc4d5b0-9e46-4307-8c05-e4cef7602e7f',
} as const;
const FILES = [
  'hospitalInformation1758306633125.json',
  'practitionerInformation1758306633125.json',
  'Sandee884_Lesch175_ad655588-9deb-d164-ea1e-29243f2de17d.json',
  'Gordon377_Mosciski958_a31a6a86-6dc3-486a-da54-7f42b3fc84c1.json',
  'Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json',
  'Tuyet839_Boyle917_3fc4d5b0-9e46-4307-8c05-e4cef7602e7f.json',
];

export type Res = Record<string, any> & { resourceType: string; id: string };

let registry: SearchRegistry | undefined;
export function testRegistry(): SearchRegistry {
  return (registry ??= loadRegistry());
}

/** Every resource of the patient bundles, as written in the files. */
export function patientBundleResources(): Res[] {
  return FILES.slice(2).flatMap((f) => (JSON.parse(readFileSync(DATA + f, 'utf8')) as { entry: Array<{ resource: Res }> }).entry.map((e) => e.resource));
}

export interface Fixture {
  t: TestDb;
  db: Db;
  store: FhirStore;
  registry: SearchRegistry;
  /** One page. */
  search(type: string, params: Array<[string, string]>, scope?: Scope, strict?: boolean): Promise<SearchResult>;
  /** Every page, following `next` links as a client would; returns the match entries in order. */
  searchAll(type: string, params: Array<[string, string]>, scope?: Scope, between?: () => Promise<void>): Promise<{ ids: string[]; pages: number; results: SearchResult[] }>;
}

export async function loadFixture(kind: 'sqlite' | 'postgres', withData = true): Promise<Fixture> {
  const t = await createTestDb(kind);
  const reg = testRegistry();
  const store = createStore(t.db, reg, { searchIds });
  if (withData) {
    const result = await importFiles(store, FILES.map((f) => DATA + f));
    if (result.failures.length) throw new Error(result.failures.map((f) => f.message).join('\n'));
    if (kind === 'postgres') await t.db.run('ANALYZE');
  }
  const search = async (type: string, params: Array<[string, string]>, scope: Scope = ALL, strict = false) =>
    executeSearch(t.db, reg, parseSearch(type, params, reg, { strict, baseUrl: BASE }), scope, { baseUrl: BASE });
  return {
    t, db: t.db, store, registry: reg, search,
    async searchAll(type, params, scope = ALL, between) {
      const ids: string[] = [];
      const results: SearchResult[] = [];
      let result = await search(type, params, scope);
      for (;;) {
        results.push(result);
        JSON.parse(bundleJson(result)); // every page is valid JSON
        ids.push(...result.entries.filter((e) => e.mode === 'match').map((e) => e.id));
        const next = result.links.find((l) => l.relation === 'next');
        if (!next) break;
        if (results.length > 500) throw new Error('paging does not end');
        if (between) await between();
        const url = new URL(next.url);
        expect(url.origin + url.pathname).toBe(`${BASE}/${type}`);
        result = await search(type, [...url.searchParams.entries()], scope);
      }
      return { ids, pages: results.length, results };
    },
  };
}

/** The id a reference points at (`urn:uuid:x`, `Type/x` or an absolute URL). */
export function refId(ref: unknown): string | undefined {
  const r = (ref as { reference?: string } | undefined)?.reference;
  return r?.replace(/^urn:uuid:/, '').split('/').pop();
}

export function codings(concepts: unknown): Array<{ system?: string; code?: string; display?: string }> {
  const list = Array.isArray(concepts) ? concepts : concepts ? [concepts] : [];
  return list.flatMap((c: any) => c?.coding ?? []);
}

export function sorted(ids: string[]): string[] {
  return [...ids].sort();
}
