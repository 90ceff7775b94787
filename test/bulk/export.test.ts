import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';
import { BASE, download, exportAll, keyOf, kickOff, pathOf, waitForManifest } from './bulk-client.js';

const STAFF = basic('alice', 'correct horse battery');
const OTHER_STAFF = basic('bob', 'another good password');

const patient = (id: string) => ({ resourceType: 'Patient', id, name: [{ family: `F-${id}` }], gender: 'female', birthDate: '1970-01-02' });
const obs = (id: string, p: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', id, status: 'final', code: { text: id }, subject: { reference: `Patient/${p}` }, ...extra });

/** The records, and by hand what each export must hold (from the definitions above, not from the export code). */
const RESOURCES = [
  patient('p1'),
  patient('p2'),
  patient('p3'),
  { resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Who' }] },
  { resourceType: 'Practitioner', id: 'dr2', name: [{ family: 'Nobody refers to me' }] },
  { resourceType: 'Organization', id: 'org1', name: 'Clinic' },
  { resourceType: 'Medication', id: 'med1', code: { text: 'aspirin' } },
  obs('o1', 'p1', { performer: [{ reference: 'Practitioner/dr1' }] }),
  obs('o2', 'p2'),
  { resourceType: 'Encounter', id: 'e2', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p2' }, serviceProvider: { reference: 'Organization/org1' } },
  obs('o3', 'p3'),
  { resourceType: 'MedicationRequest', id: 'mr3', status: 'active', intent: 'order', subject: { reference: 'Patient/p3' }, medicationReference: { reference: 'Medication/med1' } },
  { resourceType: 'Provenance', id: 'prov1', target: [{ reference: 'Observation/o1' }], recorded: '2024-01-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/dr1' } }] },
  // A psychotherapy note (never shown to a patient's app) is the practice's record all the same: a practice system exports it and its Provenance.
  { resourceType: 'DocumentReference', id: 'note3', status: 'current', meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSYTHPN' }] }, subject: { reference: 'Patient/p3' }, content: [{ attachment: { contentType: 'text/plain', data: 'bm90ZQ==' } }] },
  { resourceType: 'Provenance', id: 'prov3', target: [{ reference: 'DocumentReference/note3' }], recorded: '2024-01-02T00:00:00Z', agent: [{ who: { reference: 'Practitioner/dr1' } }] },
  { resourceType: 'Group', id: 'g12', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p2' } }] },
  { resourceType: 'Group', id: 'g-inactive', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p3' }, inactive: true }] },
];
const ALL_KEYS = RESOURCES.map((r) => `${r.resourceType}/${r.id}`).sort();
const G12_KEYS = ['Patient/p1', 'Patient/p2', 'Observation/o1', 'Observation/o2', 'Encounter/e2', 'Practitioner/dr1', 'Organization/org1', 'Provenance/prov1'].sort();
// Every patient: all compartments and what they reference; not dr2 (nobody's), not the Groups.
const PATIENTS_KEYS = [...G12_KEYS, 'Patient/p3', 'Observation/o3', 'MedicationRequest/mr3', 'Medication/med1', 'DocumentReference/note3', 'Provenance/prov3'].sort();

describe.each(await backends())('Bulk Data export on %s', (kind) => {
  let t: TestApp;
  let patientAuth: string;
  beforeAll(async () => {
    t = await createTestApp(kind, { bulk: { pollMs: 20 } });
    await t.services.staff.create('alice', 'correct horse battery');
    await t.services.staff.create('bob', 'another good password');
    await t.services.store.transaction(async (tx) => {
      for (const r of RESOURCES) await tx.put(r);
    });
    const cred = await credentialFor(t.services, 'p1');
    patientAuth = basic(cred.key, cred.secret);
  });
  afterAll(async () => t?.close());

  const get = (url: string, headers: Record<string, string>) => t.app.inject({ method: 'GET', url, headers });
  const keys = (rs: Array<{ resourceType: string; id: string }>) => rs.map(keyOf).sort();

  it('kicks off, reports progress, serves a manifest with absolute URLs and the NDJSON files, and is gone after DELETE', async () => {
    const status = await kickOff(t.app, '/fhir/$export', STAFF);
    expect(status).toMatch(/^http:\/\/chartkey\.test\/fhir\/bulk-status\/[0-9a-f]{32}$/);
    const manifest = await waitForManifest(t.app, status, STAFF);
    expect(manifest.requiresAccessToken).toBe(true);
    expect(manifest.request).toBe(`${BASE}/fhir/$export`);
    expect(new Date(manifest.transactionTime).toISOString()).toBe(manifest.transactionTime);
    expect(manifest.error).toEqual([]);
    for (const f of manifest.output) expect(f.url.startsWith(`${BASE}/fhir/`)).toBe(true);
    const resources = await download(t.app, manifest, STAFF);
    expect(keys(resources)).toEqual(ALL_KEYS);
    // Files hold the stored resources as they are, meta included.
    const o1 = resources.find((r) => keyOf(r) === 'Observation/o1')!;
    expect(o1).toMatchObject(RESOURCES.find((r) => r.id === 'o1')!);
    expect((o1.meta as { versionId: string }).versionId).toBe('1');

    const del = await t.app.inject({ method: 'DELETE', url: pathOf(status), headers: { authorization: STAFF } });
    expect(del.statusCode).toBe(202);
    const after = await get(pathOf(status), { authorization: STAFF });
    expect(after.statusCode).toBe(404);
    expect(after.json().resourceType).toBe('OperationOutcome');
    const file = await get(pathOf(manifest.output[0].url), { authorization: STAFF });
    expect(file.statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: pathOf(status), headers: { authorization: STAFF } })).statusCode).toBe(404);
  });

  it('exports at Patient level every compartment and the shared resources they reference, and nothing else', async () => {
    const { resources } = await exportAll(t.app, '/fhir/Patient/$export', STAFF);
    expect(keys(resources)).toEqual(PATIENTS_KEYS);
  });

  it('exports a Group: its members, their compartments and what those reference — nothing of anyone else', async () => {
    const { resources, manifest } = await exportAll(t.app, '/fhir/Group/g12/$export', STAFF);
    expect(manifest.request).toBe(`${BASE}/fhir/Group/g12/$export`);
    expect(keys(resources)).toEqual(G12_KEYS);
  });

  it('leaves out a Group member marked inactive', async () => {
    const { resources } = await exportAll(t.app, '/fhir/Group/g-inactive/$export', STAFF);
    expect(keys(resources)).toEqual(['Observation/o1', 'Patient/p1', 'Practitioner/dr1', 'Provenance/prov1']);
  });

  it('answers 404 for an unknown Group', async () => {
    const res = await get('/fhir/Group/nope/$export', { authorization: STAFF, prefer: 'respond-async' });
    expect(res.statusCode).toBe(404);
    expect(res.json().resourceType).toBe('OperationOutcome');
  });

  it('narrows by _type (comma-separated and repeated)', async () => {
    const { resources } = await exportAll(t.app, '/fhir/$export?_type=Observation,Practitioner&_type=Patient', STAFF);
    expect(keys(resources)).toEqual(ALL_KEYS.filter((k) => /^(Observation|Practitioner|Patient)\//.test(k)));
    const group = await exportAll(t.app, '/fhir/Group/g12/$export?_type=Observation', STAFF);
    expect(keys(group.resources)).toEqual(['Observation/o1', 'Observation/o2']);
  });

  it('accepts each NDJSON _outputFormat and refuses any other', async () => {
    for (const f of ['application/fhir+ndjson', 'application/ndjson', 'ndjson']) {
      await kickOff(t.app, `/fhir/Group/g12/$export?_outputFormat=${encodeURIComponent(f)}`, STAFF);
    }
    for (const f of ['application/fhir+json', 'text/csv', '']) {
      const res = await get(`/fhir/$export?_outputFormat=${encodeURIComponent(f)}`, { authorization: STAFF, prefer: 'respond-async' });
      expect(res.statusCode).toBe(400);
      expect(res.json().issue[0].diagnostics).toContain('_outputFormat');
    }
  });

  it('requires Prefer: respond-async', async () => {
    for (const prefer of [undefined, 'respond-sync', 'handling=strict']) {
      const res = await get('/fhir/$export', { authorization: STAFF, accept: 'application/fhir+json', ...(prefer ? { prefer } : {}) });
      expect(res.statusCode).toBe(400);
      expect(res.json().issue[0].diagnostics).toContain('respond-async');
    }
  });

  it('refuses hostile or unsupported parameters with 400 and an OperationOutcome', async () => {
    const cases: Array<[string, string]> = [
      ['_since=yesterday', '_since'],
      ['_since=2024-01-01', '_since'],
      ["_since=2024-01-01T00:00:00Z' OR 1=1 --", '_since'],
      ['_since=2024-01-01T00:00:00Z&_since=2024-01-02T00:00:00Z', '_since'],
      ['_type=Observation,Bogus', 'Bogus'],
      ['_type=', '_type'],
      ["_type=Observation'%3B DROP TABLE resources", '_type'],
      ['_typeFilter=Observation%3Fstatus%3Dfinal', '_typeFilter'],
    ];
    for (const [q, word] of cases) {
      const res = await get(`/fhir/$export?${q}`, { authorization: STAFF, prefer: 'respond-async' });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().resourceType).toBe('OperationOutcome');
      expect(res.json().issue[0].diagnostics).toContain(word);
    }
    const strict = await get('/fhir/$export?includeAssociatedData=LatestProvenanceResources', { authorization: STAFF, prefer: 'respond-async, handling=strict' });
    expect(strict.statusCode).toBe(400);
    expect(strict.json().issue[0].diagnostics).toContain('includeAssociatedData');
  });

  it('ignores an unsupported parameter under lenient handling and says so in the manifest error files', async () => {
    const { manifest, resources } = await exportAll(t.app, '/fhir/Group/g12/$export?_elements=id', STAFF);
    expect(keys(resources)).toEqual(G12_KEYS);
    expect(manifest.error).toHaveLength(1);
    const res = await get(pathOf(manifest.error[0].url), { authorization: STAFF });
    expect(res.statusCode).toBe(200);
    const outcome = JSON.parse(res.body.trim());
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].diagnostics).toContain('_elements');
  });

  it('serves status and files only to the principal that kicked off (404 to anyone else)', async () => {
    const status = await kickOff(t.app, '/fhir/Group/g12/$export', STAFF);
    const manifest = await waitForManifest(t.app, status, STAFF);
    for (const auth of [OTHER_STAFF]) {
      expect((await get(pathOf(status), { authorization: auth })).statusCode).toBe(404);
      for (const f of manifest.output) {
        const res = await get(pathOf(f.url), { authorization: auth, accept: 'application/fhir+ndjson' });
        expect(res.statusCode).toBe(404);
        expect(res.body).not.toContain('"resourceType":"Patient"');
      }
      expect((await t.app.inject({ method: 'DELETE', url: pathOf(status), headers: { authorization: auth } })).statusCode).toBe(404);
    }
    for (const f of manifest.output) expect((await get(pathOf(f.url), { authorization: 'Basic ' + Buffer.from('alice:wrong password!').toString('base64') })).statusCode).toBe(401);
    for (const f of manifest.output) expect((await get(pathOf(f.url), {})).statusCode).toBe(401);
    // The owner still has it all.
    expect(keys(await download(t.app, manifest, STAFF))).toEqual(G12_KEYS);
  });

  it('gives a patient credential 403 on every export endpoint', async () => {
    const status = await kickOff(t.app, '/fhir/Group/g12/$export', STAFF);
    const manifest = await waitForManifest(t.app, status, STAFF);
    const h = { authorization: patientAuth, prefer: 'respond-async', accept: 'application/fhir+json' };
    for (const url of ['/fhir/$export', '/fhir/Patient/$export', '/fhir/Group/g12/$export', pathOf(status), ...manifest.output.map((f) => pathOf(f.url))]) {
      const res = await get(url, h);
      expect(res.statusCode, url).toBe(403);
      expect(res.json().resourceType).toBe('OperationOutcome');
    }
    expect((await t.app.inject({ method: 'DELETE', url: pathOf(status), headers: h })).statusCode).toBe(403);
    // The job is untouched.
    expect((await get(pathOf(status), { authorization: STAFF })).statusCode).toBe(200);
  });

  it('does not show a patient the Groups they are in (a Group names other patients)', async () => {
    expect((await get('/fhir/Group/g12', { authorization: patientAuth })).statusCode).toBe(404);
    const search = await get('/fhir/Group?member=Patient/p1', { authorization: patientAuth });
    expect(search.statusCode === 403 || (search.statusCode === 200 && (search.json().entry ?? []).length === 0)).toBe(true);
    expect((await get('/fhir/Group/g12', { authorization: STAFF })).statusCode).toBe(200);
  });

  it('announces $export at system, Patient and Group level and instantiates the Bulk Data CapabilityStatement', async () => {
    const cs = (await get('/fhir/metadata', {})).json();
    expect(cs.instantiates).toContain('http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data');
    expect(cs.rest[0].operation).toContainEqual({ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export' });
    const group = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Group');
    expect(group.operation).toContainEqual({ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export' });
    expect(group.interaction.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['read', 'search-type']));
    const pat = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Patient');
    expect(pat.operation).toContainEqual({ name: 'export', definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export' });
    // _typeFilter is refused, so it is not announced.
    expect(JSON.stringify(cs)).not.toContain('_typeFilter');
    // A client finds the groups to export by searching.
    const found = (await get('/fhir/Group?_id=g12', { authorization: STAFF })).json();
    expect(found.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['g12']);
  });

  it('answers 404 for unknown or malformed job ids and file names', async () => {
    for (const url of ['/fhir/bulk-status/0123456789abcdef0123456789abcdef', "/fhir/bulk-status/x'%20OR%201=1", '/fhir/bulk-files/0123456789abcdef0123456789abcdef/Patient.ndjson']) {
      const res = await get(url, { authorization: STAFF });
      expect(res.statusCode, url).toBe(404);
    }
    const status = await kickOff(t.app, '/fhir/Group/g12/$export', STAFF);
    await waitForManifest(t.app, status, STAFF);
    const job = status.split('/').pop();
    for (const name of ['..%2F..%2Fetc%2Fpasswd', 'Patient.json', 'Nothing.ndjson']) {
      expect((await get(`/fhir/bulk-files/${job}/${name}`, { authorization: STAFF })).statusCode, name).toBe(404);
    }
  });
});
