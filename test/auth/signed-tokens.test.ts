import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disablePortal } from '../../src/accounts/enablement.js';
import { tokenService } from '../../src/auth/tokens.js';
import { loadConfig } from '../../src/config/config.js';
import { createServices } from '../../src/services.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends, dumpTables } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * Signed, self-contained access tokens (docs/security.md "Tokens and revocation"):
 * prefix + base64url(payload) + "." + base64url(HMAC-SHA-256(key, prefix + payload)), the
 * key derived from the server's master key for the purpose "access-token-v1". Expected
 * values here come from that definition (RFC 2104 HMAC, RFC 4648 §5 base64url, RFC 6750
 * for the Bearer challenge), computed independently of src/auth/tokens.ts.
 */
const MASTER = 'signed-token-test-master-key';
const tokenKey = createHmac('sha256', Buffer.from(MASTER, 'utf8')).update('access-token-v1').digest();
const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('base64url');
const B64URL = /^[A-Za-z0-9_-]+$/;

/** The signed part and the signature of a token (split at its last dot). */
function split(token: string): { signed: string; mac: string } {
  const dot = token.lastIndexOf('.');
  return { signed: token.slice(0, dot), mac: token.slice(dot + 1) };
}

/** The same text with the character at `i` replaced by a different base64url character. */
function flip(text: string, i: number): string {
  const c = text[i] === 'A' ? 'B' : 'A';
  return text.slice(0, i) + c + text.slice(i + 1);
}

describe.each(await backends())('signed access tokens on %s', (kind) => {
  let t: TestApp;
  let clock = Date.now();
  let ip = 0;
  beforeAll(async () => {
    t = await createTestApp(kind, { now: () => clock, portal: { secretKey: MASTER } });
    await t.services.store.transaction(async (tx) => {
      for (const id of ['st1', 'st2']) await tx.put({ resourceType: 'Patient', id });
    });
  });
  afterAll(async () => t?.close());

  // Each refusal from its own address, so the per-address failure throttle never answers for the token.
  const read = (authorization: string, patient = 'st1') =>
    t.app.inject({ method: 'GET', url: `/fhir/Patient/${patient}`, remoteAddress: `10.9.${Math.floor(ip / 250)}.${ip++ % 250}`, headers: { authorization } });
  const issue = async (c: { key: string; secret: string }, scope?: string) => {
    const res = await t.app.inject({
      method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c.key, c.secret) },
      payload: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { access_token: string; expires_in: number; scope: string; patient: string };
  };
  const expectInvalid = async (authorization: string, why: string) => {
    const res = await read(authorization);
    expect(res.statusCode, why).toBe(401);
    expect(res.json().resourceType, why).toBe('OperationOutcome');
    // RFC 6750 §3.1: a token that is not valid is "invalid_token" — and not the expired message.
    expect(res.headers['www-authenticate'], why).toContain('error="invalid_token"');
    expect(res.headers['www-authenticate'], why).not.toMatch(/expired/i);
  };

  it('is prefix + base64url payload + "." + base64url(HMAC-SHA-256(derived key, prefix + payload))', async () => {
    const c = await credentialFor(t.services, 'st1');
    const body = await issue(c);
    const { signed, mac } = split(body.access_token);
    expect(signed).toMatch(/^[A-Za-z0-9]{1,8}[_.-]/); // a short versioned prefix
    const payload = signed.slice(signed.search(/[_.-]/) + 1);
    expect(payload).toMatch(B64URL);
    expect(mac).toMatch(B64URL);
    expect(Buffer.from(mac, 'base64url')).toHaveLength(32);
    expect(mac).toBe(hmac(tokenKey, signed));
    // Compact: the default scope gives a token well under a typical 8 KB header budget.
    expect(body.access_token.length).toBeLessThan(256);
    expect((await read(`Bearer ${body.access_token}`)).statusCode).toBe(200);
  });

  it('never issues the same token twice, even within one millisecond (random jti)', async () => {
    const c = await credentialFor(t.services, 'st1');
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await issue(c)).access_token); // the test clock stands still meanwhile
    expect(seen.size).toBe(20);
  });

  it('refuses a token whose payload was changed by one character', async () => {
    const c = await credentialFor(t.services, 'st1');
    const token = (await issue(c)).access_token;
    const { signed, mac } = split(token);
    const prefixEnd = signed.search(/[_.-]/) + 1;
    // Every position of the payload but the last (whose low bits may be padding).
    for (let i = prefixEnd; i < signed.length - 1; i += 7) await expectInvalid(`Bearer ${flip(signed, i)}.${mac}`, `payload char ${i}`);
    await expectInvalid(`Bearer ${signed}A.${mac}`, 'payload extended');
    await expectInvalid(`Bearer ${signed.slice(0, -4)}.${mac}`, 'payload shortened');
    const otherVersion = signed.replace(/^[A-Za-z0-9]+/, (p) => p.replace(/\d/, (d) => String((Number(d) + 1) % 10)));
    expect(otherVersion).not.toBe(signed);
    await expectInvalid(`Bearer ${otherVersion}.${mac}`, 'other version');
    expect((await read(`Bearer ${token}`)).statusCode).toBe(200);
  });

  it('refuses a token whose signature was changed, cut or padded — only the exact bytes as issued are accepted', async () => {
    const c = await credentialFor(t.services, 'st1');
    const token = (await issue(c)).access_token;
    const { signed, mac } = split(token);
    for (const i of [0, 10, 21, 41]) await expectInvalid(`Bearer ${signed}.${flip(mac, i)}`, `signature char ${i}`);
    await expectInvalid(`Bearer ${signed}.${mac.slice(0, -1)}`, 'signature cut');
    await expectInvalid(`Bearer ${signed}.${mac}A`, 'signature extended');
    await expectInvalid(`Bearer ${signed}.${mac}=`, 'signature padded');
    await expectInvalid(`Bearer ${signed}.`, 'no signature');
    await expectInvalid(`Bearer ${signed}`, 'no dot');
    await expectInvalid(`Bearer ${signed}.${Buffer.from(mac, 'base64url').toString('base64')}`, 'plain base64 signature');
    // The last of 43 characters carries 4 bits and 2 padding bits: another character with the
    // same 4 bits decodes to the same 32 bytes, but it is not the token that was issued.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(mac[42]);
    const twin = `${mac.slice(0, 42)}${alphabet[last | 1]}`;
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(mac, 'base64url'))).toBe(true);
    await expectInvalid(`Bearer ${signed}.${twin}`, 'non-canonical signature');
    expect((await read(`Bearer ${token}`)).statusCode).toBe(200);
  });

  it('refuses a token signed with another key, and one from another server', async () => {
    const c = await credentialFor(t.services, 'st1');
    const { signed } = split((await issue(c)).access_token);
    await expectInvalid(`Bearer ${signed}.${hmac(randomBytes(32), signed)}`, 'random key');
    // The master key itself, and the key of another purpose, are not the token key.
    await expectInvalid(`Bearer ${signed}.${hmac(Buffer.from(MASTER, 'utf8'), signed)}`, 'master key');
    const credentialKey = createHmac('sha256', Buffer.from(MASTER, 'utf8')).update('api-credential-secret-v1').digest();
    await expectInvalid(`Bearer ${signed}.${hmac(credentialKey, signed)}`, 'credential-secret key');
    const elsewhere = tokenService({ key: randomBytes(32), isLive: async () => true }).issue(c.credential.id, 'st1', 'patient/*.rs');
    await expectInvalid(`Bearer ${elsewhere.accessToken}`, 'other server');
  });

  it('refuses malformed and oversized tokens', async () => {
    const c = await credentialFor(t.services, 'st1');
    const { signed, mac } = split((await issue(c)).access_token);
    for (const bad of ['x', randomBytes(32).toString('base64url'), `${signed}.${mac}.${mac}`, `.${mac}`, `${signed}..${mac}`, `${signed.toUpperCase()}.${mac}`, 'a'.repeat(8000)]) {
      await expectInvalid(`Bearer ${bad}`, bad.slice(0, 40));
    }
  });

  it('refuses an expired token with the expired error, and only a genuine one', async () => {
    const c = await credentialFor(t.services, 'st1');
    const body = await issue(c);
    expect(body.expires_in).toBe(3600);
    const start = clock;
    try {
      clock = start + 3600 * 1000 - 1;
      expect((await read(`Bearer ${body.access_token}`)).statusCode).toBe(200); // and now in the auth cache
      clock = start + 3600 * 1000; // the hour is over: the cache entry ends with the token
      const res = await read(`Bearer ${body.access_token}`);
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
      expect(res.headers['www-authenticate']).toContain('The access token has expired');
      // A forged signature on the same expired payload is invalid, not "expired".
      const { signed, mac } = split(body.access_token);
      await expectInvalid(`Bearer ${signed}.${flip(mac, 5)}`, 'expired and forged');
    } finally {
      clock = Date.now();
    }
  });

  it('refuses the token of a deleted credential on the very next call', async () => {
    const c = await credentialFor(t.services, 'st1', 'to delete');
    const token = (await issue(c)).access_token;
    expect((await read(`Bearer ${token}`)).statusCode).toBe(200); // now in the auth cache
    await t.services.credentials.revoke(c.credential.id, 'test', 'st1');
    await expectInvalid(`Bearer ${token}`, 'deleted');
    clock += 2000; // and later, once any cache entry would have expired
    await expectInvalid(`Bearer ${token}`, 'deleted, later');
  });

  it('refuses the tokens of a suspended patient, and accepts them again after re-enabling', async () => {
    const c = await credentialFor(t.services, 'st2');
    const token = (await issue(c)).access_token;
    expect((await read(`Bearer ${token}`, 'st2')).statusCode).toBe(200);
    await disablePortal(t.services, { patientId: 'st2', by: { kind: 'system', id: 'test' } });
    const suspended = await read(`Bearer ${token}`, 'st2');
    expect(suspended.statusCode).toBe(401);
    expect(suspended.headers['www-authenticate']).toContain('error="invalid_token"');
    await credentialFor(t.services, 'st2', 'after re-enable'); // enables the portal again
    expect((await read(`Bearer ${token}`, 'st2')).statusCode).toBe(200);
  });

  it('is accepted by every instance sharing the database and its master key, and by no other; refused there once deleted', async () => {
    const c = await credentialFor(t.services, 'st1', 'shared');
    const config = loadConfig({}, { databaseUrl: t.testDb.url, demo: false, logLevel: 'silent' });
    const shared = kind === 'sqlite' ? { db: t.testDb.db } : {};
    // Two instances without an operator key (unless the environment sets one for both):
    // the first generates the master key in server_secrets, the second reads it.
    const a = await createServices(config, shared);
    const b = await createServices(config, shared);
    try {
      const token = a.tokens.issue(c.credential.id, 'st1', 'patient/*.rs').accessToken;
      expect(await b.tokens.verify(token)).toMatchObject({ credentialId: c.credential.id, patientId: 'st1', scope: 'patient/*.rs' });
      expect(await t.services.tokens.verify(token)).toBeUndefined(); // t runs with another master key
      await t.services.credentials.revoke(c.credential.id, 'test', 'st1');
      expect(await b.tokens.verify(token)).toBeUndefined();
    } finally {
      if (kind === 'postgres') await Promise.all([a.close(), b.close()]);
    }
  });

  it('carries narrowed scopes, and refuses to grant a scope too long to carry', async () => {
    const c = await credentialFor(t.services, 'st1', 'scoped');
    const body = await issue(c, 'patient/Observation.rs launch/patient');
    expect(body.scope).toBe('patient/Observation.rs launch/patient');
    expect(await t.services.tokens.verify(body.access_token)).toMatchObject({ scope: 'patient/Observation.rs launch/patient' });
    const denied = await read(`Bearer ${body.access_token}`);
    expect(denied.statusCode).toBe(403);
    const types = t.services.registry.resourceTypes();
    const many = types.flatMap((type) => ['read', 'rs', 'r', 's'].map((p) => `patient/${type}.${p}`)).join(' ');
    expect(many.length).toBeGreaterThan(2048);
    const res = await t.app.inject({
      method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c.key, c.secret) },
      payload: new URLSearchParams({ grant_type: 'client_credentials', scope: many.slice(0, 5000).replace(/ \S*$/, '') }).toString(),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('invalid_scope');
  });

  const tokenRequest = (c: { key: string; secret: string }, remoteAddress = '127.0.0.1') =>
    t.app.inject({
      method: 'POST', url: '/oauth/token', remoteAddress,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(c.key, c.secret) },
      payload: 'grant_type=client_credentials',
    });

  it('token endpoint: a client trusted a moment ago is refused at once when deleted or suspended here, and after re-enabling is accepted', async () => {
    const c = await credentialFor(t.services, 'st2', 'endpoint');
    expect((await tokenRequest(c)).statusCode).toBe(200);
    expect((await tokenRequest(c)).statusCode).toBe(200); // trusted from the cache
    await disablePortal(t.services, { patientId: 'st2', by: { kind: 'system', id: 'test' } });
    const suspended = await tokenRequest(c, '10.8.0.1');
    expect(suspended.statusCode).toBe(401);
    expect(suspended.json().error).toBe('invalid_client');
    await credentialFor(t.services, 'st2', 'endpoint, re-enabled');
    expect((await tokenRequest(c)).statusCode).toBe(200);
    await t.services.credentials.revoke(c.credential.id, 'test', 'st2');
    expect((await tokenRequest(c, '10.8.0.2')).statusCode).toBe(401);
  });

  it('token endpoint: a client deleted by another instance is refused within one second', async () => {
    const c = await credentialFor(t.services, 'st1', 'endpoint, other instance');
    expect((await tokenRequest(c)).statusCode).toBe(200);
    const config = loadConfig({}, { databaseUrl: t.testDb.url, demo: false, logLevel: 'silent' });
    const other = await createServices(config, kind === 'sqlite' ? { db: t.testDb.db } : {});
    try {
      await other.credentials.revoke(c.credential.id, 'test', 'st1');
    } finally {
      if (kind === 'postgres') await other.close();
    }
    clock += 1000;
    expect((await tokenRequest(c, '10.8.1.1')).statusCode).toBe(401);
  });

  it('token endpoint: failures are counted even for a client in the cache, and throttling wins over the cache', async () => {
    const c = await credentialFor(t.services, 'st1', 'endpoint, throttled');
    expect((await tokenRequest(c)).statusCode).toBe(200);
    for (let i = 0; i < 10; i++) {
      const res = await tokenRequest({ key: c.key, secret: `wrong${i}`.padEnd(32, 'x') }, `10.8.2.${i}`);
      expect(res.statusCode).toBe(401);
    }
    const blocked = await tokenRequest(c, '10.8.2.200');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('leaves no token value in any table or in the log', async () => {
    const c = await credentialFor(t.services, 'st1', 'no trace');
    const token = (await issue(c)).access_token;
    expect((await read(`Bearer ${token}`)).statusCode).toBe(200);
    await t.services.accessLog.flush();
    const { mac } = split(token);
    const haystacks = [['log', t.logText()], ...(await dumpTables(t.services.db))];
    for (const [where, text] of haystacks) {
      expect(text, where).not.toContain(token);
      expect(text, where).not.toContain(mac);
    }
  });
});

describe('tokenService', () => {
  it('gives every token its own 128 random bits: 1,000 tokens of one credential in one millisecond are all different', () => {
    const svc = tokenService({ key: randomBytes(32), now: () => 1_800_000_000_000, isLive: async () => true });
    const tokens = new Set(Array.from({ length: 1000 }, () => svc.issue('cred-1', 'pat-1', 'patient/*.rs').accessToken));
    expect(tokens.size).toBe(1000);
  });


  it('checks liveness of the credential and patient the token names, and not before the signature and expiry', async () => {
    const calls: Array<[string, string]> = [];
    let now = 1_800_000_000_000;
    const svc = tokenService({ key: randomBytes(32), now: () => now, isLive: async (c, p) => (calls.push([c, p]), c === 'cred-1') });
    const a = svc.issue('cred-1', 'pat-1', 'patient/*.rs');
    expect(a).toMatchObject({ expiresIn: 3600, scope: 'patient/*.rs', patientId: 'pat-1' });
    expect(await svc.verify(a.accessToken)).toEqual({ credentialId: 'cred-1', patientId: 'pat-1', scope: 'patient/*.rs', issuedAt: now, expiresAt: now + 3_600_000 });
    expect(calls).toEqual([['cred-1', 'pat-1']]);
    expect(await svc.verify(svc.issue('cred-2', 'pat-1', 'patient/*.rs').accessToken)).toBeUndefined();
    calls.length = 0;
    expect(await svc.verify(a.accessToken.replace(/.$/, (ch) => (ch === 'A' ? 'Q' : 'A')))).toBeUndefined();
    now += 3_600_000;
    expect(await svc.verify(a.accessToken)).toBe('expired');
    expect(calls).toEqual([]); // neither the forgery nor the expired token reached the database
  });
});
