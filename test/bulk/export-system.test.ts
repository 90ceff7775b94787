import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { download, keyOf, kickOff, pathOf, waitForManifest } from './bulk-client.js';

/**
 * Bulk export by SMART Backend Services clients (checklist §3.7: the way Inferno exports):
 * a token from client_credentials with a signed assertion; the job belongs to that client.
 */
const TOKEN_URL = 'http://chartkey.test/oauth/token';

describe.each(await backends())('Bulk export by system clients on %s', (kind) => {
  let t: TestApp;
  const staff = basic('alice', 'correct horse battery');

  async function systemToken(scope: string, registered = scope): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair('ES384');
    const jwk = { ...(await exportJWK(publicKey)), kid: randomUUID(), alg: 'ES384', use: 'sig' };
    const { client } = await t.services.oauth.clients.register({ name: 'Practice EHR', type: 'system', jwks: JSON.stringify({ keys: [jwk] }), scope: registered, createdBy: 'test' });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: jwk.kid, typ: 'JWT' })
      .setIssuer(client.clientId)
      .setSubject(client.clientId)
      .setAudience(TOKEN_URL)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('2m')
      .sign(privateKey);
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        scope,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }).toString(),
    });
    expect(res.statusCode, res.body).toBe(200);
    return `Bearer ${res.json().access_token}`;
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { bulk: { pollMs: 20 } });
    await t.services.staff.create('alice', 'correct horse battery');
    await t.services.store.transaction(async (tx) => {
      for (const p of ['p1', 'p2', 'p3']) {
        await tx.put({ resourceType: 'Patient', id: p });
        await tx.put({ resourceType: 'Observation', id: `o-${p}`, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${p}` } });
        await tx.put({ resourceType: 'Condition', id: `c-${p}`, code: { text: 'y' }, subject: { reference: `Patient/${p}` } });
      }
      await tx.put({ resourceType: 'Group', id: 'g', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/p1' } }, { entity: { reference: 'Patient/p2' } }] });
    });
  });
  afterAll(async () => t?.close());

  it('exports a Group with a system/*.read token; the job is the client’s alone', async () => {
    const a = await systemToken('system/*.read', 'system/*.rs');
    const b = await systemToken('system/*.rs');
    const status = await kickOff(t.app, '/fhir/Group/g/$export', a);
    const manifest = await waitForManifest(t.app, status, a);
    expect((await download(t.app, manifest, a)).map(keyOf).sort()).toEqual(['Condition/c-p1', 'Condition/c-p2', 'Observation/o-p1', 'Observation/o-p2', 'Patient/p1', 'Patient/p2']);
    for (const other of [b, staff]) {
      expect((await t.app.inject({ method: 'GET', url: pathOf(status), headers: { authorization: other } })).statusCode).toBe(404);
      for (const f of manifest.output) expect((await t.app.inject({ method: 'GET', url: pathOf(f.url), headers: { authorization: other } })).statusCode).toBe(404);
    }
    expect((await t.app.inject({ method: 'GET', url: pathOf(manifest.output[0].url), headers: { authorization: 'Bearer ck1_forged.token' } })).statusCode).toBe(401);
  });

  it('exports only the types a narrower token allows, and refuses to export others with 403', async () => {
    const narrow = await systemToken('system/Observation.rs system/Group.rs');
    const { output } = await waitForManifest(t.app, await kickOff(t.app, '/fhir/$export', narrow), narrow);
    expect(output.map((f) => f.type).sort()).toEqual(['Group', 'Observation']);
    const group = await waitForManifest(t.app, await kickOff(t.app, '/fhir/Group/g/$export', narrow), narrow);
    expect((await download(t.app, group, narrow)).map(keyOf).sort()).toEqual(['Observation/o-p1', 'Observation/o-p2']);
    const refused = await t.app.inject({ method: 'GET', url: '/fhir/$export?_type=Patient', headers: { authorization: narrow, prefer: 'respond-async' } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().resourceType).toBe('OperationOutcome');
    const writeOnly = await systemToken('system/*.cud');
    expect((await t.app.inject({ method: 'GET', url: '/fhir/$export', headers: { authorization: writeOnly, prefer: 'respond-async' } })).statusCode).toBe(403);
  });
});
