import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * Corners of the patient's boundary that the Synthea-based suite (test/auth/patient-boundary)
 * cannot reach because its data never moves between patients: versions written while a
 * resource was in another patient's compartment, shared-type resources that belong to
 * another patient, and SMART scopes narrower than patient/*.
 */
type Json = Record<string, any>;

describe.each(await backends())('patient boundary gaps on %s', (kind) => {
  let t: TestApp;
  let authA: string;
  let keyA: string;
  let secretA: string;

  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'pa', name: [{ family: 'Alpha' }] });
      await tx.put({ resourceType: 'Patient', id: 'pb', name: [{ family: 'Bravo' }] });
      // Misfiled under B first (v1, with B's data in it), then corrected to A (v2).
      await tx.put({ resourceType: 'Observation', id: 'moved', status: 'final', code: { text: 'HIV viral load' }, subject: { reference: 'Patient/pb' }, note: [{ text: 'Bravo-secret-note' }] });
      // B's implanted device; A's observation (wrongly) points at it.
      await tx.put({ resourceType: 'Device', id: 'dev-b', patient: { reference: 'Patient/pb' }, serialNumber: 'Bravo-serial' });
      await tx.put({ resourceType: 'Device', id: 'dev-shared', serialNumber: 'lab-analyser' });
      await tx.put({
        resourceType: 'Observation', id: 'oa', status: 'final', code: { text: 'weight' }, subject: { reference: 'Patient/pa' },
        device: { reference: 'Device/dev-b' }, performer: [{ reference: 'Practitioner/dr' }],
      });
      await tx.put({ resourceType: 'Observation', id: 'oa2', status: 'final', code: { text: 'height' }, subject: { reference: 'Patient/pa' }, device: { reference: 'Device/dev-shared' } });
      await tx.put({ resourceType: 'Practitioner', id: 'dr', name: [{ family: 'Doc' }] });
      await tx.put({ resourceType: 'Condition', id: 'ca', subject: { reference: 'Patient/pa' }, code: { text: 'asthma' } });
    });
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Observation', id: 'moved', status: 'final', code: { text: 'HIV viral load' }, subject: { reference: 'Patient/pa' } });
    });
    const c = await credentialFor(t.services, 'pa');
    keyA = c.key;
    secretA = c.secret;
    authA = basic(c.key, c.secret);
  });
  afterAll(async () => t?.close());

  const get = (url: string, authorization = authA) => t.app.inject({ method: 'GET', url, headers: { authorization } });
  const noBravo = (body: string) => {
    expect(body).not.toContain('Bravo');
    expect(body).not.toContain('Patient/pb');
  };

  it("never serves a version written while the resource was in another patient's compartment", async () => {
    expect((await get('/fhir/Observation/moved')).statusCode).toBe(200);
    const v1 = await get('/fhir/Observation/moved/_history/1');
    expect(v1.statusCode).toBe(404);
    noBravo(v1.body);
    const v2 = await get('/fhir/Observation/moved/_history/2');
    expect(v2.statusCode).toBe(200);
    const history = await get('/fhir/Observation/moved/_history');
    expect(history.statusCode).toBe(200);
    noBravo(history.body);
    expect(history.json().entry.map((e: Json) => e.resource?.meta.versionId)).toEqual(['2']);
    expect(history.json().total).toBe(1);
  });

  it('still lets staff read every version', async () => {
    await t.services.staff.create('auditor', 'staff password 123');
    const history = await get('/fhir/Observation/moved/_history', basic('auditor', 'staff password 123'));
    expect(history.json().entry).toHaveLength(2);
  });

  it("does not share a Device in another patient's compartment, even when referenced from A's record", async () => {
    const read = await get('/fhir/Device/dev-b');
    expect(read.statusCode).toBe(404);
    noBravo(read.body);
    for (const url of [
      '/fhir/Observation?_include=Observation:device',
      '/fhir/Observation?_include=*',
      '/fhir/Device',
      '/fhir/Device?_id=dev-b',
      '/fhir/Device/dev-b/_history',
      '/fhir/Device/dev-b/_history/1',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBeLessThan(500);
      noBravo(res.body);
      expect(res.body, url).not.toContain('"id":"dev-b"');
    }
    // A chain through B's device must not tell A that the device is B's.
    const chained = await get('/fhir/Observation?device:Device.patient=pb');
    expect(chained.statusCode).toBe(200);
    expect(chained.json().entry ?? []).toHaveLength(0);
    const everything = await get('/fhir/Patient/pa/$everything');
    noBravo(everything.body);
    expect(everything.body).not.toContain('"id":"dev-b"');
    // A device that is nobody's (not in any compartment) is shared as before.
    expect((await get('/fhir/Device/dev-shared')).statusCode).toBe(200);
    expect(everything.body).toContain('"id":"dev-shared"');
  });

  it("answers another patient's deleted resource exactly like one that never existed (404, not 410)", async () => {
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Condition', id: 'cb-gone', subject: { reference: 'Patient/pb' }, code: { text: 'Bravo condition' } });
    });
    await t.services.store.transaction(async (tx) => tx.delete('Condition', 'cb-gone'));
    const normalize = (body: string, id: string) => body.replaceAll(id, 'ID');
    for (const suffix of ['', '/_history', '/_history/1', '/_history/2']) {
      const gone = await get(`/fhir/Condition/cb-gone${suffix}`);
      const never = await get(`/fhir/Condition/cb-never${suffix}`);
      expect(gone.statusCode, suffix).toBe(404);
      expect(normalize(gone.body, 'cb-gone'), suffix).toBe(normalize(never.body, 'cb-never'));
    }
  });

  describe('SMART scopes narrower than patient/*', () => {
    const tokenFor = async (scope: string) => {
      const res = await t.app.inject({
        method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: keyA, client_secret: secretA, scope }).toString(),
      });
      expect(res.statusCode).toBe(200);
      return `Bearer ${res.json().access_token}`;
    };
    const types = (body: Json) => new Set((body.entry ?? []).map((e: Json) => e.resource?.resourceType).filter(Boolean));

    it('_include and _revinclude return only granted types', async () => {
      const patientOnly = await tokenFor('patient/Patient.rs');
      const rev = await get('/fhir/Patient?_revinclude=Observation:patient&_revinclude=Condition:patient', patientOnly);
      expect(rev.statusCode).toBe(200);
      expect([...types(rev.json())]).toEqual(['Patient']);
      const obsOnly = await tokenFor('patient/Observation.rs');
      for (const url of ['/fhir/Observation?_include=Observation:patient', '/fhir/Observation?_include=*', '/fhir/Observation?_include=Observation:performer&_include:iterate=*']) {
        const res = await get(url, obsOnly);
        expect(res.statusCode, url).toBe(200);
        expect([...types(res.json())], url).toEqual(['Observation']);
      }
    });

    it('chains cannot probe a type the token may not read', async () => {
      const obsOnly = await tokenFor('patient/Observation.rs');
      const hit = await get('/fhir/Observation?subject:Patient.family=Alpha', obsOnly);
      expect(hit.statusCode).toBe(200);
      expect(hit.json().entry ?? []).toHaveLength(0);
    });

    it('$everything returns only granted types', async () => {
      const patientOnly = await tokenFor('patient/Patient.rs patient/Condition.rs');
      const res = await get('/fhir/Patient/pa/$everything', patientOnly);
      expect(res.statusCode).toBe(200);
      expect([...types(res.json())].sort()).toEqual(['Condition', 'Patient']);
    });

    it('patient/*.rs still sees every type of the record', async () => {
      const all = await tokenFor('patient/*.rs');
      const res = await get('/fhir/Patient?_revinclude=Observation:patient', all);
      expect([...types(res.json())].sort()).toEqual(['Observation', 'Patient']);
    });
  });
});
