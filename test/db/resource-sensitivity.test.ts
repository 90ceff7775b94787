import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { RULES } from '../../src/db/migrations/015-resource-sensitivity.js';
import { PSYCHOTHERAPY_NOTE, PSYCHOTHERAPY_NOTE_TYPES, SENSITIVE_LABELS } from '../../src/fhir/sensitivity.js';
import { backends, createTestDb } from '../helpers/db.js';
import { loadFixture, type Fixture } from '../fhir/search/fixture.js';

/**
 * Sensitivity decided at write time (migration 015): the writer stores 0 (none),
 * 1 (sensitive) or 2 (psychotherapy note) on the row, and existing databases are
 * backfilled from their index rows. The codes below are written out from HL7's
 * v3-Confidentiality and v3-ActCode code systems and LOINC, not read from the code.
 */
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CONF = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const LOINC = 'http://loinc.org';

describe('the rules the column was computed with', () => {
  it('are the rules the code applies now (a change needs a migration that recomputes the column)', () => {
    expect(RULES.labels).toEqual(SENSITIVE_LABELS);
    expect(RULES.psychotherapyNoteLabel).toEqual(PSYCHOTHERAPY_NOTE);
    expect(RULES.psychotherapyNoteTypes.system).toBe(LOINC);
    expect([...RULES.psychotherapyNoteTypes.codes].sort()).toEqual(Object.keys(PSYCHOTHERAPY_NOTE_TYPES).sort());
  });
});

describe.each(await backends())('resources.sensitivity on %s', (kind) => {
  let f: Fixture;
  const level = async (type: string, id: string) =>
    Number((await f.t.db.get<{ s: number }>('SELECT sensitivity AS s FROM resources WHERE type = ? AND id = ?', [type, id]))?.s);
  const note = (id: string, code: string, security?: Array<{ system: string; code: string }>) => ({
    resourceType: 'DocumentReference', id, status: 'current', subject: { reference: 'Patient/s1' },
    type: { coding: [{ system: LOINC, code }] }, content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }],
    ...(security ? { meta: { security } } : {}),
  });

  beforeAll(async () => {
    f = await loadFixture(kind, false);
  });
  afterAll(async () => f?.t.drop());

  it('is stored by every write: create, update, delete', async () => {
    await f.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 's1' });
      await tx.put({ resourceType: 'Condition', id: 'plain', subject: { reference: 'Patient/s1' } });
      await tx.put({ resourceType: 'Condition', id: 'hiv', subject: { reference: 'Patient/s1' }, meta: { security: [{ system: ACT, code: 'HIV' }] } });
      await tx.put({ resourceType: 'Condition', id: 'restricted', subject: { reference: 'Patient/s1' }, meta: { security: [{ system: CONF, code: 'r' }] } });
      await tx.put({ resourceType: 'Condition', id: 'labelled-note', subject: { reference: 'Patient/s1' }, meta: { security: [{ system: ACT, code: 'PSY' }, { system: ACT, code: 'PSYTHPN' }] } });
      await tx.put(note('counseling', '34866-4'));
      await tx.put(note('discharge', '18842-5'));
      // A code from another system is not a LOINC counseling note.
      await tx.put({ ...note('other-system', '34866-4'), type: { coding: [{ system: 'http://example.org/types', code: '34866-4' }] } });
    });
    expect(await level('Patient', 's1')).toBe(0);
    expect(await level('Condition', 'plain')).toBe(0);
    expect(await level('Condition', 'hiv')).toBe(1);
    expect(await level('Condition', 'restricted')).toBe(1);
    expect(await level('Condition', 'labelled-note')).toBe(2);
    expect(await level('DocumentReference', 'counseling')).toBe(2);
    expect(await level('DocumentReference', 'discharge')).toBe(0);
    expect(await level('DocumentReference', 'other-system')).toBe(0);

    await f.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Condition', id: 'hiv', subject: { reference: 'Patient/s1' } }); // label removed
      await tx.put({ resourceType: 'Condition', id: 'plain', subject: { reference: 'Patient/s1' }, meta: { security: [{ system: ACT, code: 'SUD' }] } });
      await tx.delete('DocumentReference', 'counseling');
    });
    expect(await level('Condition', 'hiv')).toBe(0);
    expect(await level('Condition', 'plain')).toBe(1);
    expect(await level('DocumentReference', 'counseling')).toBe(0);
  });
});

describe.each(await backends())('migration 015 on an existing %s database', (kind) => {
  it('computes the level of every stored resource from its index rows', async () => {
    const upTo014 = migrations.slice(0, migrations.findIndex((m) => m.id === '015-resource-sensitivity'));
    const t = await createTestDb(kind, { migrations: upTo014 });
    try {
      const insert = async (type: string, id: string) =>
        Number((await t.db.all<{ seq: number }>('INSERT INTO resources (type, id, version, last_updated, content) VALUES (?, ?, 1, 1, ?) RETURNING seq', [type, id, JSON.stringify({ resourceType: type, id })]))[0].seq);
      const token = (res: number, type: string, param: string, system: string, code: string) =>
        t.db.run("INSERT INTO idx_token (res, type, param, system, code, text) VALUES (?, ?, ?, ?, ?, '')", [res, type, param, system, code]);
      const plain = await insert('Observation', 'plain');
      await token(plain, 'Observation', 'code', LOINC, '8302-2');
      const hiv = await insert('Condition', 'hiv');
      await token(hiv, 'Condition', '_security', ACT, 'hiv'); // the token index keeps codes lower case
      const veryRestricted = await insert('Condition', 'v');
      await token(veryRestricted, 'Condition', '_security', CONF, 'v');
      const labelledNote = await insert('Observation', 'labelled-note');
      await token(labelledNote, 'Observation', '_security', ACT, 'psythpn');
      await token(labelledNote, 'Observation', '_security', CONF, 'r');
      const groupNote = await insert('DocumentReference', 'group-note');
      await token(groupNote, 'DocumentReference', 'type', LOINC, '34793-0');
      const discharge = await insert('DocumentReference', 'discharge');
      await token(discharge, 'DocumentReference', 'type', LOINC, '18842-5');
      // Only a DocumentReference is a note by its type.
      const composition = await insert('Composition', 'comp');
      await token(composition, 'Composition', 'type', LOINC, '34864-9');
      const unknownLabel = await insert('Condition', 'normal');
      await token(unknownLabel, 'Condition', '_security', CONF, 'n');

      expect(await migrate(t.db)).toEqual(migrations.slice(upTo014.length).map((m) => m.id));
      const rows = await t.db.all<{ id: string; s: number }>('SELECT id, sensitivity AS s FROM resources ORDER BY id');
      expect(Object.fromEntries(rows.map((r) => [r.id, Number(r.s)]))).toEqual({
        comp: 0, discharge: 0, 'group-note': 2, hiv: 1, 'labelled-note': 2, normal: 0, plain: 0, v: 1,
      });
    } finally {
      await t.drop();
    }
  });
});
