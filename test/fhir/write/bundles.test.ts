import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { backends } from '../../helpers/db.js';
import { fhirCounts, observation, staffClient, STAFF_USER } from './helpers.js';

const PATIENT_URN = 'urn:uuid:6f1c9a52-3a55-4f0e-9a55-0d7f8e2b6a01';
const OBS_URN = 'urn:uuid:6f1c9a52-3a55-4f0e-9a55-0d7f8e2b6a02';

/** A transaction as a practice system would send it: a new patient, two results pointing at it, a known organization by identifier. */
function admission(mrn: string, overrides: { secondStatus?: string } = {}) {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: PATIENT_URN,
        resource: { resourceType: 'Patient', identifier: [{ system: 'urn:test:mrn', value: mrn }], name: [{ family: 'Transact', given: ['Tina'] }], gender: 'female', birthDate: '1980-02-03' },
        request: { method: 'POST', url: 'Patient' },
      },
      {
        fullUrl: OBS_URN,
        resource: { ...observation('x'), subject: { reference: PATIENT_URN }, performer: [{ reference: 'Organization?identifier=urn:test:org|org-1' }] },
        request: { method: 'POST', url: 'Observation' },
      },
      {
        resource: { ...observation('x'), status: overrides.secondStatus ?? 'preliminary', subject: { reference: PATIENT_URN }, hasMember: [{ reference: OBS_URN }] },
        request: { method: 'POST', url: 'Observation' },
      },
      {
        resource: { resourceType: 'Practitioner', id: `pr-${mrn}`, name: [{ family: 'Doc' }] },
        request: { method: 'PUT', url: `Practitioner/pr-${mrn}` },
      },
    ],
  };
}

describe.each(await backends())('transaction and batch Bundles on %s', (kind) => {
  let t: TestApp;
  let send: Awaited<ReturnType<typeof staffClient>>['send'];
  beforeAll(async () => {
    t = await createTestApp(kind);
    ({ send } = await staffClient(t));
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Organization', id: 'org-1', identifier: [{ system: 'urn:test:org', value: 'org-1' }], name: 'Clinic' });
      await tx.put({ resourceType: 'Organization', id: 'dup-a', identifier: [{ system: 'urn:test:org', value: 'dup' }], name: 'A' });
      await tx.put({ resourceType: 'Organization', id: 'dup-b', identifier: [{ system: 'urn:test:org', value: 'dup' }], name: 'B' });
    });
  });
  afterAll(async () => t?.close());

  it('stores a transaction atomically, resolving urn:uuid and conditional references; answers a transaction-response', async () => {
    const res = await send('POST', '/fhir', admission('t-1'));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.resourceType).toBe('Bundle');
    expect(body.type).toBe('transaction-response');
    expect(body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created', '201 Created']);
    const locations = body.entry.map((e: { response: { location: string } }) => e.response.location);
    expect(locations[0]).toMatch(/^Patient\/[A-Za-z0-9\-.]+\/_history\/1$/);
    expect(locations[3]).toBe('Practitioner/pr-t-1/_history/1');
    for (const e of body.entry) {
      expect(e.response.etag).toBe('W/"1"');
      expect(Date.parse(e.response.lastModified)).toBeGreaterThan(0);
      expect(e.resource).toBeUndefined(); // default for Bundles: minimal
    }
    const patientId = locations[0].split('/')[1];
    expect(patientId).not.toBe(PATIENT_URN.slice(9)); // POST: the server assigns the id
    const obs1 = (await send('GET', `/fhir/${locations[1].split('/_history')[0]}`)).json();
    expect(obs1.subject).toEqual({ reference: `Patient/${patientId}` });
    expect(obs1.performer).toEqual([{ reference: 'Organization/org-1' }]);
    const obs2 = (await send('GET', `/fhir/${locations[2].split('/_history')[0]}`)).json();
    expect(obs2.hasMember).toEqual([{ reference: locations[1].split('/_history')[0] }]);
    const search = (await send('GET', `/fhir/Observation?patient=${patientId}`)).json();
    expect(search.entry).toHaveLength(2);
    const events = (await t.services.audit.list({ action: 'fhir.create', limit: 200 })).events.filter((e) => e.detail.via === 'transaction');
    expect(events).toHaveLength(4);
    expect(new Set(events.map((e) => e.actorId))).toEqual(new Set([STAFF_USER]));
  });

  it('returns each resource with Prefer: return=representation', async () => {
    const body = (await send('POST', '/fhir', admission('t-2'), { prefer: 'return=representation' })).json();
    expect(body.entry[0].resource.resourceType).toBe('Patient');
    expect(body.entry[0].resource.meta.versionId).toBe('1');
    expect(body.entry[3].resource.id).toBe('pr-t-2');
  });

  it('stores nothing when one entry is invalid (422, the expression names the entry and element)', async () => {
    const before = await fhirCounts(t);
    const res = await send('POST', '/fhir', admission('t-bad', { secondStatus: 'not-a-status' }));
    expect(res.statusCode).toBe(422);
    expect(res.json().issue[0].expression).toEqual(['Bundle.entry[2].resource.status']);
    expect(await fhirCounts(t)).toEqual(before);
    expect((await send('GET', '/fhir/Practitioner/pr-t-bad')).statusCode).toBe(404);
  });

  it('stores nothing when a reference cannot be resolved during execution, or a condition is ambiguous (412)', async () => {
    const before = await fhirCounts(t);
    const unresolved = admission('t-unres');
    (unresolved.entry[1].resource as Record<string, unknown>).performer = [{ reference: 'Organization?identifier=urn:test:org|nobody' }];
    const res = await send('POST', '/fhir', unresolved);
    expect(res.statusCode).toBe(400);
    expect(res.json().issue[0].expression).toEqual(['Bundle.entry[1]']);
    const ambiguous = admission('t-amb');
    (ambiguous.entry[1].resource as Record<string, unknown>).performer = [{ reference: 'Organization?identifier=urn:test:org|dup' }];
    expect((await send('POST', '/fhir', ambiguous)).statusCode).toBe(412);
    const ifNoneExist = { resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: { resourceType: 'Practitioner', id: 'pr-new', name: [{ family: 'New' }] }, request: { method: 'PUT', url: 'Practitioner/pr-new' } },
      { resource: { resourceType: 'Organization', name: 'X' }, request: { method: 'POST', url: 'Organization', ifNoneExist: 'identifier=urn:test:org|dup' } },
    ] };
    expect((await send('POST', '/fhir', ifNoneExist)).statusCode).toBe(412);
    expect(await fhirCounts(t)).toEqual(before);
  });

  it('checks entry.request.ifMatch: a stale version fails the whole transaction with 412', async () => {
    const before = await fhirCounts(t);
    const res = await send('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Organization', name: 'Y' }, request: { method: 'POST', url: 'Organization' } },
        { resource: { resourceType: 'Organization', id: 'org-1', name: 'Renamed' }, request: { method: 'PUT', url: 'Organization/org-1', ifMatch: 'W/"7"' } },
      ],
    });
    expect(res.statusCode).toBe(412);
    expect(res.json().issue[0].expression).toEqual(['Bundle.entry[1].request.ifMatch']);
    expect(await fhirCounts(t)).toEqual(before);
    const ok = await send('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: { resourceType: 'Organization', id: 'org-1', identifier: [{ system: 'urn:test:org', value: 'org-1' }], name: 'Renamed' }, request: { method: 'PUT', url: 'Organization/org-1', ifMatch: 'W/"1"' } }],
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().entry[0].response).toMatchObject({ status: '200 OK', location: 'Organization/org-1/_history/2', etag: 'W/"2"' });
  });

  it('a batch stores its entries independently and reports each (partial success)', async () => {
    const before = await fhirCounts(t);
    const res = await send('POST', '/fhir', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: observation('p-batch'), request: { method: 'POST', url: 'Observation' } },
        { resource: observation('p-batch', { status: 'wrong' }), request: { method: 'POST', url: 'Observation' } },
        { resource: { resourceType: 'Patient', id: 'p-batch', name: [{ family: 'Batch' }] }, request: { method: 'PUT', url: 'Patient/p-batch' } },
        { request: { method: 'GET', url: 'Patient/p-batch' } },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.type).toBe('batch-response');
    expect(body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '422', '201 Created', '400']);
    expect(body.entry[1].response.outcome.issue[0].expression).toEqual(['Bundle.entry[1].resource.status']);
    expect(body.entry[3].response.outcome.resourceType).toBe('OperationOutcome');
    const after = await fhirCounts(t);
    expect(after.resources - before.resources).toBe(2);
    expect((await send('GET', '/fhir/Patient/p-batch')).statusCode).toBe(200);
  });

  it('refuses what is not a transaction or batch Bundle with 400', async () => {
    expect((await send('POST', '/fhir', { resourceType: 'Patient' })).statusCode).toBe(400);
    expect((await send('POST', '/fhir', { resourceType: 'Bundle', type: 'collection', entry: [] })).statusCode).toBe(400);
    expect((await send('POST', '/fhir', 'not json')).statusCode).toBe(400);
  });

  it('deletes in a transaction; the read is then 410', async () => {
    await send('PUT', '/fhir/Patient/p-del', { resourceType: 'Patient', id: 'p-del' });
    const res = await send('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: 'Patient/p-del' } }] });
    expect(res.statusCode).toBe(200);
    expect(res.json().entry[0].response.status).toBe('204 No Content');
    expect((await send('GET', '/fhir/Patient/p-del')).statusCode).toBe(410);
  });
});
