import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * Defects the fuzz suite (test/fuzz/fuzz.test.ts) found, each pinned by the smallest
 * request that showed it.
 */
describe.each(await backends())('fuzz regressions on %s', (kind) => {
  let t: TestApp;
  let auth: string;
  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p1', name: [{ family: 'Shaw' }] });
    });
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
});
