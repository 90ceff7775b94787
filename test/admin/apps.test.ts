import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { basic } from '../helpers/app.js';
import { PageClient, testIds } from '../portal/browser-client.js';
import { addPatient, enabledPatient, type Harness, startHarness } from '../portal/harness.js';

const STAFF_PASSWORD = 'staff password 123';
const HOSTILE = '<script>alert("app")</script>';
// Preact escapes `<`, `&` and `"` in text and attributes (a lone `>` is harmless).
const HOSTILE_ESCAPED = '&lt;script>alert(&quot;app&quot;)&lt;/script>';

for (const kind of await backends()) {
  describe(`admin apps page (${kind})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(kind);
      await h.services.staff.create('nurse', STAFF_PASSWORD);
      await addPatient(h.services, 'ap1');
      await enabledPatient(h.services, 'ap1', 'ap.patient', 'patient password 1');
    });
    afterAll(() => h?.close());

    const staff = async () => {
      const c = new PageClient(h.app);
      expect((await c.signIn('admin', 'nurse', STAFF_PASSWORD)).headers.location).toBe('/admin/patients');
      return c;
    };
    const fhirRead = (token: string) => h.app.inject({ method: 'GET', url: '/fhir/Patient/ap1', headers: { authorization: `Bearer ${token}` } });
    /** A patient's grant to the app and an access token under it, as the token endpoint would issue. */
    const grantFor = async (clientId: string, clientName: string) => {
      const account = (await h.services.portal.accounts.getByPatient('ap1'))!;
      const grant = await h.services.oauth.grants.create({ clientId, clientName, patientId: 'ap1', accountId: account.id, scope: 'launch/patient patient/*.rs' });
      return { grant, token: h.services.tokens.issue(grant.id, 'ap1', grant.scope).accessToken };
    };

    it('is for signed-in staff only, and registering needs the form token', async () => {
      const anon = new PageClient(h.app);
      expect((await anon.get('/admin/apps')).headers.location).toBe('/admin/login');
      await anon.get('/admin/login');
      const post = await anon.post('/admin/apps', { name: 'Sneaky', type: 'public', redirectUris: 'https://sneaky.example/cb' });
      expect(post.statusCode).toBe(303);
      expect(post.headers.location).toBe('/admin/login');
      const c = await staff();
      const page = await c.get('/admin/apps');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('href="/admin/apps" data-testid="nav-apps" aria-current="page"');
      const forged = await c.post('/admin/apps', { name: 'Forged', type: 'public', redirectUris: 'https://forged.example/cb' }, { csrf: false });
      expect(forged.statusCode).toBe(403);
      expect(await h.services.oauth.clients.list()).toEqual([]);
    });

    it('registers a confidential app, shows its secret once, and never again', async () => {
      const c = await staff();
      await c.get('/admin/apps');
      const res = await c.post('/admin/apps', { name: HOSTILE, type: 'confidential', redirectUris: 'https://app.example/callback\r\n\r\nhttp://localhost:9000/cb\r\n', jwksUrl: '', jwks: '', scope: '' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const clientId = /data-testid="app-client-id">([^<]+)</.exec(res.body)![1];
      const secret = /data-testid="app-client-secret"[^>]*>([^<]+)</.exec(res.body)![1];
      expect(clientId).toMatch(/^app_[A-Za-z0-9]{24}$/);
      expect(secret).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(res.body).toContain(HOSTILE_ESCAPED);
      expect(res.body).not.toContain(HOSTILE);

      // The shown secret is the real one: the introspection endpoint accepts it (HTTP Basic), and refuses a wrong one.
      const { token } = await grantFor(clientId, HOSTILE);
      const ok = await h.app.inject({ method: 'POST', url: '/oauth/introspect', headers: { authorization: basic(clientId, secret), 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${token}` });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ active: true, client_id: clientId, patient: 'ap1' });
      const wrong = await h.app.inject({ method: 'POST', url: '/oauth/introspect', headers: { authorization: basic(clientId, `${secret.slice(0, -1)}x`), 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${token}` });
      expect(wrong.statusCode).toBe(401);

      const list = await c.get('/admin/apps');
      expect(testIds(list.body, 'app-row')).toBe(1);
      expect(list.body).toContain(clientId);
      expect(list.body).toContain('https://app.example/callback');
      expect(list.body).toContain('http://localhost:9000/cb');
      expect(list.body).toContain(HOSTILE_ESCAPED);
      expect(list.body).not.toContain(HOSTILE);
      // Never again: not on the list, not in the audit trail, not in any log line, not stored in the clear.
      expect(list.body).not.toContain(secret);
      expect((await c.get('/admin/audit')).body).not.toContain(secret);
      expect(h.logLines.join('')).not.toContain(secret);
      expect(JSON.stringify(await h.services.db.all('SELECT * FROM oauth_clients'))).not.toContain(secret);
      const events = (await h.services.audit.list({ action: 'app.register' })).events;
      expect(events[0]).toMatchObject({ actorKind: 'staff', action: 'app.register', detail: { client: clientId, name: HOSTILE, type: 'confidential' } });
    });

    it('registers public and backend system apps without a secret', async () => {
      const c = await staff();
      await c.get('/admin/apps');
      const pub = await c.post('/admin/apps', { name: 'Phone app', type: 'public', redirectUris: 'com.example.phone:/callback' });
      expect(pub.statusCode).toBe(200);
      expect(testIds(pub.body, 'app-client-id')).toBe(1);
      expect(testIds(pub.body, 'app-client-secret')).toBe(0);

      const { publicKey } = await generateKeyPair('RS384', { extractable: true });
      const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS384' }] });
      await c.get('/admin/apps');
      const sys = await c.post('/admin/apps', { name: 'Lab interface', type: 'system', redirectUris: '', jwksUrl: '', jwks, scope: 'system/*.rs system/Observation.cruds' });
      expect(sys.statusCode).toBe(200);
      expect(testIds(sys.body, 'app-client-secret')).toBe(0);
      const list = await c.get('/admin/apps');
      expect(testIds(list.body, 'app-row')).toBe(3);
      expect(list.body).toContain('system/*.rs system/Observation.cruds');
      expect(list.body).toContain('1 key registered');
      const types = (await h.services.oauth.clients.list()).map((a) => [a.name, a.type]);
      expect(types).toEqual([[HOSTILE, 'confidential'], ['Phone app', 'public'], ['Lab interface', 'system']]);
    });

    for (const [label, form, message] of [
      ['a plain-http redirect URI', { name: 'Bad', type: 'confidential', redirectUris: 'http://evil.example/cb' }, 'must use https (http only on localhost)'],
      ['no redirect URI', { name: 'Bad', type: 'public', redirectUris: '' }, 'A launching app needs at least one redirect URI'],
      ['a system app without keys', { name: 'Bad', type: 'system', redirectUris: '' }, 'needs exactly one of a JWKS URL or a JWKS'],
      ['a private key in the JWKS', { name: 'Bad', type: 'asymmetric', redirectUris: 'https://a.example/cb', jwks: '{"keys":[{"kty":"RSA","n":"x","e":"AQAB","d":"secret"}]}' }, 'The JWKS holds a private key'],
      ['an unknown type', { name: 'Bad', type: 'toString', redirectUris: 'https://a.example/cb' }, 'Choose the type of app'],
    ] as Array<[string, Record<string, string>, string]>) {
      it(`refuses ${label} with a clear message and keeps the form`, async () => {
        const c = await staff();
        await c.get('/admin/apps');
        const before = (await h.services.oauth.clients.list()).length;
        const res = await c.post('/admin/apps', form);
        expect(res.statusCode).toBe(400);
        expect(res.body).toContain('role="alert"');
        expect(res.body).toContain(message);
        expect(res.body).toContain('value="Bad"');
        expect((await h.services.oauth.clients.list()).length).toBe(before);
      });
    }

    it('removes an app after confirmation: patients\' grants end and its tokens are refused', async () => {
      const c = await staff();
      await c.get('/admin/apps');
      const res = await c.post('/admin/apps', { name: 'Going away', type: 'public', redirectUris: 'https://gone.example/cb' });
      const clientId = /data-testid="app-client-id">([^<]+)</.exec(res.body)![1];
      const { grant, token } = await grantFor(clientId, 'Going away');
      expect((await fhirRead(token)).statusCode).toBe(200);

      const list = await c.get('/admin/apps');
      expect(list.body).toContain(`href="/admin/apps/${clientId}/remove" data-testid="remove-app"`);
      const confirm = await c.get(`/admin/apps/${clientId}/remove`);
      expect(confirm.statusCode).toBe(200);
      expect(testIds(confirm.body, 'confirm-delete')).toBe(1);
      const removed = await c.post(`/admin/apps/${clientId}/remove`, {});
      expect(removed.headers.location).toBe('/admin/apps?done=removed');
      const after = await c.get('/admin/apps?done=removed');
      expect(after.body).toContain('data-testid="toast"');
      expect(after.body).not.toContain(clientId);

      const read = await fhirRead(token);
      expect(read.statusCode).toBe(401);
      expect(await h.services.oauth.grants.listForPatient('ap1')).not.toContainEqual(expect.objectContaining({ id: grant.id }));
      const events = (await h.services.audit.list({ action: 'app.remove' })).events;
      expect(events[0]).toMatchObject({ actorKind: 'staff', detail: { client: clientId, name: 'Going away', grantsRevoked: 1 } });
    });
  });

  describe(`connected apps on the staff patient page (${kind})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(kind);
      await h.services.staff.create('nurse', STAFF_PASSWORD);
      await addPatient(h.services, 'sp1');
      await enabledPatient(h.services, 'sp1', 'sp.patient', 'patient password 1');
    });
    afterAll(() => h?.close());

    it('lists the patient\'s apps with what they may read, and staff can revoke one', async () => {
      const { client } = await h.services.oauth.clients.register({ name: HOSTILE, type: 'public', redirectUris: ['https://x.example/cb'], createdBy: 'test' });
      const account = (await h.services.portal.accounts.getByPatient('sp1'))!;
      const grant = await h.services.oauth.grants.create({
        clientId: client.clientId, clientName: client.name, patientId: 'sp1', accountId: account.id,
        scope: 'openid fhirUser patient/Patient.rs patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory',
      });
      const token = h.services.tokens.issue(grant.id, 'sp1', grant.scope).accessToken;
      const read = () => h.app.inject({ method: 'GET', url: '/fhir/Patient/sp1', headers: { authorization: `Bearer ${token}` } });
      expect((await read()).statusCode).toBe(200);

      const c = new PageClient(h.app);
      await c.signIn('admin', 'nurse', STAFF_PASSWORD);
      const page = await c.get('/admin/patients/sp1');
      expect(testIds(page.body, 'connected-app-row')).toBe(1);
      expect(page.body).toContain(HOSTILE_ESCAPED);
      expect(page.body).not.toContain(HOSTILE);
      // Category labels of src/consent/categories.ts: demographics (Patient only of Patient+RelatedPerson), lab results only.
      expect(page.body).toContain('Can read: About you: Your demographics; Lab results and reports: Lab results');
      const href = `/admin/patients/sp1/apps/${grant.id}/revoke`;
      expect(page.body).toContain(`href="${href}" data-testid="revoke-app"`);
      expect(testIds((await c.get(href)).body, 'confirm-delete')).toBe(1);
      const done = await c.post(href, {});
      expect(done.headers.location).toBe('/admin/patients/sp1?done=app-revoked');
      const after = await c.get('/admin/patients/sp1?done=app-revoked');
      expect(testIds(after.body, 'connected-app-row')).toBe(0);
      expect(after.body).toContain('data-testid="toast"');
      expect((await read()).statusCode).toBe(401);
      const events = (await h.services.audit.list({ action: 'app.revoke' })).events;
      expect(events[0]).toMatchObject({ actorKind: 'staff', patientId: 'sp1', credentialId: grant.id, detail: { client: client.clientId } });
    });

    it('cannot revoke another patient\'s grant through this patient\'s page', async () => {
      await addPatient(h.services, 'sp2');
      await enabledPatient(h.services, 'sp2', 'sp2.patient', 'patient password 2');
      const account = (await h.services.portal.accounts.getByPatient('sp2'))!;
      const grant = await h.services.oauth.grants.create({ clientId: 'app_x', clientName: 'Other', patientId: 'sp2', accountId: account.id, scope: 'patient/*.rs' });
      const c = new PageClient(h.app);
      await c.signIn('admin', 'nurse', STAFF_PASSWORD);
      await c.get('/admin/patients/sp1');
      const res = await c.post(`/admin/patients/sp1/apps/${grant.id}/revoke`, {});
      expect(res.headers.location).toBe('/admin/patients/sp1');
      expect((await h.services.oauth.grants.listForPatient('sp2')).map((g) => g.id)).toEqual([grant.id]);
    });
  });
}
