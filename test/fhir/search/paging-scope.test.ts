import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patientScope } from '../../../src/fhir/scope.js';
import { encodeCursor } from '../../../src/fhir/search/cursor.js';
import { backends } from '../../helpers/db.js';
import { BASE, loadFixture, PATIENTS, patientBundleResources, refId, sorted, type Fixture } from './fixture.js';

/** Keyset paging under concurrent writes, and the patient boundary through every search path. */
const all = patientBundleResources();
const P = PATIENTS.sandee;
const OTHER = PATIENTS.tuyet;
const obsOf = (pid: string) => all.filter((r) => r.resourceType === 'Observation' && refId(r.subject) === pid).map((r) => r.id);
/** Every patient-owned id in the bundles, by owner. */
const ownerOf = new Map<string, string>();
for (const r of all) {
  const owner = r.resourceType === 'Patient' ? r.id : refId(r.subject) ?? refId(r.patient) ?? refId(r.beneficiary);
  if (owner) ownerOf.set(`${r.resourceType}/${r.id}`, owner);
}

describe.each(await backends())('paging and scope on %s', (kind) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await loadFixture(kind);
  });
  afterAll(async () => f?.t.drop());

  it('pages to the end with absolute links, no duplicates and no gaps', async () => {
    const { ids, pages, results } = await f.searchAll('Observation', [['patient', P], ['_count', '7']]);
    expect(sorted(ids)).toEqual(sorted(obsOf(P)));
    expect(new Set(ids).size).toBe(ids.length);
    expect(pages).toBe(Math.ceil(ids.length / 7));
    for (const r of results) {
      expect(r.links.find((l) => l.relation === 'self')!.url.startsWith(`${BASE}/Observation?patient=${P}&_count=7`)).toBe(true);
    }
  });

  it('stays complete and duplicate-free while resources are created between pages', async () => {
    let n = 0;
    const insert = async () => {
      await f.store.transaction(async (tx) => {
        for (let i = 0; i < 3; i++) {
          await tx.put({ resourceType: 'Observation', id: `new-${kind}-${n++}`, status: 'final', code: { text: 'late' }, subject: { reference: `Patient/${P}` }, effectiveDateTime: '2001-01-01' });
        }
      });
    };
    for (const sort of [[], [['_sort', '-date']], [['_sort', 'code,_id']]] as Array<Array<[string, string]>>) {
      const before = sorted(obsOf(P).concat(Array.from({ length: n }, (_, i) => `new-${kind}-${i}`)));
      const { ids } = await f.searchAll('Observation', [['patient', P], ['_count', '9'], ...sort], undefined, insert);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of before) expect(ids).toContain(id);
    }
  });

  it('pages on sort keys with ties in a stable order', async () => {
    const a = (await f.searchAll('Observation', [['patient', P], ['_sort', 'status'], ['_count', '4']])).ids;
    const b = (await f.searchAll('Observation', [['patient', P], ['_sort', 'status'], ['_count', '1000']])).ids;
    expect(a).toEqual(b);
  });

  it('rejects a malformed or mismatched cursor with a 400', async () => {
    for (const bad of ['!!', 'e30', Buffer.from('{"v":[],"s":"1"}').toString('base64url'), encodeCursor({ values: ['x'], seq: 1 })]) {
      await expect(f.search('Observation', [['patient', P], ['_cursor', bad]])).rejects.toMatchObject({ status: 400, code: 'bad_parameter' });
    }
    // A date sort key needs a number: a string in its place is refused, not passed to the database.
    await expect(f.search('Observation', [['_sort', 'date'], ['_cursor', encodeCursor({ values: ["'; --"], seq: 1 })]])).rejects.toMatchObject({ status: 400 });
  });

  describe('a patient scope', () => {
    const scope = patientScope(P);
    const owned = (type: string, id: string) => {
      const owner = ownerOf.get(`${type}/${id}`);
      return owner === undefined || owner === P;
    };

    it('never returns another patient\'s resources through search parameters', async () => {
      expect((await f.search('Observation', [['patient', OTHER]], scope)).entries).toEqual([]);
      expect((await f.search('Patient', [['_id', OTHER]], scope)).entries).toEqual([]);
      expect((await f.search('Patient', [['family', 'boyle']], scope)).entries).toEqual([]);
      const everything = await f.searchAll('Observation', [['code', '8867-4,29463-7']], scope);
      expect(everything.ids.length).toBeGreaterThan(0);
      for (const id of everything.ids) expect(ownerOf.get(`Observation/${id}`)).toBe(P);
      expect((await f.search('Observation', [['subject:Patient.family', 'boyle']], scope)).entries).toEqual([]);
      expect((await f.search('Observation', [['_summary', 'count'], ['patient', OTHER]], scope)).total).toBe(0);
    });

    it('never includes or revincludes another patient\'s resources', async () => {
      const r = await f.search('Encounter', [['_include', '*'], ['_revinclude', 'Provenance:target'], ['_revinclude', 'Observation:encounter'], ['_count', '1000']], scope);
      expect(r.entries.some((e) => e.mode === 'include')).toBe(true);
      for (const e of r.entries) expect(owned(e.type, e.id)).toBe(true);
      const other = await f.search('Patient', [['_id', OTHER], ['_revinclude', 'Provenance:target']], scope);
      expect(other.entries).toEqual([]);
    });

    it('cannot be widened by a tampered cursor', async () => {
      for (const seq of [0, 1, 10_000_000]) {
        const r = await f.search('Observation', [['_count', '1000'], ['_cursor', encodeCursor({ values: [], seq })]], scope);
        for (const e of r.entries) expect(ownerOf.get(`Observation/${e.id}`) ?? P).toBe(P);
      }
      const first = await f.search('Observation', [['_count', '2']], scope);
      const next = new URL(first.links.find((l) => l.relation === 'next')!.url);
      expect(next.searchParams.get('patient')).toBeNull();
      const page = await f.search('Observation', [...next.searchParams.entries()], patientScope(OTHER));
      for (const e of page.entries) expect(ownerOf.get(`Observation/${e.id}`)).toBe(OTHER);
    });
  });
});
