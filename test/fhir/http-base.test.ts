import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';

const STAFF = basic('alice', 'correct horse battery');

const patient = (id: string, family: string) => ({
  resourceType: 'Patient', id, name: [{ family, given: ['Ann'] }], gender: 'female', birthDate: '1970-01-02',
});

describe.each(await backends())('FHIR HTTP base on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.services.staff.create('alice', 'correct horse battery');
    await t.services.store.transaction(async (tx) => {
      await tx.put(patient('p1', 'Shaw'));
      await tx.put(patient('p2', 'Other'));
      await tx.put({ resourceType: 'Practitioner', id: 'dr1', name: [{ family: 'Who' }] });
      await tx.put({ resourceType: 'Practitioner', id: 'dr2', name: [{ family: 'Unrelated' }] });
      await tx.put({ resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Practitioner/dr1' }] });
      await tx.put({ resourceType: 'Observation', id: 'o2', status: 'final', code: { text: 'y' }, subject: { reference: 'Patient/p2' } });
    });
  });
  afterAll(async () => t?.close());

  const get = (url: string, headers: Record<string, string> = { authorization: STAFF }) => t.app.inject({ method: 'GET', url, headers });

  it('serves the CapabilityStatement without credentials', async () => {
    const res = await get('/fhir/metadata', {});
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/fhir+json');
    const cs = res.json();
    expect(cs.resourceType).toBe('CapabilityStatement');
    expect(cs.fhirVersion).toBe('4.0.1');
    const obs = cs.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
    expect(obs.searchParam.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['patient', 'category', 'code', 'date', 'status']));
    expect(JSON.stringify(cs.rest[0].security)).toContain('http://chartkey.test/oauth/token');
  });

  it('refuses a request without credentials with 401, a challenge and an OperationOutcome', async () => {
    const res = await get('/fhir/Patient/p1', {});
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/Bearer realm=/);
    expect(res.json().resourceType).toBe('OperationOutcome');
  });

  it('refuses a wrong staff password with 401', async () => {
    const res = await get('/fhir/Patient/p1', { authorization: basic('alice', 'wrong password!') });
    expect(res.statusCode).toBe(401);
    expect(res.json().issue[0].code).toBe('login');
  });

  it('reads a resource with meta, ETag and Last-Modified, and answers If-None-Match with 304', async () => {
    const res = await get('/fhir/Patient/p1');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject(patient('p1', 'Shaw'));
    expect(body.meta.versionId).toBe('1');
    expect(new Date(body.meta.lastUpdated).toISOString()).toBe(body.meta.lastUpdated);
    expect(res.headers.etag).toBe('W/"1"');
    expect(new Date(String(res.headers['last-modified'])).getTime()).toBe(Math.floor(Date.parse(body.meta.lastUpdated) / 1000) * 1000);
    const again = await get('/fhir/Patient/p1', { authorization: STAFF, 'if-none-match': 'W/"1"' });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('keeps every version: vread and history after an update; unchanged content adds no version', async () => {
    await t.services.store.transaction(async (tx) => {
      await tx.put({ ...patient('p1', 'Shaw'), gender: 'other' });
      const same = await tx.put({ ...patient('p1', 'Shaw'), gender: 'other' });
      expect(same.changed).toBe(false);
    });
    const current = (await get('/fhir/Patient/p1')).json();
    expect(current.meta.versionId).toBe('2');
    expect(current.gender).toBe('other');
    const v1 = await get('/fhir/Patient/p1/_history/1');
    expect(v1.statusCode).toBe(200);
    expect(v1.json().gender).toBe('female');
    const history = (await get('/fhir/Patient/p1/_history')).json();
    expect(history.type).toBe('history');
    expect(history.entry.map((e: { resource: { meta: { versionId: string } } }) => e.resource.meta.versionId)).toEqual(['2', '1']);
    expect((await get('/fhir/Patient/p1/_history/9')).statusCode).toBe(404);
  });

  it('answers unknown types, unknown ids and deleted resources with 404/404/410 OperationOutcomes', async () => {
    const unknownType = await get('/fhir/Spaceship/1');
    expect(unknownType.statusCode).toBe(404);
    expect(unknownType.json().issue[0].diagnostics).toContain('Unknown resource type "Spaceship"');
    expect((await get('/fhir/Patient/nope')).statusCode).toBe(404);
    await t.services.store.transaction((tx) => tx.delete('Patient', 'p2'));
    const gone = await get('/fhir/Patient/p2');
    expect(gone.statusCode).toBe(410);
    expect(gone.json().resourceType).toBe('OperationOutcome');
  });

  it('never answers hostile ids and paths with a 5xx', async () => {
    for (const path of ["/fhir/Patient/1'%20OR%201=1--", '/fhir/Patient/%00', `/fhir/Patient/${'a'.repeat(150)}`, '/fhir/Patient/..%2F..%2Fetc', '/fhir/Patient/p1/_history/-1', '/fhir/Patient/p1/_history/1e9']) {
      const res = await get(path);
      expect(res.statusCode, path).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, path).toBeLessThan(500);
      expect(res.json().resourceType, path).toBe('OperationOutcome');
    }
  });

  it('refuses formats other than JSON with 406', async () => {
    expect((await get('/fhir/Patient/p1', { authorization: STAFF, accept: 'application/fhir+xml' })).statusCode).toBe(406);
    expect((await get('/fhir/Patient/p1?_format=xml')).statusCode).toBe(406);
    expect((await get('/fhir/Patient/p1?_format=json')).statusCode).toBe(200);
  });

  it('returns the compartment and the shared resources it references from $everything', async () => {
    const res = await get('/fhir/Patient/p1/$everything');
    expect(res.statusCode).toBe(200);
    const ids = res.json().entry.map((e: { resource: { resourceType: string; id: string } }) => `${e.resource.resourceType}/${e.resource.id}`);
    expect(ids.sort()).toEqual(['Observation/o1', 'Patient/p1', 'Practitioner/dr1']);
  });

  it('serves liveness, readiness and metrics', async () => {
    expect((await get('/healthz', {})).statusCode).toBe(200);
    expect((await get('/readyz', {})).json().status).toBe('ready');
    const metrics = await get('/metrics', {});
    expect(metrics.body).toMatch(/chartkey_http_requests_total\{surface="fhir",method="GET",status="2xx"\} [1-9]/);
  });
});
