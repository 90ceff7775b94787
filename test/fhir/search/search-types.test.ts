import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleJson } from '../../../src/fhir/search/bundle.js';
import { searchIds } from '../../../src/fhir/search/search-ids.js';
import type { Resource } from '../../../src/fhir/store/types.js';
import { backends } from '../../helpers/db.js';
import { BASE, loadFixture, sorted, type Fixture } from './fixture.js';

/** Parameter types and prefixes on small hand-written resources, where every edge is chosen. */
const risk = (id: string, probability?: number): Resource => ({
  resourceType: 'RiskAssessment', id, status: 'final', subject: { reference: 'Patient/p1' },
  ...(probability === undefined ? {} : { prediction: [{ probabilityDecimal: probability }] }),
});
const encounter = (id: string, start?: string, end?: string): Resource => ({
  resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' },
  ...(start || end ? { period: { ...(start ? { start } : {}), ...(end ? { end } : {}) } } : {}),
});

describe.each(await backends())('parameter types on %s', (kind) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await loadFixture(kind, false);
    await f.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Núñez', given: ['Zoë'] }], identifier: [{ system: 'urn:sys', value: 'A-1' }] });
      await tx.put({ resourceType: 'Patient', id: 'p2', name: [{ family: 'Nunes' }], identifier: [{ system: 'urn:sys', value: 'B-2' }] });
      for (const [id, p] of [['r1', 0.1], ['r2', 0.5], ['r3', 0.55], ['r4', 100]] as const) await tx.put(risk(id, p));
      await tx.put(risk('r5'));
      await tx.put(encounter('e1', '2020-01-01T10:00:00Z', '2020-01-01T11:00:00Z'));
      await tx.put(encounter('e2', '2020-01-01T23:00:00Z', '2020-01-02T01:00:00Z'));
      await tx.put(encounter('e3', '2019-06-01'));
      await tx.put(encounter('e4', undefined, '2019-12-31T23:59:59Z'));
      await tx.put(encounter('e5'));
      await tx.put({ resourceType: 'ValueSet', id: 'v1', status: 'active', url: 'http://acme.org/fhir/ValueSet/a' });
      await tx.put({ resourceType: 'ValueSet', id: 'v2', status: 'active', url: 'http://acme.org/fhir/ValueSet/a/b' });
    });
  });
  afterAll(async () => f?.t.drop());
  const ids = async (type: string, params: Array<[string, string]>) => sorted((await f.searchAll(type, params)).ids);

  it('compares numbers with their implicit precision and every prefix', async () => {
    const q = (v: string) => ids('RiskAssessment', [['probability', v]]);
    expect(await q('0.5')).toEqual(['r2']); // [0.45, 0.55) holds 0.5 but not 0.55
    expect(await q('0.55')).toEqual(['r3']);
    expect(await q('1e2')).toEqual(['r4']);
    expect(await q('gt0.5')).toEqual(['r3', 'r4']);
    expect(await q('ge0.5')).toEqual(['r2', 'r3', 'r4']);
    expect(await q('lt0.5')).toEqual(['r1']);
    expect(await q('le0.5')).toEqual(['r1', 'r2']);
    expect(await q('ne0.5')).toEqual(['r1', 'r3', 'r4']);
    expect(await q('ap0.52')).toEqual(['r2', 'r3']);
    expect(await q('sa0.5')).toEqual(['r3', 'r4']);
    expect(await q('eb0.55')).toEqual(['r1', 'r2']);
    expect(await ids('RiskAssessment', [['probability:missing', 'true']])).toEqual(['r5']);
  });

  it('matches periods with range semantics, open ends included', async () => {
    const q = (v: string) => ids('Encounter', [['date', v]]);
    expect(await q('2020-01-01')).toEqual(['e1']); // e2 runs past midnight: not contained
    expect(await q('ne2020-01-01')).toEqual(['e2', 'e3', 'e4']);
    expect(await q('gt2020-01-01')).toEqual(['e2', 'e3']); // e3 never ends
    expect(await q('lt2020-01-01')).toEqual(['e3', 'e4']); // e4 never started
    expect(await q('ge2020-01-01')).toEqual(['e1', 'e2', 'e3']);
    expect(await q('le2020-01-01')).toEqual(['e1', 'e3', 'e4']);
    expect(await q('sa2019-12-31')).toEqual(['e1', 'e2']);
    expect(await q('eb2020-01-01')).toEqual(['e4']);
    expect(await q('2020-01-01T10:00:00Z,2019')).toEqual([]);
    expect(await q('ap2020-01-01')).toEqual(expect.arrayContaining(['e1', 'e2']));
    expect(await ids('Encounter', [['date:missing', 'true']])).toEqual(['e5']);
    expect(await ids('Encounter', [['date', 'ge2020-01-01'], ['date', 'lt2020-01-02']])).toEqual(['e1', 'e2', 'e3']); // e2 starts before the 2nd: it overlaps the range below
  });

  it('matches uris exactly, below and above', async () => {
    expect(await ids('ValueSet', [['url', 'http://acme.org/fhir/ValueSet/a']])).toEqual(['v1']);
    expect(await ids('ValueSet', [['url:below', 'http://acme.org/fhir/ValueSet/a']])).toEqual(['v1', 'v2']);
    expect(await ids('ValueSet', [['url:above', 'http://acme.org/fhir/ValueSet/a/b/c']])).toEqual(['v1', 'v2']);
  });

  it('sorts by number and date with missing values last in both directions', async () => {
    expect((await f.searchAll('RiskAssessment', [['_sort', 'probability'], ['_count', '2']])).ids).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect((await f.searchAll('RiskAssessment', [['_sort', '-probability'], ['_count', '2']])).ids).toEqual(['r4', 'r3', 'r2', 'r1', 'r5']);
    expect((await f.searchAll('Encounter', [['_sort', 'date'], ['_count', '2']])).ids).toEqual(['e4', 'e3', 'e1', 'e2', 'e5']);
    expect((await f.searchAll('Encounter', [['_sort', '-date'], ['_count', '3']])).ids).toEqual(['e3', 'e2', 'e1', 'e4', 'e5']);
    expect((await f.searchAll('Patient', [['_sort', '-family']])).ids).toEqual(['p1', 'p2']);
    expect((await f.searchAll('Patient', [['_sort', '-_id'], ['_count', '1']])).ids).toEqual(['p2', 'p1']);
  });

  it('finds ids for conditional references inside a write transaction, seeing its own writes', async () => {
    const found = await f.db.transaction(async (q) => {
      await q.run("UPDATE resources SET deleted = 0 WHERE id = 'nothing'");
      return searchIds(q, f.registry, 'Patient', [['identifier', 'urn:sys|a-1']]);
    });
    expect(found).toEqual(['p1']);
    expect(await f.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p3', identifier: [{ system: 'urn:sys', value: 'C-3' }] });
      return tx.searchIds('Patient', [['identifier', 'urn:sys|C-3']]);
    })).toEqual(['p3']);
    await expect(searchIds(f.db, f.registry, 'Patient', [['foo', 'x']])).rejects.toMatchObject({ status: 400 });
  });

  it('writes a searchset Bundle that parses, with fullUrls, links, total and the outcome entry', async () => {
    const r = await f.search('Patient', [['family', 'nun'], ['_count', '1'], ['bogus', '1']]);
    const b = JSON.parse(bundleJson(r));
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    expect(b.entry[0]).toMatchObject({ fullUrl: `${BASE}/Patient/p1`, resource: { resourceType: 'Patient', id: 'p1' }, search: { mode: 'match' } });
    expect(b.entry[1]).toMatchObject({ resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', diagnostics: 'Unknown search parameter "bogus" for Patient' }] }, search: { mode: 'outcome' } });
    expect(b.link.map((l: { relation: string }) => l.relation)).toEqual(['self', 'next']);
    expect(b.link[1].url).toMatch(new RegExp(`^${BASE}/Patient\\?family=nun&_count=1&bogus=1&_cursor=[A-Za-z0-9_-]+$`));
    const empty = JSON.parse(bundleJson(await f.search('Patient', [['family', 'zzz']])));
    expect(empty.total).toBe(0);
    expect(empty.entry).toBeUndefined();
  });
});
