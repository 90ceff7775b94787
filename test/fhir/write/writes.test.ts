import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { backends } from '../../helpers/db.js';
import { FHIR, fhirCounts, observation, staffClient, STAFF_USER } from './helpers.js';

/** Create, update, conditional create/update and delete over HTTP as staff (https://hl7.org/fhir/R4/http.html). */
describe.each(await backends())('FHIR writes on %s', (kind) => {
  let t: TestApp;
  let send: Awaited<ReturnType<typeof staffClient>>['send'];
  beforeAll(async () => {
    t = await createTestApp(kind);
    ({ send } = await staffClient(t));
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Alpha' }] });
    });
  });
  afterAll(async () => t?.close());

  it('creates with a server-assigned id: 201, Location, ETag, Last-Modified, versionId "1"', async () => {
    const before = Date.now();
    const res = await send('POST', '/fhir/Observation', { ...observation('p1'), id: 'client-chosen' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.id).not.toBe('client-chosen'); // http.html#create: the server SHALL ignore a given id
    expect(body.id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    expect(body.meta.versionId).toBe('1');
    expect(Date.parse(body.meta.lastUpdated)).toBeGreaterThanOrEqual(before - 1000);
    expect(res.headers.location).toBe(`http://chartkey.test/fhir/Observation/${body.id}/_history/1`);
    expect(res.headers.etag).toBe('W/"1"');
    expect(Date.parse(String(res.headers['last-modified']))).toBeGreaterThan(0);
    const read = await send('GET', `/fhir/Observation/${body.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json().valueQuantity).toEqual(observation('p1').valueQuantity);
    expect(read.json().subject).toEqual({ reference: 'Patient/p1' });
  });

  it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
    const minimal = await send('POST', '/fhir/Observation', observation('p1'), { prefer: 'return=minimal' });
    expect(minimal.statusCode).toBe(201);
    expect(minimal.body).toBe('');
    expect(minimal.headers.location).toMatch(/\/fhir\/Observation\/[^/]+\/_history\/1$/);
    const oo = await send('POST', '/fhir/Observation', observation('p1'), { prefer: 'return=OperationOutcome' });
    expect(oo.statusCode).toBe(201);
    expect(oo.json().resourceType).toBe('OperationOutcome');
    expect(oo.json().issue[0].severity).toBe('information');
  });

  it('conditional create: none → 201, one → 200 with the match, several → 412', async () => {
    const patient = (value: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:test:mrn', value }], name: [{ family: 'Cond' }] });
    const first = await send('POST', '/fhir/Patient', patient('mrn-1'), { 'if-none-exist': 'identifier=urn:test:mrn|mrn-1' });
    expect(first.statusCode).toBe(201);
    const again = await send('POST', '/fhir/Patient', patient('mrn-1'), { 'if-none-exist': 'identifier=urn:test:mrn|mrn-1' });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(again.json().meta.versionId).toBe('1');
    await send('POST', '/fhir/Patient', patient('mrn-2'));
    await send('POST', '/fhir/Patient', patient('mrn-2'));
    const before = await fhirCounts(t);
    const ambiguous = await send('POST', '/fhir/Patient', patient('mrn-2'), { 'if-none-exist': 'identifier=urn:test:mrn|mrn-2' });
    expect(ambiguous.statusCode).toBe(412);
    expect(ambiguous.json().resourceType).toBe('OperationOutcome');
    expect(await fhirCounts(t)).toEqual(before);
  });

  it('updates with If-Match; a stale version is 412; vread keeps the old version', async () => {
    const created = (await send('POST', '/fhir/Observation', observation('p1'))).json();
    const changed = { ...created, status: 'amended', valueQuantity: { ...created.valueQuantity, value: 75 } };
    const v2 = await send('PUT', `/fhir/Observation/${created.id}`, changed, { 'if-match': 'W/"1"' });
    expect(v2.statusCode).toBe(200);
    expect(v2.json().meta.versionId).toBe('2');
    expect(v2.headers.etag).toBe('W/"2"');
    expect(v2.json().status).toBe('amended');
    const stale = await send('PUT', `/fhir/Observation/${created.id}`, { ...changed, status: 'corrected' }, { 'if-match': 'W/"1"' });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().resourceType).toBe('OperationOutcome');
    expect((await send('GET', `/fhir/Observation/${created.id}`)).json().status).toBe('amended');
    const v1 = await send('GET', `/fhir/Observation/${created.id}/_history/1`);
    expect(v1.statusCode).toBe(200);
    expect(v1.json().status).toBe('final');
    expect(v1.json().valueQuantity.value).toBe(72);
    const history = (await send('GET', `/fhir/Observation/${created.id}/_history`)).json();
    expect(history.entry.map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId)).toEqual(['2', '1']);
  });

  it('creates on update under the client id (201), and refuses a body id that differs from the URL (400)', async () => {
    const res = await send('PUT', '/fhir/Observation/obs-client-1', { ...observation('p1'), id: 'obs-client-1' });
    expect(res.statusCode).toBe(201);
    expect(res.json().meta.versionId).toBe('1');
    expect(res.headers.location).toBe('http://chartkey.test/fhir/Observation/obs-client-1/_history/1');
    const mismatch = await send('PUT', '/fhir/Observation/obs-client-2', { ...observation('p1'), id: 'other' });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().issue[0].expression).toEqual(['Observation.id']);
    const noId = await send('PUT', '/fhir/Observation/obs-client-2', observation('p1'));
    expect(noId.statusCode).toBe(400);
    expect((await send('GET', '/fhir/Observation/obs-client-2')).statusCode).toBe(404);
  });

  it('conditional update: one match is updated, none creates, several → 412', async () => {
    const p = (value: string, family: string) => ({ resourceType: 'Patient', identifier: [{ system: 'urn:test:cu', value }], name: [{ family }] });
    const created = (await send('POST', '/fhir/Patient', p('cu-1', 'Before'))).json();
    const updated = await send('PUT', '/fhir/Patient?identifier=urn:test:cu|cu-1&_format=json', p('cu-1', 'After'));
    expect(updated.statusCode).toBe(200);
    expect(updated.json().id).toBe(created.id);
    expect(updated.json().meta.versionId).toBe('2');
    expect(updated.json().name[0].family).toBe('After');
    const fresh = await send('PUT', '/fhir/Patient?identifier=urn:test:cu|cu-new', p('cu-new', 'New'));
    expect(fresh.statusCode).toBe(201);
    expect(fresh.json().meta.versionId).toBe('1');
    await send('POST', '/fhir/Patient', p('cu-dup', 'One'));
    await send('POST', '/fhir/Patient', p('cu-dup', 'Two'));
    const ambiguous = await send('PUT', '/fhir/Patient?identifier=urn:test:cu|cu-dup', p('cu-dup', 'Three'));
    expect(ambiguous.statusCode).toBe(412);
    const none = await send('PUT', '/fhir/Patient', p('x', 'y'));
    expect(none.statusCode).toBe(400);
  });

  it('deletes: 204, then read → 410 Gone with an OperationOutcome; vread of the old version still works', async () => {
    const created = (await send('POST', '/fhir/Observation', observation('p1'))).json();
    const del = await send('DELETE', `/fhir/Observation/${created.id}`);
    expect(del.statusCode).toBe(204);
    const gone = await send('GET', `/fhir/Observation/${created.id}`);
    expect(gone.statusCode).toBe(410);
    expect(gone.json().resourceType).toBe('OperationOutcome');
    expect(gone.json().issue[0].code).toBe('deleted');
    const old = await send('GET', `/fhir/Observation/${created.id}/_history/1`);
    expect(old.statusCode).toBe(200);
    expect(old.json().id).toBe(created.id);
    expect((await send('DELETE', `/fhir/Observation/${created.id}`)).statusCode).toBe(204);
    expect((await send('DELETE', '/fhir/Observation/never-existed')).statusCode).toBe(404);
    const search = (await send('GET', `/fhir/Observation?_id=${created.id}`)).json();
    expect(search.entry ?? []).toEqual([]);
    // Updating a deleted resource brings it back as a new version.
    const back = await send('PUT', `/fhir/Observation/${created.id}`, { ...observation('p1'), id: created.id });
    expect(back.statusCode).toBe(201);
    expect(back.json().meta.versionId).toBe('3');
  });

  it('records every write in the audit trail with the staff username, type, id and version — never the body', async () => {
    const secretish = 'AUDIT-CANARY-VALUE';
    const created = (await send('POST', '/fhir/Observation', observation('p1', { note: [{ text: secretish }] }))).json();
    await send('PUT', `/fhir/Observation/${created.id}`, { ...created, status: 'amended' });
    await send('DELETE', `/fhir/Observation/${created.id}`);
    const events = (await t.services.audit.list({ limit: 200 })).events.filter((e) => e.detail.id === created.id);
    expect(events.map((e) => [e.action, e.actorKind, e.actorId, e.detail.type, e.detail.version]).reverse()).toEqual([
      ['fhir.create', 'staff', STAFF_USER, 'Observation', 1],
      ['fhir.update', 'staff', STAFF_USER, 'Observation', 2],
      ['fhir.delete', 'staff', STAFF_USER, 'Observation', 3],
    ]);
    expect(events.every((e) => e.patientId === 'p1')).toBe(true);
    const all = JSON.stringify(await t.services.db.all('SELECT * FROM audit_events'));
    expect(all).not.toContain(secretish);
  });

  it('counts writes in /metrics FHIR interactions', async () => {
    await send('POST', '/fhir/Observation', observation('p1'));
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/chartkey_fhir_interactions_total\{interaction="create",type="Observation",principal="staff"\} [1-9]/);
    expect(metrics).toMatch(/chartkey_fhir_interactions_total\{interaction="update",type="Observation",principal="staff"\} [1-9]/);
    expect(metrics).toMatch(/chartkey_fhir_interactions_total\{interaction="delete",type="Observation",principal="staff"\} [1-9]/);
  });

  it('takes application/json too, and refuses other content types with 415', async () => {
    expect((await send('POST', '/fhir/Observation', observation('p1'), { 'content-type': 'application/json; charset=utf-8' })).statusCode).toBe(201);
    const xml = await send('POST', '/fhir/Observation', '<Observation/>', { 'content-type': 'application/fhir+xml' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().resourceType).toBe('OperationOutcome');
  });

  it('writes of an unknown type are 404, as reads', async () => {
    const res = await send('POST', '/fhir/Spaceship', { resourceType: 'Spaceship' });
    expect(res.statusCode).toBe(404);
    expect(FHIR['content-type']).toBe('application/fhir+json');
  });
});
