import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePatients, generateProviders } from '../../src/generate/index.js';
import { importBundles } from '../../src/importer/index.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { form, launch, pkce } from '../oauth/smart-helpers.js';
import { addPatient, enabledPatient } from '../portal/harness.js';
import { PageClient, testIds } from '../portal/browser-client.js';

/**
 * Patient controls for connected apps (SMART grants), over HTTP: the consent page offers
 * "Include sensitive information" (unticked by default) and the grant shares sensitive
 * records only when ticked — never a psychotherapy note; and each connected app has an
 * activity page (newest first, paged) and CSV, like a credential. Expected ids come from
 * the generated bundle's labels; expected activity from the calls this test makes.
 */
type Json = Record<string, any>;
const SEED = 5;
const REDIRECT = 'https://app.example.org/callback';
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CONF = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const SENSITIVE = new Set([`${CONF}|R`, `${CONF}|V`, ...['PSY', 'PSYTHPN', 'ETH', 'SUD', 'HIV', 'SDV', 'STD', 'BH'].map((c) => `${ACT}|${c}`)]);
const labels = (r: Json): string[] => (r.meta?.security ?? []).map((s: Json) => `${s.system}|${s.code}`);
const isSensitive = (r: Json) => labels(r).some((l) => SENSITIVE.has(l));
const isPsychotherapy = (r: Json) => labels(r).includes(`${ACT}|PSYTHPN`);
const PATIENT = { username: 'gina', password: 'correct horse battery' };

describe.each(await backends())('connected apps under patient controls on %s', (kind) => {
  let t: TestApp;
  let resources: Json[];
  let patientId: string;
  let app: { id: string; secret: string };

  const docIds = (keep: (r: Json) => boolean) => resources.filter((r) => r.resourceType === 'DocumentReference' && keep(r)).map((r) => r.id as string).sort();
  const fhir = (url: string, token: string, ip = '203.0.113.40') => t.app.inject({ method: 'GET', url: `/fhir/${url}`, headers: { authorization: `Bearer ${token}` }, remoteAddress: ip });
  const connect = async (sensitive: boolean) => {
    const p = pkce();
    const r = await launch(t.app, { clientId: app.id, redirectUri: REDIRECT, scope: 'launch/patient openid fhirUser patient/*.rs', aud: 'http://chartkey.test/fhir', challenge: p.challenge }, PATIENT, { sensitive });
    expect(r.status, r.body.slice(0, 300)).toBe(303);
    const code = r.location!.searchParams.get('code')!;
    const body = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier };
    const res = await t.app.inject({ method: 'POST', url: '/oauth/token', ...form(body), headers: { ...form(body).headers, authorization: basic(app.id, app.secret) } });
    expect(res.statusCode).toBe(200);
    const grants = await t.services.oauth.grants.listForPatient(patientId);
    return { token: res.json().access_token as string, consent: r.consent!, grantId: grants[0].id, client: r.client };
  };
  const ids = (body: Json) => (body.entry ?? []).map((e: Json) => e.resource.id as string).sort();

  beforeAll(async () => {
    t = await createTestApp(kind);
    const [bundle] = [...generatePatients({ count: 1, seed: SEED })];
    await importBundles(t.services.store, [generateProviders(SEED), bundle]);
    resources = bundle.entry!.map((e) => e.resource as Json);
    patientId = resources.find((r) => r.resourceType === 'Patient')!.id;
    await enabledPatient(t.services, patientId, PATIENT.username, PATIENT.password);
    await addPatient(t.services, 'other-patient', 'Otherfamily');
    await enabledPatient(t.services, 'other-patient', 'other', 'another good password');
    const reg = await t.services.oauth.clients.register({ name: 'Mood <i>Diary</i>', type: 'confidential', redirectUris: [REDIRECT], createdBy: 'test' });
    app = { id: reg.client.clientId, secret: reg.clientSecret! };
  }, 120_000);
  afterAll(async () => t?.close());

  it('has sensitive notes and a psychotherapy note in its data (the premise)', () => {
    expect(docIds((r) => isSensitive(r) && !isPsychotherapy(r)).length).toBeGreaterThan(0);
    expect(docIds(isPsychotherapy).length).toBeGreaterThan(0);
  });

  it('offers "Include sensitive information" unticked on the consent page; left unticked, the app sees no sensitive record', async () => {
    const { token, consent, client } = await connect(false);
    const box = /<input[^>]*data-testid="consent-sensitive"[^>]*>/.exec(consent)?.[0];
    expect(box).toBeDefined();
    expect(box).not.toMatch(/\schecked/);
    expect(consent).toContain('psychotherapy notes are never shared through the API');
    const docs = await fhir(`DocumentReference?patient=${patientId}&_count=500`, token);
    expect(ids(docs.json())).toEqual(docIds((r) => !isSensitive(r)));
    for (const id of docIds(isSensitive)) expect((await fhir(`DocumentReference/${id}`, token)).statusCode).toBe(404);
    const list = await client.get('/portal/history');
    expect(list.body).toMatch(/data-testid="connected-app-sensitive">Sensitive information left out/);
  });

  it('shares sensitive records when ticked — never the psychotherapy note — and audits the choice', async () => {
    const { token, grantId, client } = await connect(true);
    const docs = await fhir(`DocumentReference?patient=${patientId}&_count=500`, token);
    expect(ids(docs.json())).toEqual(docIds((r) => !isPsychotherapy(r)));
    expect((await fhir(`DocumentReference?patient=${patientId}&_summary=count`, token)).json().total).toBe(docIds((r) => !isPsychotherapy(r)).length);
    for (const id of docIds(isPsychotherapy)) expect((await fhir(`DocumentReference/${id}`, token)).statusCode).toBe(404);
    const every = await fhir(`Patient/${patientId}/$everything`, token);
    const keys = new Set(every.json().entry.map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`));
    for (const r of resources.filter(isPsychotherapy)) expect(keys.has(`${r.resourceType}/${r.id}`)).toBe(false);
    for (const r of resources.filter((x) => isSensitive(x) && !isPsychotherapy(x) && x.resourceType !== 'Provenance')) expect(keys.has(`${r.resourceType}/${r.id}`), r.id).toBe(true);
    const audit = await t.services.db.all<{ credential_id: string; detail: string }>("SELECT credential_id, detail FROM audit_events WHERE action = 'app.authorize'");
    expect(JSON.parse(audit.find((a) => a.credential_id === grantId)!.detail).sensitive).toBe(true);
    const list = await client.get('/portal/history');
    expect(list.body).toMatch(/data-testid="connected-app-sensitive">Includes sensitive information/);
  });

  it('lists every call of a connected app on its activity page, newest first, paged, with a CSV — for the patient only', async () => {
    const { token, grantId, client } = await connect(false);
    const hidden = docIds(isSensitive)[0];
    expect((await fhir(`DocumentReference?patient=${patientId}&_count=500`, token)).statusCode).toBe(200);
    expect((await fhir(`DocumentReference/${hidden}`, token, '198.51.100.9')).statusCode).toBe(404);
    for (let i = 0; i < 50; i++) expect((await fhir(`Patient/${patientId}`, token)).statusCode).toBe(200);
    await t.services.accessLog.flush();
    // 1 token + 1 search + 1 refused read + 50 reads = 53 calls; 50 on the first page.
    const list = await client.get('/portal/history');
    const row = list.body.slice(list.body.lastIndexOf('data-testid="connected-app-row"'));
    expect(list.body).toContain(`href="/portal/apps/${encodeURIComponent(grantId)}/activity" data-testid="credential-activity"`);
    expect(row.length).toBeGreaterThan(0);
    const page = await client.get(`/portal/apps/${encodeURIComponent(grantId)}/activity`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Activity of “Mood &lt;i>Diary&lt;/i>”');
    expect(page.body).not.toContain('<i>Diary');
    expect(testIds(page.body, 'activity-row')).toBe(50);
    const first = /data-testid="activity-row"><td>[^<]*<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/.exec(page.body)!;
    expect([first[2], first[3]]).toEqual(['read', 'Patient']);
    const older = /href="([^"]+)" data-testid="activity-older"/.exec(page.body)![1].replace(/&amp;/g, '&');
    const second = await client.get(older);
    expect(testIds(second.body, 'activity-row')).toBe(3);
    const rows = [...second.body.matchAll(/data-testid="activity-row"><td>[^<]*<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td><td class="num">(\d+)<\/td><td>(\d*)<\/td>/g)].map((m) => m.slice(1).join(' '));
    expect(rows).toEqual([
      '198.51.100.9 error-404 DocumentReference 0 404',
      `203.0.113.40 search-type DocumentReference ${docIds((r) => !isSensitive(r)).length} 200`,
      '127.0.0.1 token  0 200',
    ]);
    const csv = await client.get(`/portal/apps/${encodeURIComponent(grantId)}/activity.csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="activity-app-[A-Za-z0-9-]+\.csv"$/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('"time (UTC)","address","interaction","resource type","resources returned","status"');
    expect(lines.length).toBe(54);
    expect(lines[lines.length - 1]).toMatch(/^"\d{4}-\d\d-\d\dT[^"]+","127.0.0.1","token","","0","200"$/);
    expect(lines[lines.length - 2]).toContain(`"search-type","DocumentReference","${docIds((r) => !isSensitive(r)).length}","200"`);

    // Another patient sees nothing of it.
    const other = new PageClient(t.app);
    await other.signIn('portal', 'other', 'another good password');
    expect((await other.get(`/portal/apps/${encodeURIComponent(grantId)}/activity`)).statusCode).toBe(303);
    expect((await other.get(`/portal/apps/${encodeURIComponent(grantId)}/activity.csv`)).statusCode).not.toBe(200);

    // Removing the app keeps its history.
    await t.services.oauth.grants.revoke(grantId, 'test', patientId);
    const after = await client.get(`/portal/apps/${encodeURIComponent(grantId)}/activity`);
    expect(after.statusCode).toBe(200);
    expect(after.body).toContain('You removed this app’s access');
    expect(testIds(after.body, 'activity-row')).toBe(50);
  });
});
