import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disablePortal } from '../../src/accounts/enablement.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends, dumpTables } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe.each(await backends())('patient credentials open the FHIR API on %s', (kind) => {
  let t: TestApp;
  let clock = Date.now();
  beforeAll(async () => {
    t = await createTestApp(kind, { now: () => clock });
    await t.services.store.transaction(async (tx) => {
      for (const id of ['pa', 'pb']) {
        await tx.put({ resourceType: 'Patient', id, name: [{ family: id === 'pa' ? 'Alpha' : 'Beta' }] });
        await tx.put({ resourceType: 'Observation', id: `obs-${id}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: `Patient/${id}` } });
      }
    });
  });
  afterAll(async () => t?.close());

  const get = (url: string, authorization?: string) => t.app.inject({ method: 'GET', url, headers: authorization ? { authorization } : {} });
  const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/oauth/token', headers: { ...FORM, ...headers }, payload: form(body) });

  it('reads the own record with the key and secret as HTTP Basic, and nothing of another patient', async () => {
    const c = await credentialFor(t.services, 'pa');
    const own = await get('/fhir/Patient/pa', basic(c.key, c.secret));
    expect(own.statusCode).toBe(200);
    expect(own.json().id).toBe('pa');
    const other = await get('/fhir/Patient/pb', basic(c.key, c.secret));
    expect(other.statusCode).toBe(404);
    const search = await get('/fhir/Observation?code=8867-4', basic(c.key, c.secret));
    expect(search.json().entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual(['obs-pa']);
  });

  it('issues a bearer token by client_secret_basic and by client_secret_post (RFC 6749 §2.3.1, §4.4)', async () => {
    const c = await credentialFor(t.services, 'pa');
    for (const res of [
      await token({ grant_type: 'client_credentials' }, { authorization: basic(c.key, c.secret) }),
      await token({ grant_type: 'client_credentials', client_id: c.key, client_secret: c.secret }),
    ]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
      const body = res.json();
      expect(body.token_type).toBe('Bearer');
      expect(body.expires_in).toBeGreaterThan(0);
      expect(body.expires_in).toBeLessThanOrEqual(3600);
      expect(body.patient).toBe('pa');
      expect(body.scope).toContain('patient/');
      const read = await get('/fhir/Patient/pa', `Bearer ${body.access_token}`);
      expect(read.statusCode).toBe(200);
      expect((await get('/fhir/Patient/pb', `Bearer ${body.access_token}`)).statusCode).toBe(404);
    }
  });

  it('answers token endpoint errors with RFC 6749 §5.2 bodies and statuses', async () => {
    const c = await credentialFor(t.services, 'pa');
    const cases: Array<[Record<string, string>, Record<string, string>, number, string]> = [
      [{}, { authorization: basic(c.key, c.secret) }, 400, 'invalid_request'],
      [{ grant_type: 'password' }, { authorization: basic(c.key, c.secret) }, 400, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials' }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: c.key, client_secret: 'x'.repeat(32) }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_secret: c.secret }, { authorization: basic(c.key, c.secret) }, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials', scope: 'system/*.read' }, { authorization: basic(c.key, c.secret) }, 400, 'invalid_scope'],
    ];
    for (const [body, headers, status, error] of cases) {
      const res = await token(body, headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().error).toBe(error);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    const json = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/json' }, payload: '{"grant_type":"client_credentials"}' });
    expect(json.statusCode).toBe(400);
    expect(json.json().error).toBe('invalid_request');
  });

  it('refuses the very next call after the credential is deleted, with its key and secret and with its tokens', async () => {
    const c = await credentialFor(t.services, 'pa', 'to delete');
    const tok = (await token({ grant_type: 'client_credentials' }, { authorization: basic(c.key, c.secret) })).json().access_token;
    expect((await get('/fhir/Patient/pa', `Bearer ${tok}`)).statusCode).toBe(200);
    await t.services.credentials.revoke(c.credential.id, 'test', 'pa');
    const viaBasic = await get('/fhir/Patient/pa', basic(c.key, c.secret));
    expect(viaBasic.statusCode).toBe(401);
    expect(viaBasic.headers['www-authenticate']).toContain('Bearer');
    expect(viaBasic.json().resourceType).toBe('OperationOutcome');
    expect((await get('/fhir/Patient/pa', `Bearer ${tok}`)).statusCode).toBe(401);
    expect((await token({ grant_type: 'client_credentials' }, { authorization: basic(c.key, c.secret) })).statusCode).toBe(401);
  });

  it('suspends every credential and token when portal access is disabled, and resumes on re-enable', async () => {
    const c = await credentialFor(t.services, 'pb');
    const tok = (await token({ grant_type: 'client_credentials' }, { authorization: basic(c.key, c.secret) })).json().access_token;
    await disablePortal(t.services, { patientId: 'pb', by: { kind: 'system', id: 'test' } });
    expect((await get('/fhir/Patient/pb', basic(c.key, c.secret))).statusCode).toBe(401);
    expect((await get('/fhir/Patient/pb', `Bearer ${tok}`)).statusCode).toBe(401);
    await credentialFor(t.services, 'pb', 'after re-enable');
    expect((await get('/fhir/Patient/pb', basic(c.key, c.secret))).statusCode).toBe(200);
  });

  it('refuses an expired token with 401 once its hour is over', async () => {
    const c = await credentialFor(t.services, 'pa');
    const tok = (await token({ grant_type: 'client_credentials' }, { authorization: basic(c.key, c.secret) })).json().access_token;
    clock += 3600 * 1000 + 1;
    try {
      const res = await get('/fhir/Patient/pa', `Bearer ${tok}`);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toContain('invalid_token');
    } finally {
      clock = Date.now();
    }
  });

  it('limits a token to the resource types of its granted scopes (403 otherwise)', async () => {
    const c = await credentialFor(t.services, 'pa');
    const res = await token({ grant_type: 'client_credentials', scope: 'patient/Observation.rs' }, { authorization: basic(c.key, c.secret) });
    expect(res.json().scope).toBe('patient/Observation.rs');
    const tok = res.json().access_token;
    expect((await get('/fhir/Observation?patient=pa', `Bearer ${tok}`)).statusCode).toBe(200);
    const denied = await get('/fhir/Patient/pa', `Bearer ${tok}`);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().issue[0].code).toBe('forbidden');
  });

  it('logs each call with the credential: last used, interaction, type, count and address', async () => {
    const c = await credentialFor(t.services, 'pa', 'logged');
    await get('/fhir/Patient/pa', basic(c.key, c.secret));
    await get('/fhir/Observation?patient=pa', basic(c.key, c.secret));
    await t.services.accessLog.flush();
    const log = await t.services.accessLog.recent(c.credential.id);
    expect(log.map((a) => [a.interaction, a.resourceType, a.count])).toEqual([
      ['search-type', 'Observation', 1],
      ['read', 'Patient', 1],
    ]);
    expect(log[0].ip).toBe('127.0.0.1');
    const after = await t.services.credentials.get(c.credential.id);
    expect(after?.lastUsedAt).toBeGreaterThan(0);
  });

  it('never writes a secret or an access token to the log or the database', async () => {
    const c = await credentialFor(t.services, 'pa', 'secret check');
    const tok = (await token({ grant_type: 'client_credentials' }, { authorization: basic(c.key, c.secret) })).json().access_token;
    await get('/fhir/Patient/pa', `Bearer ${tok}`);
    await get('/fhir/Patient/pa', basic(c.key, 'wrong'.repeat(6) + 'xx'));
    await t.services.accessLog.flush();
    expect(t.logText()).not.toContain(c.secret);
    expect(t.logText()).not.toContain(tok);
    const tables = await dumpTables(t.services.db);
    expect(tables.map(([name]) => name)).toEqual(expect.arrayContaining(['api_credentials', 'api_access_log', 'audit_events', 'sessions']));
    for (const [table, dump] of tables) {
      expect(dump, table).not.toContain(c.secret);
      expect(dump, table).not.toContain(tok);
    }
  });

  it('throttles failed authentication per key: 429 with Retry-After, even for the right secret', async () => {
    const c = await credentialFor(t.services, 'pa', 'throttled');
    let last = 0;
    for (let i = 0; i < 12; i++) last = (await get('/fhir/Patient/pa', basic(c.key, `wrong${i}`.padEnd(32, 'x')))).statusCode;
    expect(last).toBe(429);
    const res = await get('/fhir/Patient/pa', basic(c.key, c.secret));
    expect(res.statusCode).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.json().issue[0].code).toBe('throttled');
  });
});
