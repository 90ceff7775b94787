import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';
import { prepare, viaSocket } from './send.js';

/**
 * Defects the fuzz suite (test/fuzz/fuzz.test.ts) found, each pinned by the smallest
 * request that showed it.
 */
const STAFF = basic('fuzzstaff', 'staff password 123');

describe.each(await backends())('fuzz regressions on %s', (kind) => {
  let t: TestApp;
  let auth: string;
  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Shaw' }] });
      for (let i = 0; i < 120; i++) {
        await tx.put({
          resourceType: 'Observation', id: `o${i}`, status: 'final', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://loinc.org', code: `${i % 17}-1` }] },
          effectiveDateTime: new Date(Date.UTC(2020, 0, 1 + i)).toISOString(), valueQuantity: { value: i % 23, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
        });
      }
      await tx.put({ resourceType: 'Practitioner', id: 'doc1', name: [{ family: 'Quincy' }] });
      await tx.put({ resourceType: 'Practitioner', id: 'doc2', name: [{ family: 'Ulman' }] });
      await tx.put({ resourceType: 'PractitionerRole', id: 'role1', practitioner: { reference: 'Practitioner/doc1' } });
      await tx.put({ resourceType: 'PractitionerRole', id: 'role2', practitioner: { reference: 'Practitioner/doc2' } });
      const obs = { resourceType: 'Observation', status: 'final', subject: { reference: 'Patient/p1' }, code: { text: 'chained' } };
      await tx.put({ ...obs, id: 'o-role', performer: [{ reference: 'PractitionerRole/role1' }, { reference: 'Practitioner/doc1' }] });
      await tx.put({ ...obs, id: 'o-role2', performer: [{ reference: 'PractitionerRole/role2' }] });
    });
    await t.services.staff.create('fuzzstaff', 'staff password 123');
    const c = await credentialFor(t.services, 'p1');
    auth = basic(c.key, c.secret);
  });
  afterAll(async () => t?.close());

  it('answers other methods on the token endpoint with an RFC 6749 error, not the framework 404', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const) {
      const res = await t.app.inject({ method, url: '/oauth/token' });
      expect(res.statusCode, method).toBe(405);
      expect(res.headers['content-type'], method).toMatch(/^application\/json/);
      expect(res.headers.allow).toBe('POST');
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.json(), method).toEqual({ error: 'invalid_request', error_description: 'The token endpoint accepts POST only' });
    }
    const head = await t.app.inject({ method: 'HEAD', url: '/oauth/token' });
    expect(head.statusCode).toBe(405);
    // A body the endpoint cannot parse is refused before the method is: still RFC 6749.
    const options = await t.app.inject({ method: 'OPTIONS', url: '/oauth/token?x=%ZZ', headers: { 'content-type': '?? ??' }, payload: 'grant_type=x' });
    expect(options.statusCode).toBe(415);
    expect(options.json().error).toBe('invalid_request');
  });

  it('a POST to a public read-only path (metadata) needs credentials like any write, and is never a 5xx', async () => {
    const anon = await t.app.inject({ method: 'POST', url: '/fhir/metadata', headers: { 'content-type': 'application/json' }, payload: '{"resourceType":"\'"}' });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().resourceType).toBe('OperationOutcome');
    const patient = await t.app.inject({ method: 'POST', url: '/fhir/metadata', headers: { 'content-type': 'application/json', authorization: auth }, payload: '{"resourceType":"Patient"}' });
    expect(patient.statusCode).toBeLessThan(500);
    expect(patient.json().resourceType).toBe('OperationOutcome');
    expect((await t.app.inject({ method: 'GET', url: '/fhir/metadata' })).statusCode).toBe(200);
  });

  it('drops repeated _sort keys and refuses more than 10 distinct ones, so no sort holds the event loop', async () => {
    const get = (q: string) => t.app.inject({ method: 'GET', url: `/fhir/Observation?${q}`, headers: { authorization: auth } });
    // Before: 300 correlated subqueries per row, ~5 s of event loop on this data.
    const repeated = await get(`_sort=${Array(100).fill('date,-code,value-quantity').join(',')}&_count=1000`);
    expect(repeated.statusCode).toBe(200);
    const once = await get('_sort=date,-code,value-quantity&_count=1000');
    expect(repeated.json().entry).toEqual(once.json().entry);
    const eleven = await get('_sort=date,code,value-quantity,status,category,_id,_lastUpdated,-date,-code,-status,-category');
    expect(eleven.statusCode).toBe(400);
    expect(eleven.json().issue[0].diagnostics).toBe('Too many _sort keys (at most 10)');
    // Two _sort parameters count together.
    expect((await get('_sort=date,code,value-quantity,status,category,_id&_sort=_lastUpdated,-date,-code,-status,-category')).statusCode).toBe(400);
  });

  it('answers a malformed %-escape under /oauth/ with an RFC 6749 error', async () => {
    const res = await t.app.inject({ method: 'PATCH', url: '/oauth/x/%F0%80%80%80' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: 'Malformed request' });
  });

  // Found by the fuzz suite's PostgreSQL slice (seed 20261206): a 500 on PostgreSQL for
  // any two-level chain whose second hop may reach a shared type (Device here), as a
  // patient. The scope predicate's own `compartment c2` hid the chain's row alias `c2`.
  it('answers a (repeated) two-level chain through a shared type without a 5xx', async () => {
    for (const q of ['specimen.subject._profile=Bravoleak', 'specimen.subject._profile=Bravoleak&specimen.subject._profile=Bravoleak']) {
      const res = await t.app.inject({ method: 'GET', url: `/fhir/Observation?${q}`, headers: { authorization: auth } });
      expect(res.statusCode, q).toBe(200);
      expect(res.json().total, q).toBe(0);
    }
  });

  it('a two-level chain through shared resources finds what the patient may see, and nothing else', async () => {
    // o-role's PractitionerRole names Dr Quincy, whom p1's own record also references (so
    // p1 may see her); o-role2's names Dr Ulman, whom nothing of p1's references.
    const ids = async (q: string) => {
      const res = await t.app.inject({ method: 'GET', url: `/fhir/Observation?${q}`, headers: { authorization: auth } });
      expect(res.statusCode, q).toBe(200);
      return (res.json().entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();
    };
    expect(await ids('performer:PractitionerRole.practitioner.name=Quincy')).toEqual(['o-role']);
    expect(await ids('performer:PractitionerRole.practitioner.name=Quincy&performer:PractitionerRole.practitioner.name=Quincy')).toEqual(['o-role']);
    expect(await ids('performer:PractitionerRole.practitioner.name=Ulman')).toEqual([]);
    // Staff see both (the scope, not the chain, hides Dr Ulman from p1).
    const staff = await t.app.inject({ method: 'GET', url: '/fhir/Observation?performer:PractitionerRole.practitioner.name=Ulman', headers: { authorization: STAFF } });
    expect(staff.json().entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['o-role2']);
  });

  it('answers unknown paths under /oauth with an RFC 6749 error', async () => {
    for (const url of ['/oauth/token/', '/oauth/token%00', '/oauth/x/y', '/oauth/']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toMatch(/^application\/json/);
      expect(res.json(), url).toEqual({ error: 'invalid_request', error_description: 'Unknown OAuth endpoint' });
    }
  });

  it('answers a header block the HTTP parser refuses with an OperationOutcome under /fhir (431), plain text elsewhere', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as AddressInfo).port;
    const huge = { authorization: auth, 'x-big': 'x'.repeat(20_000) };
    const fhir = await viaSocket(port, prepare({ method: 'GET', url: '/fhir/Patient/p1', headers: huge, ip: '' }, {}));
    expect(fhir.status).toBe(431);
    expect(fhir.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    expect(JSON.parse(fhir.body)).toEqual({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-long', diagnostics: 'Request header fields too large' }] });
    const token = await viaSocket(port, prepare({ method: 'POST', url: '/oauth/token', headers: huge, ip: '' }, {}));
    expect(token.status).toBe(431);
    expect(JSON.parse(token.body)).toEqual({ error: 'invalid_request', error_description: 'Request header fields too large' });
    const page = await viaSocket(port, prepare({ method: 'GET', url: '/portal/login', headers: huge, ip: '' }, {}));
    expect(page.status).toBe(431);
    expect(page.headers['content-type']).toBe('text/plain; charset=utf-8');
    const badLine = await viaSocket(port, prepare({ method: 'GET', url: '/fhir/Patient/p1 x\u0001y', headers: {}, ip: '' }, {}));
    expect(badLine.status).toBe(400);
    expect(JSON.parse(badLine.body).resourceType).toBe('OperationOutcome');
    // The server still answers on a new connection.
    const ok = await viaSocket(port, prepare({ method: 'GET', url: '/fhir/Patient/p1', headers: { authorization: auth }, ip: '' }, {}));
    expect(ok.status).toBe(200);
  });
});
