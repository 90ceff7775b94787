import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { PageClient, testIds } from '../portal/browser-client.js';

/**
 * Expiry, reminders, notices, replace secret and activity (SPEC "Patient controls"), over
 * HTTP against the app, with an injected clock — nothing sleeps. Notices are read from the
 * outbox the mailer writes for a Premium patient; no message may hold a secret.
 */
const DAY = 86_400_000;
const PASSWORD = 'correct horse battery';
type Json = Record<string, any>;

describe.each(await backends())('credential lifecycle on %s', (kind) => {
  let t: TestApp;
  let clock = Date.parse('2026-03-01T12:00:00Z');
  let outbox: string;
  const secrets: string[] = [];

  const patient = (id: string) => ({ resourceType: 'Patient', id, name: [{ family: 'Doe', given: ['Ann'] }], birthDate: '1970-01-01' });
  const fhir = (auth: string, url = '/fhir/Patient/pp1', ip = '203.0.113.7') =>
    t.app.inject({ method: 'GET', url, headers: { authorization: auth }, remoteAddress: ip });
  const token = async (key: string, secret: string) =>
    t.app.inject({ method: 'POST', url: '/oauth/token', headers: { authorization: basic(key, secret), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' });
  const mails = () => {
    try {
      return readdirSync(outbox).map((f) => readFileSync(join(outbox, f), 'utf8'));
    } catch {
      return [];
    }
  };
  const signedIn = async () => {
    const c = new PageClient(t.app, '198.51.100.20');
    expect((await c.signIn('portal', 'ann@example.test', PASSWORD)).headers.location).toBe('/portal/history');
    return c;
  };
  const generate = async (c: PageClient, name: string, extra: Array<[string, string]> = []) => {
    const form = await c.get('/portal/credentials/new');
    expect(testIds(form.body, 'credential-category')).toBeGreaterThan(5);
    const ticked = [...form.body.matchAll(/<input[^>]*name="category" value="([^"]+)"[^>]*checked/g)].map((m) => m[1]);
    const res = await c.post('/portal/credentials', [['name', name], ['sharing', '1'], ...ticked.map((v): [string, string] => ['category', v]), ...extra]);
    expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
    const key = /data-testid="credential-key"[^>]*>([A-Za-z0-9]{32})</.exec(res.body)![1];
    const secret = /data-testid="credential-secret"[^>]*>([A-Za-z0-9]{32})</.exec(res.body)![1];
    secrets.push(secret);
    return { key, secret };
  };
  const flush = () => t.services.accessLog.flush();

  beforeAll(async () => {
    t = await createTestApp(kind, { now: () => clock });
    outbox = join(t.services.config.dataDir, 'outbox');
    rmSync(outbox, { recursive: true, force: true });
    await t.services.store.transaction(async (tx) => void (await tx.put(patient('pp1'))));
    const { token: invite } = await t.services.portal.accounts.invitePremium('pp1', 'ann@example.test', 'test');
    await t.services.portal.accounts.activate(invite, PASSWORD);
  });
  afterAll(async () => {
    rmSync(outbox, { recursive: true, force: true });
    await t?.close();
  });

  it('offers the expiry choices and stops a 30-day credential and its tokens after 30 days (401), listed as expired', async () => {
    const c = await signedIn();
    const form = await c.get('/portal/credentials/new');
    expect(testIds(form.body, 'credential-expiry')).toBe(1);
    expect([...form.body.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1])).toEqual(['30', '90', '365', 'never']);
    const { key, secret } = await generate(c, 'Thirty days', [['expiry', '30']]);
    const tok = JSON.parse((await token(key, secret)).body).access_token as string;
    expect((await fhir(basic(key, secret))).statusCode).toBe(200);
    clock += 30 * DAY - 60_000;
    expect((await fhir(basic(key, secret))).statusCode).toBe(200);
    clock += 2 * 60_000;
    expect((await fhir(basic(key, secret))).statusCode).toBe(401);
    expect((await fhir(`Bearer ${tok}`)).statusCode).toBe(401);
    expect((await token(key, secret)).statusCode).toBe(401);
    // (the session ended with the month that passed: sign in again)
    const list = await (await signedIn()).get('/portal/history');
    expect(list.body).toContain('data-testid="credential-expired"');
  });

  it('reminds once, 7 days before expiry: a banner for the patient and an e-mail for Premium, whatever how often the job runs', async () => {
    const c = await signedIn();
    await generate(c, 'Ninety days', [['expiry', '90']]);
    const before = mails().filter((m) => m.includes('expire')).length;
    clock += 82 * DAY;
    expect((await t.services.controlsJob.runDue()).reminders).toBe(0);
    clock += 2 * DAY;
    expect((await t.services.controlsJob.runDue()).reminders).toBe(1);
    expect((await t.services.controlsJob.runDue()).reminders).toBe(0);
    clock += DAY;
    expect((await t.services.controlsJob.runDue()).reminders).toBe(0);
    const reminders = mails().filter((m) => m.includes('“Ninety days” will expire'));
    expect(reminders.length).toBe(1);
    expect(mails().filter((m) => m.includes('expire')).length).toBe(before + 1);
    const page = await (await signedIn()).get('/portal/history');
    expect(page.body).toMatch(/data-testid="notice-banner" data-notice-kind="expiring"/);
  });

  it('tells the patient when credentials are created, first used and used from a new /24 network — never with a secret', async () => {
    const c = await signedIn();
    const { key, secret } = await generate(c, 'Notice <b>App</b>');
    expect(mails().some((m) => m.includes('Your API credentials “Notice <b>App</b>” were created.'))).toBe(true);
    expect((await fhir(basic(key, secret), '/fhir/Patient/pp1', '203.0.113.7')).statusCode).toBe(200);
    await flush();
    expect((await fhir(basic(key, secret), '/fhir/Patient/pp1', '203.0.113.99')).statusCode).toBe(200);
    await flush();
    expect(mails().filter((m) => m.includes('“Notice <b>App</b>” were used for the first time, from 203.0.113.0/24')).length).toBe(1);
    expect(mails().filter((m) => m.includes('“Notice <b>App</b>” were used from a network')).length).toBe(0);
    expect((await fhir(basic(key, secret), '/fhir/Patient/pp1', '2001:db8:1234:5678::1')).statusCode).toBe(200);
    await flush();
    expect(mails().filter((m) => m.includes('“Notice <b>App</b>” were used from a network not seen before (2001:db8:1234::/48)')).length).toBe(1);
    const page = await c.get('/portal/history');
    expect(page.body).not.toContain('<b>App</b>');
    expect(page.body).toContain('Notice &lt;b>App&lt;/b>');
    const banners = testIds(page.body, 'notice-banner');
    expect(banners).toBeGreaterThanOrEqual(3);
    const id = /action="\/portal\/notices\/([^/]+)\/dismiss"/.exec(page.body)![1];
    const dismissed = await c.post(`/portal/notices/${id}/dismiss`, {});
    expect(dismissed.statusCode).toBe(303);
    expect(testIds((await c.get('/portal/history')).body, 'notice-banner')).toBe(banners - 1);
    for (const m of mails()) for (const s of secrets) expect(m).not.toContain(s);
    for (const s of secrets) expect(t.logText()).not.toContain(s);
  });

  it('replaces a secret keeping the old one 24 hours, or cutting it (and its tokens) at once', async () => {
    const c = await signedIn();
    const { key, secret: old } = await generate(c, 'Replace me');
    const oldToken = JSON.parse((await token(key, old)).body).access_token as string;
    const credentialId = (await t.services.credentials.list('pp1')).find((x) => x.key === key)!.id;
    expect((await c.get('/portal/history')).body).toContain(`href="/portal/credentials/${credentialId}/replace-secret" data-testid="replace-secret"`);
    await c.get(`/portal/credentials/${credentialId}/replace-secret`);
    const keep = await c.post(`/portal/credentials/${credentialId}/replace-secret`, { old: 'keep' });
    expect(keep.headers['cache-control']).toBe('no-store');
    const fresh = /data-testid="credential-secret"[^>]*>([A-Za-z0-9]{32})</.exec(keep.body)![1];
    expect(/data-testid="credential-key"[^>]*>([A-Za-z0-9]{32})</.exec(keep.body)![1]).toBe(key);
    secrets.push(fresh);
    expect((await fhir(basic(key, fresh))).statusCode).toBe(200);
    expect((await fhir(basic(key, old))).statusCode).toBe(200);
    clock += 24 * 3600_000 - 60_000;
    expect((await fhir(basic(key, old))).statusCode).toBe(200);
    clock += 2 * 60_000;
    expect((await fhir(basic(key, old))).statusCode).toBe(401);
    expect((await fhir(basic(key, fresh))).statusCode).toBe(200);
    expect((await fhir(`Bearer ${oldToken}`)).statusCode).toBe(401); // older than an hour by now

    const fresherToken = JSON.parse((await token(key, fresh)).body).access_token as string;
    clock += 1000;
    const c2 = await signedIn();
    await c2.get(`/portal/credentials/${credentialId}/replace-secret`);
    const cut = await c2.post(`/portal/credentials/${credentialId}/replace-secret`, { old: 'cut' });
    const newest = /data-testid="credential-secret"[^>]*>([A-Za-z0-9]{32})</.exec(cut.body)![1];
    secrets.push(newest);
    expect((await fhir(basic(key, fresh))).statusCode).toBe(401);
    expect((await fhir(`Bearer ${fresherToken}`)).statusCode).toBe(401);
    expect((await fhir(basic(key, newest))).statusCode).toBe(200);
  });

  it('lists every call on the activity page and downloads it as CSV with formula cells neutralised', async () => {
    const c = await signedIn();
    const { key, secret } = await generate(c, '=HYPERLINK("x")');
    expect((await fhir(basic(key, secret), '/fhir/Patient/pp1')).statusCode).toBe(200);
    expect((await fhir(basic(key, secret), '/fhir/Observation?patient=pp1')).statusCode).toBe(200);
    expect((await fhir(basic(key, secret), '/fhir/Patient/nope')).statusCode).toBe(404);
    await flush();
    const history = await c.get('/portal/history');
    const link = [...history.body.matchAll(/href="(\/portal\/credentials\/[^"]+\/activity)" data-testid="credential-activity"/g)].map((m) => m[1]);
    expect(link.length).toBeGreaterThan(0);
    const credentialId = (await t.services.credentials.list('pp1')).find((x) => x.key === key)!.id;
    const page = await c.get(`/portal/credentials/${credentialId}/activity`);
    expect(page.statusCode).toBe(200);
    expect(testIds(page.body, 'activity-row')).toBe(3);
    expect(page.body.indexOf('search-type')).toBeLessThan(page.body.lastIndexOf('>read<'));
    const csv = await c.get(`/portal/credentials/${credentialId}/activity.csv`);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('"time (UTC)","address","interaction","resource type","resources returned","status"');
    expect(lines.length).toBe(4);
    expect(lines[1]).toContain('"404"');
    expect(lines[3]).toMatch(/"read","Patient","1","200"$/);
    // another patient's credential id gives nothing
    const other = new PageClient(t.app);
    expect((await other.get(`/portal/credentials/${credentialId}/activity.csv`)).statusCode).toBe(303);
  });
});

describe('CSV cells', async () => {
  const { csvCell } = await import('../../src/portal/csv.js');
  it('prefixes every cell a spreadsheet would read as a formula', () => {
    for (const hostile of ['=1+1', '+1', '-1', '@SUM(A1)', '\t=1', '\r=1']) expect(csvCell(hostile)).toBe(`"'${hostile}"`);
    expect(csvCell('a "quoted" cell')).toBe('"a ""quoted"" cell"');
    expect(csvCell(null)).toBe('""');
  });
});
