import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { PageClient, testIds } from './browser-client.js';
import { addPatient, enabledPatient, type Harness, startHarness } from './harness.js';

const PASSWORD = 'correct horse battery';

for (const kind of await backends()) {
  describe(`FHIR API Access flow (${kind})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(kind);
      await addPatient(h.services, 'p1');
      await addPatient(h.services, 'p2', 'Roe');
      await enabledPatient(h.services, 'p1', 'jane', PASSWORD);
      await enabledPatient(h.services, 'p2', 'rick', PASSWORD);
    });
    afterAll(() => h?.close());

    const signedIn = async (user = 'jane') => {
      const c = new PageClient(h.app);
      expect((await c.signIn('portal', user, PASSWORD)).headers.location).toBe('/portal/history');
      return c;
    };

    const generate = async (c: PageClient, name: string) => {
      await c.get('/portal/credentials/new');
      return c.post('/portal/credentials', { name });
    };

    it('shows My History with every section and the FHIR API Access section', async () => {
      const c = await signedIn();
      const page = await c.get('/portal/history');
      expect(page.statusCode).toBe(200);
      for (const id of ['nav-my-history', 'fhir-api-access', 'generate-credentials']) expect(testIds(page.body, id)).toBe(1);
      for (const text of ['Peanut allergy', 'Essential hypertension', 'Lisinopril 10 mg', 'Influenza vaccine', 'Body weight', 'Hemoglobin A1c', 'Annual checkup']) {
        expect(page.body).toContain(text);
      }
      expect(page.body).toContain('<svg class="trend"');
      expect(page.body).not.toContain('Roe');
    });

    it('reveals key and secret once, as the direct no-store answer to the POST', async () => {
      const c = await signedIn();
      const reveal = await generate(c, 'Health App');
      expect(reveal.statusCode).toBe(200);
      expect(reveal.headers['cache-control']).toBe('no-store');
      const key = /data-testid="credential-key"[^>]*>([A-Za-z0-9]{32})</.exec(reveal.body)?.[1];
      const secret = /data-testid="credential-secret"[^>]*>([A-Za-z0-9]{32})</.exec(reveal.body)?.[1];
      expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
      for (const id of ['copy-key', 'copy-secret', 'credential-done']) expect(testIds(reveal.body, id)).toBe(1);
      expect(reveal.body).toContain('they will not be available once you leave this screen');
      const list = await c.get('/portal/history');
      expect(list.body).not.toContain(secret!);
      expect(list.body).toContain('Health App');
      expect(await h.services.credentials.verify(key!, secret!)).toMatchObject({ patientId: 'p1' });
    });

    it('stores neither the secret nor a reversible form of it, and never logs it', async () => {
      const c = await signedIn();
      const reveal = await generate(c, 'Storage check');
      const secret = /data-testid="credential-secret"[^>]*>([A-Za-z0-9]{32})</.exec(reveal.body)![1];
      const b64 = Buffer.from(secret).toString('base64');
      const hex = Buffer.from(secret).toString('hex');
      const dump: string[] = [];
      const tables = ['api_credentials', 'audit_events', 'sessions', 'api_access_log', 'portal_accounts', 'signin_failures', 'practice_settings'];
      for (const t of tables) dump.push(JSON.stringify(await h.services.db.all(`SELECT * FROM ${t}`)));
      const all = dump.join('\n');
      for (const form of [secret, b64, hex, secret.toLowerCase()]) {
        expect(all).not.toContain(form);
        expect(h.logLines.join('')).not.toContain(form);
      }
    });

    it('lists any number of independent credentials and deletes one with a toast', async () => {
      const c = await signedIn();
      const before = testIds((await c.get('/portal/history')).body, 'credential-row');
      const a = await generate(c, 'App A');
      const keyA = /data-testid="credential-key"[^>]*>([A-Za-z0-9]{32})</.exec(a.body)![1];
      const secretA = /data-testid="credential-secret"[^>]*>([A-Za-z0-9]{32})</.exec(a.body)![1];
      const b = await generate(c, 'App B');
      const keyB = /data-testid="credential-key"[^>]*>([A-Za-z0-9]{32})</.exec(b.body)![1];
      const secretB = /data-testid="credential-secret"[^>]*>([A-Za-z0-9]{32})</.exec(b.body)![1];
      const page = await c.get('/portal/history');
      expect(testIds(page.body, 'credential-row')).toBe(before + 2);
      const id = (await h.services.credentials.list('p1')).find((x) => x.name === 'App A')!.id;
      const confirm = await c.get(`/portal/credentials/${id}/delete`);
      expect(testIds(confirm.body, 'confirm-delete')).toBe(1);
      const done = await c.post(`/portal/credentials/${id}/delete`, {});
      expect(done.statusCode).toBe(303);
      const after = await c.get(done.headers.location as string);
      expect(testIds(after.body, 'toast')).toBe(1);
      expect(testIds(after.body, 'credential-row')).toBe(before + 1);
      expect(await h.services.credentials.verify(keyA, secretA)).toBeUndefined();
      expect(await h.services.credentials.verify(keyB, secretB)).toMatchObject({ patientId: 'p1' });
    });

    it('renders a hostile credential name as text', async () => {
      const c = await signedIn();
      const reveal = await generate(c, '<img src=x onerror=alert(1)>');
      expect(reveal.body).not.toContain('<img src=x');
      expect(reveal.body).toContain('&lt;img src=x onerror=alert(1)>');
      const page = await c.get('/portal/history');
      expect(page.body).not.toContain('<img src=x');
    });

    it('refuses form posts without a valid CSRF token', async () => {
      const c = await signedIn();
      const count = (await h.services.credentials.list('p1')).length;
      await c.get('/portal/history');
      const res = await c.post('/portal/credentials', { name: 'Forged' }, { csrf: false });
      expect(res.statusCode).toBe(403);
      const forged = await c.post('/portal/credentials', { name: 'Forged', _csrf: 'not-a-token' }, { csrf: false });
      expect(forged.statusCode).toBe(403);
      expect((await h.services.credentials.list('p1')).length).toBe(count);
      const login = await new PageClient(h.app).post('/portal/login', { username: 'jane', password: PASSWORD }, { csrf: false });
      expect(login.statusCode).toBe(403);
    });

    it("cannot delete another patient's credential", async () => {
      const rick = await signedIn('rick');
      await generate(rick, 'Rick app');
      const rickId = (await h.services.credentials.list('p2'))[0].id;
      const jane = await signedIn();
      await jane.get('/portal/history');
      await jane.post(`/portal/credentials/${rickId}/delete`, {});
      expect((await h.services.credentials.list('p2')).map((x) => x.id)).toContain(rickId);
    });

    it('sends security headers and a strict CSP on every page', async () => {
      const res = await new PageClient(h.app).get('/portal/login');
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const c = await signedIn();
      const cookie = (c.last!.headers['set-cookie'] as string[] | string).toString();
      expect(cookie).toMatch(/ck_portal=.*HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
    });
  });
}
