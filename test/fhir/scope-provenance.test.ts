import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';
import { ALL, patientScope } from '../../src/fhir/scope.js';

/**
 * A Provenance about a patient's resources is that patient's (Inferno reads it through
 * `_revinclude=Provenance:target` on every US Core search, checklist §0), although R4's
 * patient compartment holds a Provenance only when it targets the Patient itself. One
 * that also names another patient's record stays out of reach.
 */
type Json = Record<string, any>;

describe.each(await backends())('Provenance in the patient scope on %s', (kind) => {
  let t: TestApp;
  let auth: string;
  const prov = (id: string, ...targets: string[]) => ({
    resourceType: 'Provenance', id, recorded: '2024-01-01T00:00:00Z',
    target: targets.map((reference) => ({ reference })), agent: [{ who: { reference: 'Practitioner/dr' } }],
  });

  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.services.store.transaction(async (tx) => {
      // Provenance first: visibility must not depend on the order resources arrive in.
      await tx.put(prov('prov-a', 'Observation/oa'));
      await tx.put(prov('prov-b', 'Observation/ob'));
      await tx.put(prov('prov-mixed', 'Observation/oa', 'Observation/ob'));
      await tx.put(prov('prov-patient', 'Patient/pa'));
      await tx.put(prov('prov-shared', 'Practitioner/dr'));
      for (const p of ['pa', 'pb']) {
        await tx.put({ resourceType: 'Patient', id: p });
        await tx.put({ resourceType: 'Observation', id: `o${p.slice(1)}`, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${p}` } });
      }
      await tx.put({ resourceType: 'Practitioner', id: 'dr' });
    });
    const c = await credentialFor(t.services, 'pa');
    auth = basic(c.key, c.secret);
  });
  afterAll(async () => t?.close());

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: { authorization: auth } });
  const ids = (body: Json, type: string) => (body.entry ?? []).map((e: Json) => e.resource).filter((r: Json) => r.resourceType === type).map((r: Json) => r.id).sort();

  it("revincludes the Provenance of the patient's own resources, and none that names another patient's", async () => {
    const res = await get('/fhir/Observation?patient=pa&_revinclude=Provenance:target');
    expect(res.statusCode).toBe(200);
    expect(ids(res.json(), 'Provenance')).toEqual(['prov-a']);
  });

  it('reads and searches such a Provenance like any resource of the patient', async () => {
    expect((await get('/fhir/Provenance/prov-a')).statusCode).toBe(200);
    for (const id of ['prov-b', 'prov-mixed', 'prov-shared']) expect((await get(`/fhir/Provenance/${id}`)).statusCode, id).toBe(404);
    expect(ids((await get('/fhir/Provenance')).json(), 'Provenance')).toEqual(['prov-a', 'prov-patient']);
  });

  it('includes it in Patient/$everything', async () => {
    const body = (await get('/fhir/Patient/pa/$everything')).json();
    expect(ids(body, 'Provenance')).toEqual(['prov-a', 'prov-patient']);
    expect(JSON.stringify(body)).not.toContain('Observation/ob');
  });

  it('fetches a revincluded Provenance once, however many of the matches it targets (its scope check reads all its references)', async () => {
    await t.services.store.transaction(async (tx) => {
      const many = Array.from({ length: 30 }, (_, i) => `Observation/m${i}`);
      for (let i = 0; i < 30; i++) await tx.put({ resourceType: 'Observation', id: `m${i}`, status: 'final', code: { text: 'many' }, subject: { reference: 'Patient/pa' } });
      await tx.put(prov('prov-many', ...many));
    });
    const db = t.services.db;
    const all = db.all.bind(db);
    let provenanceRows = 0;
    db.all = (async (sql: string, params?: unknown[]) => {
      const rows = await all(sql, params as never);
      provenanceRows += (rows as Json[]).filter((r) => r.type === 'Provenance').length;
      return rows;
    }) as typeof db.all;
    try {
      const res = await get('/fhir/Observation?patient=pa&code:text=many&_revinclude=Provenance:target');
      expect(ids(res.json(), 'Provenance')).toEqual(['prov-many']);
    } finally {
      db.all = all;
    }
    expect(provenanceRows).toBe(1);
  });

  it('hides one that names a resource the scope may not see, in any role (target or entity); staff still see it', async () => {
    const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
    await t.services.store.transaction(async (tx) => {
      // LOINC 34866-4 Psychology Counseling note: a psychotherapy note by its type (45 CFR 164.501).
      await tx.put({
        resourceType: 'DocumentReference', id: 'counseling', status: 'current', subject: { reference: 'Patient/pa' },
        type: { coding: [{ system: 'http://loinc.org', code: '34866-4' }] }, content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }],
      });
      await tx.put({ resourceType: 'Condition', id: 'hiv', subject: { reference: 'Patient/pa' }, meta: { security: [{ system: ACT, code: 'HIV' }] } });
      await tx.put({ ...prov('prov-entity-note', 'Observation/oa'), entity: [{ role: 'source', what: { reference: 'DocumentReference/counseling' } }] });
      await tx.put(prov('prov-sensitive-target', 'Condition/hiv'));
    });
    const named = ['prov-entity-note', 'prov-sensitive-target'];
    // The default credential leaves sensitive information out.
    for (const id of named) expect((await get(`/fhir/Provenance/${id}`)).statusCode, id).toBe(404);
    const everything = (await get('/fhir/Patient/pa/$everything')).json();
    for (const id of named) expect(ids(everything, 'Provenance')).not.toContain(id);
    expect(ids((await get('/fhir/Observation?patient=pa&_revinclude=Provenance:target')).json(), 'Provenance')).toEqual(['prov-a', 'prov-many']);

    // Sensitive information included: the sensitive target is visible, the psychotherapy note still is not.
    const withSensitive = patientScope('pa', { excludeSensitive: false });
    const visible = async (scope: typeof withSensitive | typeof ALL, id: string) => (await t.services.store.read(scope, 'Provenance', id)) !== undefined;
    expect(await visible(withSensitive, 'prov-sensitive-target')).toBe(true);
    expect(await visible(withSensitive, 'prov-entity-note')).toBe(false);
    expect(await visible(patientScope('pa', { excludeSensitive: true }), 'prov-sensitive-target')).toBe(false);
    // Staff see both, in reads and in the patient's $everything.
    for (const id of named) expect(await visible(ALL, id), id).toBe(true);
  });
});
