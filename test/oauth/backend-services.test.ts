import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { addPatient } from '../portal/harness.js';
import { JWKS_REFETCH_COOLDOWN_MS } from '../../src/oauth/client-assertion.js';
import { form } from './smart-helpers.js';

/**
 * SMART Backend Services (client_credentials + private_key_jwt): assertions signed here
 * with test keys made by `jose` (RS384 and ES384), every negative case of the issue
 * (wrong grant type, wrong assertion type, unknown key, expired, exp too far ahead, wrong
 * aud, replayed jti), keys from an inline JWKS and from a JWKS URL (fetched, cached, and
 * fetched again for an unknown kid), and what a system token may reach.
 */
type Key = { privateKey: CryptoKey; jwk: JWK; alg: 'RS384' | 'ES384' };
async function key(alg: 'RS384' | 'ES384'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: randomUUID(), alg }, alg };
}

describe.each(await backends())('Backend Services on %s', (kind) => {
  let t: TestApp;
  const tokenUrl = 'http://chartkey.test/oauth/token';
  let rs: Key;
  let es: Key;
  let inline: string;
  let jwksServer: Server;
  let published: JWK[] = [];
  let fetches = 0;

  beforeAll(async () => {
    t = await createTestApp(kind);
    await addPatient(t.services, 'sys-a', 'Alpha');
    await addPatient(t.services, 'sys-b', 'Beta');
    rs = await key('RS384');
    es = await key('ES384');
    inline = (await t.services.oauth.clients.register({ name: 'EHR sync', type: 'system', jwks: JSON.stringify({ keys: [rs.jwk, es.jwk] }), scope: 'system/*.rs system/Observation.cruds', createdBy: 'test' })).client.clientId;
    jwksServer = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', () => r()));
  }, 60_000);
  afterAll(async () => {
    jwksServer?.close();
    await t?.close();
  });

  const assertion = (k: Key, clientId: string, claims: { aud?: string; exp?: number; jti?: string; iss?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: claims.jti ?? randomUUID() })
      .setProtectedHeader({ alg: k.alg, kid: k.jwk.kid, typ: 'JWT' })
      .setIssuer(claims.iss ?? clientId)
      .setSubject(clientId)
      .setAudience(claims.aud ?? tokenUrl)
      .setExpirationTime(claims.exp ?? now + 240)
      .sign(k.privateKey);
  };
  const request = (body: Record<string, string>) => t.app.inject({ method: 'POST', url: '/oauth/token', ...form(body) });
  const grant = async (jwt: string, scope?: string, extra: Record<string, string> = {}) =>
    request({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: jwt,
      ...(scope ? { scope } : {}),
      ...extra,
    });

  it('RS384 and ES384 assertions get a token with the registered scopes; it reads every patient and nothing is written with read scopes', async () => {
    for (const k of [rs, es]) {
      const res = await grant(await assertion(k, inline));
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json();
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'system/*.rs system/Observation.cruds' });
      expect(body.patient).toBeUndefined();
      for (const id of ['sys-a', 'sys-b']) {
        const read = await t.app.inject({ method: 'GET', url: `/fhir/Patient/${id}`, headers: { authorization: `Bearer ${body.access_token}` } });
        expect(read.statusCode).toBe(200);
      }
      const search = await t.app.inject({ method: 'GET', url: '/fhir/Patient', headers: { authorization: `Bearer ${body.access_token}` } });
      expect(search.json().entry.map((e: { resource: { id: string } }) => e.resource.id).sort()).toEqual(['sys-a', 'sys-b']);
    }
  });

  it('scopes: a narrower request (v1 or v2) is granted as asked; one beyond the registration is invalid_scope', async () => {
    const narrow = await grant(await assertion(rs, inline), 'system/Patient.read');
    expect(narrow.json().scope).toBe('system/Patient.read');
    const tokenNarrow = narrow.json().access_token;
    expect((await t.app.inject({ method: 'GET', url: '/fhir/Patient/sys-a', headers: { authorization: `Bearer ${tokenNarrow}` } })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/fhir/Condition?patient=sys-a', headers: { authorization: `Bearer ${tokenNarrow}` } })).statusCode).toBe(403);
    expect((await grant(await assertion(rs, inline), 'system/Observation.c')).statusCode).toBe(200);
    const wide = await grant(await assertion(rs, inline), 'system/Patient.cruds');
    expect(wide.statusCode).toBe(400);
    expect(wide.json().error).toBe('invalid_scope');
    expect((await grant(await assertion(rs, inline), 'patient/*.rs')).json().error).toBe('invalid_scope');
  });

  it("Patient/$everything gives a system token the patient's record within its granted types, psychotherapy notes included", async () => {
    const psy = { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSYTHPN' };
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'ev-p', name: [{ family: 'Everything' }] });
      await tx.put({ resourceType: 'Observation', id: 'ev-obs', status: 'final', code: { text: 'pulse' }, subject: { reference: 'Patient/ev-p' } });
      await tx.put({ resourceType: 'Condition', id: 'ev-cond', code: { text: 'asthma' }, subject: { reference: 'Patient/ev-p' } });
      await tx.put({ resourceType: 'DocumentReference', id: 'ev-note', status: 'current', meta: { security: [psy] }, subject: { reference: 'Patient/ev-p' }, content: [{ attachment: { contentType: 'text/plain', data: 'bm90ZQ==' } }] });
      await tx.put({ resourceType: 'Observation', id: 'ev-other', status: 'final', code: { text: 'pulse' }, subject: { reference: 'Patient/sys-b' } });
    });
    const everything = async (scope?: string) => {
      const token = (await grant(await assertion(rs, inline), scope)).json().access_token;
      const res = await t.app.inject({ method: 'GET', url: '/fhir/Patient/ev-p/$everything', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode).toBe(200);
      return res.json().entry.map((e: { resource: { resourceType: string; id: string } }) => `${e.resource.resourceType}/${e.resource.id}`).sort();
    };
    // What the test put in ev-p's compartment, by type: nothing of sys-b's, and only the types granted.
    expect(await everything()).toEqual(['Condition/ev-cond', 'DocumentReference/ev-note', 'Observation/ev-obs', 'Patient/ev-p']);
    expect(await everything('system/Patient.read system/Observation.read')).toEqual(['Observation/ev-obs', 'Patient/ev-p']);
    expect(await everything('system/Patient.read')).toEqual(['Patient/ev-p']);
  });

  it('negative cases → 400/401 with an RFC 6749 error: grant type, assertion type, unknown key, expired, exp too far ahead, wrong aud, replayed jti, wrong issuer', async () => {
    const good = await assertion(rs, inline);
    const wrongGrant = await request({ grant_type: 'authorization_code', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: good });
    expect([400, 401]).toContain(wrongGrant.statusCode);
    const nonsenseGrant = await request({ grant_type: 'nonsense', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: good });
    expect(nonsenseGrant.statusCode).toBe(400);
    expect(nonsenseGrant.json().error).toBe('unsupported_grant_type');
    const wrongType = await request({ grant_type: 'client_credentials', client_assertion_type: 'urn:example:other', client_assertion: good });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error).toBe('invalid_request');

    const stranger = await key('RS384');
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Promise<string>]> = [
      ['unknown key', assertion(stranger, inline)],
      ['expired', assertion(rs, inline, { exp: now - 600 })],
      ['exp too far ahead', assertion(rs, inline, { exp: now + 3600 })],
      ['wrong aud', assertion(rs, inline, { aud: 'https://elsewhere.example/token' })],
      ['unknown client', assertion(rs, 'app_nobodyregisteredthis0')],
    ];
    for (const [name, jwt] of cases) {
      const res = await grant(await jwt);
      expect([400, 401], name).toContain(res.statusCode);
      expect(res.json().error, name).toBe('invalid_client');
      expect(res.json().access_token, name).toBeUndefined();
    }
    const once = await assertion(rs, inline);
    expect((await grant(once)).statusCode).toBe(200);
    const replay = await grant(once);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().error).toBe('invalid_client');
  });

  it('the jti replay check holds across instances sharing the database', async () => {
    if (kind !== 'postgres') return;
    const { createServices } = await import('../../src/services.js');
    const { buildApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config/config.js');
    const { openDb } = await import('../../src/db/open.js');
    const config = loadConfig({}, { databaseUrl: t.testDb.url, publicUrl: 'http://chartkey.test', demo: false, dataDir: '/tmp/chartkey-bs' });
    const db = openDb(config.databaseUrl);
    const services = await createServices(config, { db, logger: (await import('pino')).default({ level: 'silent' }) });
    const other = await buildApp(config, services);
    try {
      const jwt = await assertion(es, inline);
      expect((await grant(jwt)).statusCode).toBe(200);
      const res = await other.inject({ method: 'POST', url: '/oauth/token', ...form({ grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: jwt }) });
      expect(res.statusCode).toBe(401);
    } finally {
      await other.close();
      await services.close();
    }
  });

  it('a JWKS URL is fetched, cached, and fetched again when an unknown kid appears', async () => {
    const port = (jwksServer.address() as AddressInfo).port;
    published = [rs.jwk];
    const viaUrl = (await t.services.oauth.clients.register({ name: 'Remote keys', type: 'system', jwksUrl: `http://127.0.0.1:${port}/jwks.json`, createdBy: 'test' })).client.clientId;
    fetches = 0;
    expect((await grant(await assertion(rs, viaUrl))).statusCode).toBe(200);
    expect((await grant(await assertion(rs, viaUrl))).statusCode).toBe(200);
    expect(fetches).toBe(1);
    // A rotated key on the client's side: the unknown kid makes us fetch again (after jose's cooldown).
    const next = await key('ES384');
    published = [rs.jwk, next.jwk];
    // Within the refetch cooldown an unknown kid is refused without a fetch…
    expect((await grant(await assertion(next, viaUrl))).statusCode).toBe(401);
    expect(fetches).toBe(1);
    // …after it, the unknown kid makes us fetch again and the new key works.
    await new Promise((r) => setTimeout(r, JWKS_REFETCH_COOLDOWN_MS + 200));
    expect((await grant(await assertion(next, viaUrl))).statusCode).toBe(200);
    expect(fetches).toBe(2);
  });

  it('a removed system client gets no token, and its live tokens die', async () => {
    const gone = (await t.services.oauth.clients.register({ name: 'Short-lived', type: 'system', jwks: JSON.stringify({ keys: [rs.jwk] }), createdBy: 'test' })).client.clientId;
    const tok = (await grant(await assertion(rs, gone))).json().access_token;
    expect((await t.app.inject({ method: 'GET', url: '/fhir/Patient/sys-a', headers: { authorization: `Bearer ${tok}` } })).statusCode).toBe(200);
    await t.services.oauth.clients.remove(gone);
    expect((await t.app.inject({ method: 'GET', url: '/fhir/Patient/sys-a', headers: { authorization: `Bearer ${tok}` } })).statusCode).toBe(401);
    expect((await grant(await assertion(rs, gone))).statusCode).toBe(401);
  });

  it('registration refuses what cannot work: private keys in a JWKS, redirect URIs or no keys for a system client, bad scopes', async () => {
    const { privateKey } = await generateKeyPair('RS384', { extractable: true });
    const priv = await exportJWK(privateKey);
    const reg = (input: Partial<Parameters<typeof t.services.oauth.clients.register>[0]>) =>
      t.services.oauth.clients.register({ name: 'X', type: 'system', createdBy: 'test', ...input });
    await expect(reg({ jwks: JSON.stringify({ keys: [priv] }) })).rejects.toThrow(/private key/);
    await expect(reg({})).rejects.toThrow(/JWKS/);
    await expect(reg({ jwks: JSON.stringify({ keys: [rs.jwk] }), redirectUris: ['https://x.example/cb'] })).rejects.toThrow(/redirect/);
    await expect(reg({ jwks: JSON.stringify({ keys: [rs.jwk] }), scope: 'patient/*.rs' })).rejects.toThrow(/system scope/);
    await expect(reg({ jwksUrl: 'http://evil.example/jwks' })).rejects.toThrow(/https/);
  });
});
