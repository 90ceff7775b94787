import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryFailureThrottle } from '../../src/auth/failure-throttle.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends, dumpTables } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * Credentials and tokens under attack: near-miss keys and secrets, guessing from many
 * addresses, floods meant to reset the throttle, and secrets looked for everywhere they
 * could leak (log, metrics, audit, access log, every database column).
 */
describe('the failed-authentication throttle', () => {
  it('keeps counting a guessed key when a flood of junk keys fills its memory', async () => {
    let t = 0;
    const throttle = memoryFailureThrottle({ perKey: 10, perIp: 50, windowSeconds: 60 }, () => t);
    for (let i = 0; i < 10; i++) await throttle.recordFailure(['key:target']);
    expect(await throttle.retryAfter(['key:target'])).toBeGreaterThan(0);
    for (let i = 0; i < 100_050; i++) await throttle.recordFailure([`key:junk${i}`]);
    expect(await throttle.retryAfter(['key:target'])).toBeGreaterThan(0);
    t += 61_000;
    expect(await throttle.retryAfter(['key:target'])).toBe(0);
  });
});

describe.each(await backends())('API credentials under attack on %s', (kind) => {
  let t: TestApp;
  let key: string;
  let secret: string;
  const tokens: string[] = [];

  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Shaw' }] });
    });
    ({ key, secret } = await credentialFor(t.services, 'p1'));
  });
  afterAll(async () => t?.close());

  const token = (form: Record<string, string>, headers: Record<string, string> = {}, remoteAddress = '127.0.0.1') =>
    t.app.inject({ method: 'POST', url: '/oauth/token', remoteAddress, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams(form).toString() });
  const fhir = (authorization: string, remoteAddress = '127.0.0.1') => t.app.inject({ method: 'GET', url: '/fhir/Patient/p1', remoteAddress, headers: { authorization } });

  it('accepts only the exact key and secret: case, whitespace and encodings are different credentials', async () => {
    const ok = await token({ grant_type: 'client_credentials', client_id: key, client_secret: secret });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().expires_in).toBeLessThanOrEqual(3600);
    tokens.push(ok.json().access_token);
    const variants: Array<(k: string, s: string) => [string, string]> = [
      (k, x) => [k.toLowerCase(), x], (k, x) => [k.toUpperCase(), x], (k, x) => [` ${k}`, x], (k, x) => [`${k} `, x], (k, x) => [k, ` ${x}`], (k, x) => [k, `${x} `],
      (k, x) => [k, x.toLowerCase() === x ? x.toUpperCase() : x.toLowerCase()], (k, x) => [k, `${x}\u0000`], (k, x) => [k, x.slice(0, 31)], (k, x) => [k, `${x}x`],
      (k, x) => [`${k}\u200b`, x], (k) => [k, ''], (_k, x) => ['', x], (k, x) => [`${k}%00`, x], (k, x) => [k, encodeURIComponent(`${x}+`)],
    ];
    let n = 0;
    for (const variant of variants) {
      // A fresh credential each time, so the per-key throttle never hides the answer.
      const fresh = await credentialFor(t.services, 'p1', `variant ${n}`);
      const [id, s] = variant(fresh.key, fresh.secret);
      const ip = `10.1.0.${n++}`;
      const res = await token({ grant_type: 'client_credentials', client_id: id, client_secret: s }, {}, ip);
      expect(res.statusCode, JSON.stringify([id, s])).toBe(401);
      expect(res.json().error).toBe('invalid_client');
      expect((await fhir(basic(id, s), ip)).statusCode, JSON.stringify([id, s])).toBe(401);
    }
  });

  it('throttles guessing of one key from many addresses (429 + Retry-After), even for the right secret', async () => {
    const { key: k2, secret: s2 } = await credentialFor(t.services, 'p1', 'Second app');
    for (let i = 0; i < 10; i++) {
      const res = await token({ grant_type: 'client_credentials', client_id: k2, client_secret: 'x'.repeat(32) }, {}, `10.2.0.${i}`);
      expect(res.statusCode).toBe(401);
    }
    const blocked = await token({ grant_type: 'client_credentials', client_id: k2, client_secret: s2 }, {}, '10.2.1.1');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const viaBasic = await fhir(basic(k2, s2), '10.2.1.2');
    expect(viaBasic.statusCode).toBe(429);
    expect(Number(viaBasic.headers['retry-after'])).toBeGreaterThan(0);
    expect(viaBasic.json().resourceType).toBe('OperationOutcome');
  });

  it('throttles one address trying many keys, whatever X-Forwarded-For says', async () => {
    let last = 0;
    for (let i = 0; i < 51; i++) {
      const res = await t.app.inject({
        method: 'GET', url: '/fhir/Patient/p1', remoteAddress: '10.3.0.1',
        headers: { authorization: basic(`K${String(i).padStart(31, '0')}`, 'y'.repeat(32)), 'x-forwarded-for': `192.0.2.${i}` },
      });
      last = res.statusCode;
    }
    expect(last).toBe(429);
  });

  it('answers malformed token requests with RFC 6749 errors, never a 5xx', async () => {
    const cases: Array<[Record<string, string> | string, Record<string, string>, number, string]> = [
      [{}, {}, 400, 'invalid_request'],
      [{ grant_type: 'password', username: 'a', password: 'b' }, {}, 400, 'unsupported_grant_type'],
      [{ grant_type: 'client_credentials' }, {}, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials', client_id: key, client_secret: secret }, { authorization: basic(key, secret) }, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials' }, { authorization: 'Basic %%%' }, 401, 'invalid_client'],
      [{ grant_type: 'client_credentials' }, { authorization: `Bearer ${'a'.repeat(40)}` }, 401, 'invalid_client'],
      ['grant_type=client_credentials&grant_type=client_credentials', {}, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials', client_id: key, client_secret: secret, scope: 'user/*.read' }, {}, 400, 'invalid_scope'],
      [{ grant_type: 'client_credentials', client_id: key, client_secret: secret, scope: 'system/*.read' }, {}, 400, 'invalid_scope'],
    ];
    let n = 0;
    for (const [form, headers, status, error] of cases) {
      const res = await t.app.inject({
        method: 'POST', url: '/oauth/token', remoteAddress: `10.4.0.${n++}`, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
      });
      expect(res.statusCode, JSON.stringify(form)).toBe(status);
      expect(res.json().error, JSON.stringify(form)).toBe(error);
      expect(res.headers['cache-control']).toContain('no-store');
    }
    const json = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ grant_type: 'client_credentials' }) });
    expect(json.statusCode).toBe(400);
    const big = await token({ grant_type: 'client_credentials', client_id: 'x'.repeat(20_000) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBe('invalid_request');
  });

  it('uses of a credential leave its secret and tokens nowhere: log, metrics, audit, access log, database', async () => {
    const bearer = tokens[0];
    expect((await fhir(`Bearer ${bearer}`)).statusCode).toBe(200);
    expect((await fhir(basic(key, secret))).statusCode).toBe(200);
    // One character off (never the same character: a secret ending in Z would otherwise stay right).
    const wrong = `${secret.slice(0, 31)}${secret.endsWith('Z') ? 'Y' : 'Z'}`;
    expect((await fhir(basic(key, wrong), '10.5.0.1')).statusCode).toBe(401);
    await new Promise((r) => setTimeout(r, 50)); // access-log batches (flushIntervalMs 0 in tests)
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    const haystacks = [t.logText(), metrics.body];
    const tables = await dumpTables(t.services.db);
    expect(tables.map(([name]) => name)).toEqual(expect.arrayContaining(['api_credentials', 'audit_events', 'api_access_log', 'sessions', 'signin_failures', 'server_secrets']));
    for (const [, rows] of tables) haystacks.push(rows);
    for (const text of haystacks) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(bearer);
      expect(text).not.toContain(Buffer.from(secret).toString('base64'));
      expect(text).not.toContain(basic(key, secret).slice(6));
    }
  });
});
