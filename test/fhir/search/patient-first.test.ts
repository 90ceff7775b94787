import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/db/migrate.js';
import { migrations } from '../../../src/db/migrations/index.js';
import { everythingQueries, patientScope } from '../../../src/fhir/scope.js';
import { pageSql } from '../../../src/fhir/search/compile/select.js';
import { parseSearch } from '../../../src/fhir/search/parse.js';
import { ALL } from '../../../src/fhir/scope.js';
import { backends, createTestDb } from '../../helpers/db.js';
import { BASE, loadFixture, testRegistry, type Fixture } from './fixture.js';

/**
 * Patient-first search indexes (migration 013): token and date rows carry the compartment's
 * patient, one copy per compartment, and a search whose every result lies in one patient's
 * compartment drives from them. The results must be exactly those of the plain plan.
 */
const A = 'pf-a';
const B = 'pf-b';
const C = 'pf-c';
const LOINC = 'http://loinc.org';

const obs = (id: string, code: string, subject: string, performer?: string, date = '2020-05-01') => ({
  resourceType: 'Observation', id, status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
  code: { coding: [{ system: LOINC, code }] },
  subject: { reference: subject },
  ...(performer ? { performer: [{ reference: performer }] } : {}),
  effectiveDateTime: date,
});

describe.each(await backends())('patient-first search on %s', (kind) => {
  let f: Fixture;
  const ids = async (type: string, params: Array<[string, string]>, scope = ALL) => (await f.searchAll(type, params, scope)).ids.sort();

  beforeAll(async () => {
    f = await loadFixture(kind, false);
    await f.store.transaction(async (tx) => {
      for (const p of [A, B, C]) await tx.put({ resourceType: 'Patient', id: p });
      // In A's and B's compartments (subject A, performer B).
      await tx.put(obs('both', '1111-1', `Patient/${A}`, `Patient/${B}`));
      await tx.put(obs('a-only', '1111-1', `Patient/${A}`, undefined, '2010-01-01'));
      await tx.put(obs('b-only', '1111-1', `Patient/${B}`));
      await tx.put(obs('a-other', '2222-2', `Patient/${A}`));
      // Subject a Group with the same id as a patient: in no patient's compartment.
      await tx.put({ resourceType: 'Group', id: A, type: 'person', actual: true });
      await tx.put(obs('group', '1111-1', `Group/${A}`));
    });
  });
  afterAll(async () => f?.t.drop());

  it('finds a resource in two compartments from either patient, once', async () => {
    expect(await ids('Observation', [['code', `${LOINC}|1111-1`]], patientScope(A))).toEqual(['a-only', 'both']);
    expect(await ids('Observation', [['code', '1111-1']], patientScope(B))).toEqual(['b-only', 'both']);
    expect(await ids('Observation', [['code', '1111-1']])).toEqual(['a-only', 'b-only', 'both', 'group']);
    const counted = await f.search('Observation', [['code', '1111-1'], ['_total', 'accurate'], ['_count', '1']]);
    expect(counted.total).toBe(4);
    expect(await ids('Observation', [['category', 'laboratory'], ['date', 'ge2015']], patientScope(B))).toEqual(['b-only', 'both']);
    expect(await ids('Observation', [['date', 'lt2015']], patientScope(A))).toEqual(['a-only']);
  });

  it('keeps a staff search by patient exact, whether or not the reference implies the compartment', async () => {
    expect(await ids('Observation', [['patient', A], ['code', '1111-1']])).toEqual(['a-only', 'both']);
    expect(await ids('Observation', [['subject', `Patient/${A}`], ['code', '1111-1']])).toEqual(['a-only', 'both']);
    expect(await ids('Observation', [['performer', `Patient/${B}`], ['code', '1111-1']])).toEqual(['both']);
    // A bare subject id may name the Group: not a compartment, so the Group's Observation is found too.
    expect(await ids('Observation', [['subject', A], ['code', '1111-1']])).toEqual(['a-only', 'both', 'group']);
    expect(await ids('Observation', [['patient', `${A},${B}`], ['code', '1111-1']])).toEqual(['a-only', 'b-only', 'both']);
  });

  it('reads the patient-first index only when every result is in one compartment', () => {
    const reg = testRegistry();
    const sqlOf = (params: Array<[string, string]>, scope = ALL) => pageSql(parseSearch('Observation', params, reg, { baseUrl: BASE }), scope, 51, kind).sql;
    expect(sqlOf([['patient', A], ['code', '1111-1']])).toContain('x.patient = ?');
    expect(sqlOf([['code', '1111-1']], patientScope(A))).toContain('x.patient = ?');
    expect(sqlOf([['subject', A], ['code', '1111-1']])).not.toContain('x.patient = ?');
    expect(sqlOf([['patient', `${A},${B}`], ['code', '1111-1']])).not.toContain('x.patient = ?');
    expect(sqlOf([['code', '1111-1']])).not.toContain('x.patient = ?');
    // Shared types are visible outside the compartment: never patient-first from the scope.
    expect(pageSql(parseSearch('Organization', [['name', 'x']], reg, { baseUrl: BASE }), patientScope(A), 51, kind).sql).not.toContain('x.patient = ?');
  });

  it('follows updates, moves between compartments and deletes', async () => {
    await f.store.transaction(async (tx) => void (await tx.put(obs('both', '3333-3', `Patient/${C}`, `Patient/${B}`))));
    expect(await ids('Observation', [['code', '1111-1']], patientScope(A))).toEqual(['a-only']);
    expect(await ids('Observation', [['code', '3333-3']], patientScope(A))).toEqual([]);
    expect(await ids('Observation', [['code', '3333-3']], patientScope(B))).toEqual(['both']);
    expect(await ids('Observation', [['code', '3333-3']], patientScope(C))).toEqual(['both']);
    expect(await ids('Observation', [['patient', C], ['code', '3333-3']])).toEqual(['both']);
    await f.store.transaction(async (tx) => void (await tx.delete('Observation', 'both')));
    expect(await ids('Observation', [['code', '3333-3']], patientScope(B))).toEqual([]);
    expect(await ids('Observation', [['code', '3333-3']])).toEqual([]);
  });
});

describe.each(await backends())('migration 013 on an existing %s database', (kind) => {
  it('backfills the patient of every token and date row (a copy per compartment) and the source type of every reference', async () => {
    const upTo012 = migrations.slice(0, migrations.findIndex((m) => m.id === '013-patient-first-index'));
    const t = await createTestDb(kind, { migrations: upTo012 });
    try {
      const insert = async (type: string, id: string) =>
        (await t.db.all<{ seq: number }>('INSERT INTO resources (type, id, version, last_updated, content) VALUES (?, ?, 1, 1, ?) RETURNING seq', [type, id, JSON.stringify({ resourceType: type, id })]))[0].seq;
      const o = await insert('Observation', 'o1');
      const org = await insert('Organization', 'org1');
      const prov = await insert('Provenance', 'prov1');
      await t.db.run('INSERT INTO compartment (patient, res) VALUES (?, ?), (?, ?)', [A, o, B, o]);
      await t.db.run("INSERT INTO idx_token (res, type, param, system, code, text) VALUES (?, 'Observation', 'code', ?, '1111-1', ''), (?, 'Organization', 'name', '', 'x', '')", [o, LOINC, org]);
      await t.db.run("INSERT INTO idx_date (res, type, param, lo, hi) VALUES (?, 'Observation', 'date', 1, 2)", [o]);
      await t.db.run("INSERT INTO refs (res, target_type, target_id) VALUES (?, 'Patient', ?), (?, 'Observation', 'o1')", [o, A, prov]);

      expect(await migrate(t.db)).toEqual(migrations.slice(upTo012.length).map((m) => m.id));
      const tokens = await t.db.all<{ res: number; patient: string }>('SELECT res, patient FROM idx_token ORDER BY res, patient');
      expect(tokens.map((r) => [Number(r.res), r.patient])).toEqual([[o, A], [o, B], [org, '']]);
      const dates = await t.db.all<{ patient: string }>('SELECT patient FROM idx_date ORDER BY patient');
      expect(dates.map((r) => r.patient)).toEqual([A, B]);
      const refs = await t.db.all<{ res: number; source_type: string }>('SELECT res, source_type FROM refs ORDER BY res');
      expect(refs.map((r) => [Number(r.res), r.source_type])).toEqual([[o, 'Observation'], [prov, 'Provenance']]);
      // $everything finds the Provenance naming A's resource through the new column.
      const q = everythingQueries(patientScope(A), 0, 100, t.db.dialect, true).provenance;
      expect(q.sql).toContain("f.source_type = 'Provenance'");
    } finally {
      await t.drop();
    }
  });
});
