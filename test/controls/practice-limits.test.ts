import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { PageClient, testIds } from '../portal/browser-client.js';

/**
 * The practice's limits on patients' API credentials (issue 11: "a practice setting may cap
 * [credential expiry] and may expire credentials unused for N days"): staff set them on
 * /admin/settings (staff only, CSRF, validated, audited) and the generation form offers
 * only the choices within the cap, refusing any other server-side. Clock injected.
 */
const DAY = 86_400_000;
const PASSWORD = 'correct horse battery';
const STAFF_PASSWORD = 'staff password 123';
type Json = Record<string, any>;

describe.each(await backends())('practice limits on credentials on %s', (kind) => {
  let t: TestApp;
  let clock = Date.parse('2026-04-01T12:00:00Z');

  const staffClient = async () => {
    const c = new PageClient(t.app);
    expect((await c.signIn('admin', 'boss', STAFF_PASSWORD)).statusCode).toBe(303);
    await c.get('/admin/settings');
    return c;
  };
  const patientClient = async () => {
    const c = new PageClient(t.app, '198.51.100.30');
    expect((await c.signIn('portal', 'liz@example.test', PASSWORD)).headers.location).toBe('/portal/history');
    return c;
  };
  const options = (html: string) => [...html.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
  const saveLimits = (c: PageClient, form: Record<string, string>) => c.post('/admin/settings/credentials', form);
  const credentialCount = async () => Number((await t.services.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM api_credentials'))!.n);

  beforeAll(async () => {
    t = await createTestApp(kind, { now: () => clock });
    await t.services.store.transaction(async (tx) => void (await tx.put({ resourceType: 'Patient', id: 'pl1', name: [{ family: 'Lee', given: ['Liz'] }] })));
    const { token } = await t.services.portal.accounts.invitePremium('pl1', 'liz@example.test', 'test');
    await t.services.portal.accounts.activate(token, PASSWORD);
    await t.services.staff.create('boss', STAFF_PASSWORD);
  });
  afterAll(async () => t?.close());

  it('shows the limits to staff only, with no limits by default and six years of activity', async () => {
    const anonymous = new PageClient(t.app);
    const res = await anonymous.get('/admin/settings');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('/admin/login');
    const patient = await patientClient();
    expect((await patient.get('/admin/settings')).statusCode).toBe(303);
    const page = (await staffClient()).last!;
    expect(page.statusCode).toBe(200);
    expect(testIds(page.body, 'credential-limits')).toBe(1);
    expect(page.body).toMatch(/id="settings-max-days"[^>]* value(="")? data-testid/);
    expect(page.body).toMatch(/value="2196"/);
  });

  it('refuses a change without the CSRF token, or from a patient, and saves nothing', async () => {
    const c = await staffClient();
    const res = await c.post('/admin/settings/credentials', { maxDays: '90', idleDays: '', retentionDays: '400' }, { csrf: false });
    expect(res.statusCode).toBe(403);
    const patient = await patientClient();
    await patient.get('/portal/history');
    const asPatient = await patient.post('/admin/settings/credentials', { maxDays: '90', idleDays: '', retentionDays: '400' });
    expect(asPatient.statusCode).not.toBe(200);
    expect(asPatient.headers.location ?? '').not.toContain('saved');
    expect((await t.services.portal.settings.get()).credentialMaxDays).toBeNull();
  });

  it('reports every invalid value at once in plain words, escaped, and saves nothing', async () => {
    const c = await staffClient();
    const res = await saveLimits(c, { maxDays: '10', idleDays: '<script>x</script>', retentionDays: '' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('Longest credential lifetime must be a whole number of days from 30 to 36600, or empty for no limit.');
    expect(res.body).toContain('Expire credentials unused for must be a whole number of days from 1 to 36600, or empty for no limit.');
    expect(res.body).toContain('Keep API activity for must be a whole number of days from 1 to 36600.');
    expect(res.body).not.toContain('<script>x</script>');
    expect(res.body).toContain('value="&lt;script>x&lt;/script>"');
    for (const bad of ['-5', '1.5', '99999999', 'ninety']) {
      expect((await saveLimits(await staffClient(), { maxDays: bad, idleDays: '', retentionDays: '400' })).statusCode, bad).toBe(400);
    }
    const s = await t.services.portal.settings.get();
    expect([s.credentialMaxDays, s.credentialIdleDays, s.accessLogRetentionDays]).toEqual([null, null, 2196]);
  });

  it('saves valid limits, audited with the values before and after', async () => {
    const c = await staffClient();
    const res = await saveLimits(c, { maxDays: '90', idleDays: '45', retentionDays: '400' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/settings?saved=1');
    const s = await t.services.portal.settings.get();
    expect([s.credentialMaxDays, s.credentialIdleDays, s.accessLogRetentionDays]).toEqual([90, 45, 400]);
    const page = await c.get('/admin/settings?saved=1');
    expect(page.body).toContain('Settings saved.');
    expect(page.body).toMatch(/value="90"/);
    const audit = await t.services.db.all<{ actor_id: string; detail: string }>("SELECT actor_id, detail FROM audit_events WHERE action = 'settings.change'");
    const detail = JSON.parse(audit[audit.length - 1].detail) as Json;
    expect(detail).toMatchObject({ credentialMaxDaysBefore: null, credentialMaxDays: 90, credentialIdleDaysBefore: null, credentialIdleDays: 45, accessLogRetentionDaysBefore: 2196, accessLogRetentionDays: 400 });
  });

  it('offers the patient only the expiry choices within the cap and refuses a longer one server-side', async () => {
    const c = await patientClient();
    const form = await c.get('/portal/credentials/new');
    // The choices are 30 days, 90 days, 1 year and never (SPEC); a 90-day cap leaves 30 and 90.
    expect(options(form.body)).toEqual(['30', '90']);
    expect(form.body).toContain('Your practice allows credentials for at most 90 days.');
    const before = await credentialCount();
    for (const expiry of ['365', 'never']) {
      const res = await c.post('/portal/credentials', [['name', `Too long ${expiry}`], ['sharing', '1'], ['category', 'labs'], ['expiry', expiry]]);
      expect(res.statusCode, expiry).toBe(400);
      expect(res.body).toContain('Your practice allows credentials for at most 90 days.');
      await c.get('/portal/credentials/new');
    }
    expect(await credentialCount()).toBe(before);
    const ok = await c.post('/portal/credentials', [['name', 'Within cap'], ['sharing', '1'], ['category', 'labs'], ['expiry', '90']]);
    expect(ok.statusCode).toBe(200);
    const made = (await t.services.credentials.list('pl1')).find((x) => x.name === 'Within cap')!;
    expect(made.expiresAt).toBe(clock + 90 * DAY);
  });

  it('gives a form without the sharing fields (the seed flow) the longest lifetime within the cap', async () => {
    const c = await patientClient();
    await c.get('/portal/credentials/new');
    const res = await c.post('/portal/credentials', { name: 'Plain form' });
    expect(res.statusCode).toBe(200);
    const made = (await t.services.credentials.list('pl1')).find((x) => x.name === 'Plain form')!;
    expect(made.expiresAt).toBe(clock + 90 * DAY);
  });

  it('expires credentials unused for the idle limit', async () => {
    const c = await patientClient();
    await c.get('/portal/credentials/new');
    const res = await c.post('/portal/credentials', [['name', 'Idle app'], ['sharing', '1'], ['category', 'demographics'], ['expiry', '90']]);
    const key = /data-testid="credential-key"[^>]*>([A-Za-z0-9]{32})</.exec(res.body)![1];
    const secret = /data-testid="credential-secret"[^>]*>([A-Za-z0-9]{32})</.exec(res.body)![1];
    const call = () => t.app.inject({ method: 'GET', url: '/fhir/Patient/pl1', headers: { authorization: basic(key, secret) } });
    expect((await call()).statusCode).toBe(200);
    await t.services.accessLog.flush();
    clock += 44 * DAY;
    await t.services.controlsJob.runDue();
    expect((await call()).statusCode).toBe(200);
    await t.services.accessLog.flush();
    clock += 46 * DAY - 60_000; // 46 days after the last use, 89 days after creation
    await t.services.controlsJob.runDue();
    expect((await call()).statusCode).toBe(401);
  });
});
