import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

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
});
