import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { form, launch, pkce } from '../oauth/smart-helpers.js';
import { PageClient, testIds } from './browser-client.js';
import { addPatient, enabledPatient, type Harness, startHarness } from './harness.js';

/**
 * The FHIR API Access list's connected apps over HTTP, with grants made the way patients
 * make them (a real launch through the consent page): the row (escaped name, plain-words
 * scope, when, last used), revocation that kills access and refresh tokens, and the
 * redirect URIs typed at credential generation.
 */
const HOSTILE = '<img src=x onerror=alert(1)>"\'';
// Preact escapes `<`, `&` and `"` (text and attributes): no tag can open.
const HOSTILE_ESCAPED = '&lt;img src=x onerror=alert(1)>&quot;\'';
const REDIRECT = 'https://hostile.example/cb';
const JANE = { username: 'jane.apps', password: 'jane password 123' };
const OTHER = { username: 'other.apps', password: 'other password 123' };

for (const kind of await backends()) {
  describe(`connected apps in FHIR API Access (${kind})`, () => {
    let h: Harness;
    let clientId: string;
    beforeAll(async () => {
      h = await startHarness(kind);
      await addPatient(h.services, 'ca1');
      await addPatient(h.services, 'ca2', 'Other');
      await enabledPatient(h.services, 'ca1', JANE.username, JANE.password);
      await enabledPatient(h.services, 'ca2', OTHER.username, OTHER.password);
      clientId = (await h.services.oauth.clients.register({ name: HOSTILE, type: 'public', redirectUris: [REDIRECT], createdBy: 'test' })).client.clientId;
    });
    afterAll(() => h?.close());

    const aud = () => `${h.config.publicUrl}/fhir`;
    const fhirRead = (token: string, id = 'ca1') => h.app.inject({ method: 'GET', url: `/fhir/Patient/${id}`, headers: { authorization: `Bearer ${token}` } });
    const tokenCall = (body: Record<string, string>) => h.app.inject({ method: 'POST', url: '/oauth/token', ...form(body) });

    /** A whole launch by the patient (consent: allow as offered) and the code exchange. */
    async function connect(patient: typeof JANE, scope: string) {
      const p = pkce();
      const r = await launch(h.app, { clientId, redirectUri: REDIRECT, scope, aud: aud(), challenge: p.challenge }, patient);
      expect(r.status).toBe(303);
      const res = await tokenCall({ grant_type: 'authorization_code', code: r.location!.searchParams.get('code')!, redirect_uri: REDIRECT, client_id: clientId, code_verifier: p.verifier });
      expect(res.statusCode).toBe(200);
      return { consent: r.consent!, client: r.client, tokens: res.json() as { access_token: string; refresh_token?: string; patient: string } };
    }

    it('shows the app on the consent page and in the list with its name escaped, what it may read, when and last used', async () => {
      const { consent, client, tokens } = await connect(JANE, 'launch/patient openid fhirUser offline_access patient/*.rs');
      expect(consent).toContain(`data-testid="consent-app-name">${HOSTILE_ESCAPED}<`);
      expect(consent).not.toContain('<img src=x');
      expect(tokens.patient).toBe('ca1');
      expect((await fhirRead(tokens.access_token)).statusCode).toBe(200);

      const page = await client.get('/portal/history');
      expect(page.statusCode).toBe(200);
      expect(testIds(page.body, 'connected-app-row')).toBe(1);
      const row = page.body.slice(page.body.indexOf('data-testid="connected-app-row"'));
      expect(row).toContain(`<div class="name">${HOSTILE_ESCAPED}</div>`);
      expect(page.body).not.toContain('<img src=x');
      expect(row).toContain('Can read: Your whole record. Knows who you are. Keeps access until you remove it here');
      // The FHIR read above went through the access log: last used is set (not "Never").
      expect(row).toMatch(/Connected \d{4}-\d\d-\d\d \d\d:\d\d UTC · Last used \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      expect(testIds(page.body, 'revoke-app')).toBe(1);
    });

    it('translates a narrowed grant into the data categories the patient ticked', async () => {
      const { client } = await connect(OTHER, 'launch/patient patient/AllergyIntolerance.rs patient/Immunization.rs patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs');
      const page = await client.get('/portal/history');
      expect(testIds(page.body, 'connected-app-row')).toBe(1);
      // Labels from src/consent/categories.ts, in its order.
      expect(page.body).toContain('Can read: Vital signs; Allergies; Immunizations</div>');
    });

    it('revokes after confirmation: the row goes, a toast says so, access and refresh tokens die, and it is audited', async () => {
      const jane = new PageClient(h.app);
      const { tokens } = await connect(JANE, 'launch/patient offline_access patient/Patient.rs');
      const grants = await h.services.oauth.grants.listForPatient('ca1');
      expect(grants.length).toBe(2);
      const newest = grants[0];
      expect(newest.scope).toBe('launch/patient offline_access patient/Patient.rs');
      await jane.signIn('portal', JANE.username, JANE.password);
      const list = await jane.get('/portal/history');
      const href = `/portal/apps/${newest.id}/revoke`;
      expect(list.body).toContain(`href="${href}" data-testid="revoke-app"`);

      // Another patient cannot revoke it (not theirs: nothing happens).
      const other = new PageClient(h.app);
      await other.signIn('portal', OTHER.username, OTHER.password);
      expect((await other.get(href)).headers.location).toBe('/portal/history#fhir-api-access');
      await other.get('/portal/history');
      expect((await other.post(href, {})).headers.location).toBe('/portal/history?removed=0#fhir-api-access');
      expect((await fhirRead(tokens.access_token)).statusCode).toBe(200);

      const confirm = await jane.get(href);
      expect(confirm.statusCode).toBe(200);
      expect(testIds(confirm.body, 'confirm-delete')).toBe(1);
      expect(confirm.body).toContain(HOSTILE_ESCAPED);
      const done = await jane.post(href, {});
      expect(done.headers.location).toBe('/portal/history?removed=1#fhir-api-access');
      const after = await jane.get('/portal/history?removed=1');
      expect(after.body).toContain('data-testid="toast">The app no longer has access to your record.</div>');
      expect(testIds(after.body, 'connected-app-row')).toBe(1);

      expect((await fhirRead(tokens.access_token)).statusCode).toBe(401);
      const refreshed = await tokenCall({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: clientId });
      expect(refreshed.statusCode).toBe(400);
      expect(refreshed.json().error).toBe('invalid_grant');
      const event = (await h.services.audit.list({ action: 'app.revoke' })).events[0];
      expect(event).toMatchObject({ actorKind: 'patient', patientId: 'ca1', credentialId: newest.id, detail: { client: clientId, name: HOSTILE } });
    });

    it('takes redirect URIs at generation, checks them, and shows them in the list', async () => {
      const jane = new PageClient(h.app);
      await jane.signIn('portal', JANE.username, JANE.password);
      const formPage = await jane.get('/portal/credentials/new');
      expect(testIds(formPage.body, 'credential-redirect-uri')).toBe(1);

      for (const [text, message] of [
        ['http://plain.example/cb', 'must use https (http only on localhost)'],
        ['https://ok.example/cb\nnot a url', 'Redirect URI &quot;not a url&quot; is not an absolute URL'],
        ['https://frag.example/cb#x', 'Redirect URIs may not contain a fragment'],
        [Array.from({ length: 11 }, (_, i) => `https://many.example/${i}`).join('\n'), 'At most 10 redirect URIs.'],
      ]) {
        const bad = await jane.post('/portal/credentials', { name: 'SMART app', redirectUris: text });
        expect(bad.statusCode).toBe(400);
        expect(bad.body).toContain('role="alert"');
        expect(bad.body).toContain(message);
        expect(bad.body).toContain('value="SMART app"');
        await jane.get('/portal/credentials/new');
      }
      expect(await h.services.credentials.list('ca1')).toEqual([]);

      const res = await jane.post('/portal/credentials', { name: 'SMART app', redirectUris: '  https://mine.example/cb \r\n\r\nhttp://localhost:8000/cb\r\nhttps://mine.example/cb\r\n' });
      expect(res.statusCode).toBe(200);
      const key = /data-testid="credential-key"[^>]*>([A-Za-z0-9]{32})</.exec(res.body)![1];
      // Stored exactly (trimmed, blank lines and the repeat dropped): the credential as a SMART client.
      expect((await h.services.oauth.clients.get(key))!.redirectUris).toEqual(['https://mine.example/cb', 'http://localhost:8000/cb']);
      const list = await jane.get('/portal/history');
      expect(list.body).toContain('data-testid="credential-redirect-uris">Redirect URIs: <code>https://mine.example/cb</code>, <code>http://localhost:8000/cb</code></div>');

      const plain = await (async () => {
        await jane.get('/portal/credentials/new');
        return jane.post('/portal/credentials', { name: 'Key and secret only', redirectUris: '' });
      })();
      const plainKey = /data-testid="credential-key"[^>]*>([A-Za-z0-9]{32})</.exec(plain.body)![1];
      expect((await h.services.oauth.clients.get(plainKey))!.redirectUris).toEqual([]);
      expect(testIds((await jane.get('/portal/history')).body, 'credential-redirect-uris')).toBe(1);
    });
  });
}
