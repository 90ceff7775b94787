import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../../helpers/app.js';
import { backends } from '../../helpers/db.js';
import { credentialFor } from '../../helpers/patients.js';
import { FHIR, fhirCounts, observation, staffClient } from './helpers.js';

/**
 * Nothing is stored before it is checked: R4 JSON shape and types (the FHIR JSON schema),
 * the type and id against the URL, references well formed. Each refusal says where, as a
 * FHIRPath expression (https://hl7.org/fhir/R4/operationoutcome-definitions.html#OperationOutcome.issue.expression).
 * Expected elements come from the R4 definition of Observation (status 1..1 with a
 * required value set, code 1..1, effective[x] a dateTime).
 */
describe.each(await backends())('write validation on %s', (kind) => {
  let t: TestApp;
  let send: Awaited<ReturnType<typeof staffClient>>['send'];
  beforeAll(async () => {
    t = await createTestApp(kind);
    ({ send } = await staffClient(t));
  });
  afterAll(async () => t?.close());

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['a status outside the required value set', observation('p1', { status: 'bogus' }), 'Observation.status'],
    ['a missing required element', (({ code: _c, ...rest }) => rest)(observation('p1')), 'Observation.code'],
    ['an element R4 does not define', observation('p1', { colour: 'blue' }), 'Observation.colour'],
    ['a dateTime that is not one', observation('p1', { effectiveDateTime: '2024-13-45' }), 'Observation.effectiveDateTime'],
    ['a string where an object belongs', observation('p1', { code: 'heart rate' }), 'Observation.code'],
    ['a wrong type deep inside', observation('p1', { valueQuantity: { value: 'seventy' } }), 'Observation.valueQuantity.value'],
    ['a coding system that is not a uri', observation('p1', { category: [{ coding: [{ system: 'not a uri', code: 'x' }] }] }), 'Observation.category[0].coding[0].system'],
    ['a malformed reference', observation('p1', { subject: { reference: 'Patient/has spaces' } }), 'Observation.subject.reference'],
    ['a reference to an unknown type', observation('p1', { subject: { reference: 'Spaceship/1' } }), 'Observation.subject.reference'],
    ['a urn:uuid reference outside a transaction', observation('p1', { subject: { reference: 'urn:uuid:0b5c4b4e-9a4e-4d1c-8d8f-3b0f6a3f0e11' } }), 'Observation.subject.reference'],
    ['an invalid contained resource', observation('p1', { contained: [{ resourceType: 'Medication', id: 'm', code: 'aspirin' }] }), 'Observation.contained[0].code'],
  ];

  for (const [what, body, expression] of cases) {
    it(`refuses ${what} with 422 and expression ${expression}, storing nothing`, async () => {
      const before = await fhirCounts(t);
      for (const res of [await send('POST', '/fhir/Observation', body), await send('PUT', '/fhir/Observation/v1', { ...body, id: 'v1' })]) {
        expect(res.statusCode).toBe(422);
        const oo = res.json();
        expect(oo.resourceType).toBe('OperationOutcome');
        expect(oo.issue.flatMap((i: { expression?: string[] }) => i.expression ?? [])).toContain(expression);
        expect(oo.issue.every((i: { severity: string }) => i.severity === 'error')).toBe(true);
      }
      expect(await fhirCounts(t)).toEqual(before);
    });
  }

  it('accepts the same resource once it is valid', async () => {
    expect((await send('POST', '/fhir/Observation', observation('p1'))).statusCode).toBe(201);
  });

  it('refuses a body that is not JSON (400), not an object (400), or of another type than the URL (400)', async () => {
    const before = await fhirCounts(t);
    const notJson = await send('POST', '/fhir/Observation', '{"resourceType": "Observation",');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().resourceType).toBe('OperationOutcome');
    expect((await send('POST', '/fhir/Observation', '[1,2]')).statusCode).toBe(400);
    const wrongType = await send('POST', '/fhir/Observation', { resourceType: 'Patient' });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().issue[0].expression).toEqual(['Observation.resourceType']);
    const proto = await send('POST', '/fhir/Observation', '{"resourceType":"Observation","__proto__":{"x":1}}');
    expect(proto.statusCode).toBe(400);
    expect(await fhirCounts(t)).toEqual(before);
  });

  it('refuses an invalid id in the URL of an update', async () => {
    const res = await send('PUT', '/fhir/Observation/bad_id!', { ...observation('p1'), id: 'bad_id!' });
    expect(res.statusCode).toBe(400);
    expect(res.json().resourceType).toBe('OperationOutcome');
  });

  it('refuses bodies over the limit with 413', async () => {
    const big = JSON.stringify(observation('p1', { note: [{ text: 'x'.repeat(16 * 1024 * 1024) }] }));
    const res = await t.app.inject({ method: 'POST', url: '/fhir/Observation', headers: { ...FHIR, authorization: basic('frontdesk', 'correct horse battery') }, payload: big });
    expect(res.statusCode).toBe(413);
    expect(res.json().issue[0].code).toBe('too-long');
  });

  it('refuses JSON nested deeper than any resource needs, without a 5xx', async () => {
    // Built as text: JSON.stringify itself would overflow the stack at this depth.
    let ext = '{"url":"http://x","valueString":"leaf"}';
    for (let i = 0; i < 5000; i++) ext = `{"url":"http://x","extension":[${ext}]}`;
    const body = JSON.stringify(observation('p1')).replace(/}$/, `,"extension":[${ext}]}`);
    const res = await send('POST', '/fhir/Observation', body);
    expect(res.statusCode).toBe(422);
    expect(res.json().issue[0].expression).toEqual(['Observation']);
  });
});

describe.each(await backends())('patients never write, on %s', (kind) => {
  let t: TestApp;
  let send: Awaited<ReturnType<typeof staffClient>>['send'];
  beforeAll(async () => {
    t = await createTestApp(kind);
    ({ send } = await staffClient(t));
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'pw', name: [{ family: 'Writer' }] });
      await tx.put({ ...observation('pw'), id: 'obs-pw' });
    });
  });
  afterAll(async () => t?.close());

  it('answers 403 with an OperationOutcome to a patient credential (Basic) and a patient token, and stores nothing', async () => {
    const c = await credentialFor(t.services, 'pw');
    const tokenRes = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: basic(c.key, c.secret), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    });
    const token = tokenRes.json().access_token as string;
    const before = await fhirCounts(t);
    for (const authorization of [basic(c.key, c.secret), `Bearer ${token}`]) {
      const calls = [
        { method: 'POST' as const, url: '/fhir/Observation', payload: JSON.stringify(observation('pw')) },
        { method: 'PUT' as const, url: '/fhir/Observation/obs-pw', payload: JSON.stringify({ ...observation('pw'), id: 'obs-pw', status: 'amended' }) },
        { method: 'PUT' as const, url: '/fhir/Observation?_id=obs-pw', payload: JSON.stringify({ ...observation('pw'), status: 'amended' }) },
        { method: 'DELETE' as const, url: '/fhir/Observation/obs-pw' },
        { method: 'POST' as const, url: '/fhir', payload: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Observation' }, resource: observation('pw') }] }) },
        { method: 'POST' as const, url: '/fhir', payload: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'DELETE', url: 'Observation/obs-pw' } }] }) },
      ];
      for (const call of calls) {
        const res = await t.app.inject({ ...call, headers: { authorization, ...FHIR } });
        expect(res.statusCode, `${call.method} ${call.url}`).toBe(403);
        expect(res.json().resourceType).toBe('OperationOutcome');
        expect(res.json().issue[0].code).toBe('forbidden');
      }
    }
    expect(await fhirCounts(t)).toEqual(before);
    expect((await send('GET', '/fhir/Observation/obs-pw')).json().status).toBe('final');
  });
});
