import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL } from '../../src/fhir/scope.js';
import { backends } from '../helpers/db.js';
import { PageClient } from '../portal/browser-client.js';
import { addPatient, type Harness, startHarness } from '../portal/harness.js';

describe.each(await backends())('admin groups page on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(kind);
    await addPatient(h.services, 'p1', 'Shaw');
    await addPatient(h.services, 'p2', 'Baxter');
    await addPatient(h.services, 'p3', 'Other');
    await h.services.staff.create('frontdesk', 'staff password 123');
  });
  afterAll(() => h?.close());

  const admin = async () => {
    const c = new PageClient(h.app);
    expect((await c.signIn('admin', 'frontdesk', 'staff password 123')).headers.location).toBe('/admin/patients');
    return c;
  };
  const groupIds = async () => (await h.services.db.all<{ id: string }>("SELECT id FROM resources WHERE type = 'Group'")).map((r) => r.id);

  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const c = new PageClient(h.app);
    const res = await c.get('/admin/groups');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login');
  });

  it('creates a group from ids and identifiers, escapes its name, and audits it', async () => {
    const c = await admin();
    expect((await c.get('/admin/groups')).statusCode).toBe(200);
    const res = await c.post('/admin/groups', { name: '<script>alert(1)</script> Diabetes', patients: 'p1\r\nurn:test:mrn|MRN-p2\n' });
    expect(res.statusCode).toBe(303);
    const id = /created=([0-9a-f-]+)/.exec(String(res.headers.location))![1];
    const group = JSON.parse((await h.services.store.read(ALL, 'Group', id))!.json);
    expect(group.member.map((m: { entity: { reference: string } }) => m.entity.reference)).toEqual(['Patient/p1', 'Patient/p2']);
    const page = await c.get(String(res.headers.location));
    expect(page.body).toContain(id);
    expect(page.body).toContain('&lt;script>alert(1)&lt;/script> Diabetes');
    expect(page.body).not.toContain('<script>alert(1)');
    const audit = await h.services.audit.list({ action: 'group.create' });
    expect(audit.events.some((e) => e.detail.group === id && e.actorKind === 'staff')).toBe(true);
  });

  it('makes a group of every patient', async () => {
    const c = await admin();
    await c.get('/admin/groups');
    const res = await c.post('/admin/groups', { name: 'Everyone', patients: '', all: '1' });
    expect(res.statusCode).toBe(303);
    const id = /created=([0-9a-f-]+)/.exec(String(res.headers.location))![1];
    const group = JSON.parse((await h.services.store.read(ALL, 'Group', id))!.json);
    expect(group.member.map((m: { entity: { reference: string } }) => m.entity.reference).sort()).toEqual(['Patient/p1', 'Patient/p2', 'Patient/p3']);
  });

  it('refuses an unknown patient or an empty list with the reason, storing nothing', async () => {
    const c = await admin();
    await c.get('/admin/groups');
    const before = await groupIds();
    const unknown = await c.post('/admin/groups', { name: 'Bad', patients: 'p1\nnobody-<b>' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('No Patient with id &quot;nobody-&lt;b>&quot;');
    expect(unknown.body).not.toContain('nobody-<b>');
    const empty = await c.post('/admin/groups', { name: 'Empty', patients: '' });
    expect(empty.statusCode).toBe(400);
    expect(await groupIds()).toEqual(before);
  });

  it('refuses a form without a valid CSRF token', async () => {
    const c = await admin();
    await c.get('/admin/groups');
    const before = await groupIds();
    const res = await c.post('/admin/groups', { name: 'Forged', patients: 'p1' }, { csrf: false });
    expect(res.statusCode).toBe(403);
    const forged = await c.post('/admin/groups', { name: 'Forged', patients: 'p1', _csrf: 'not-a-token' }, { csrf: false });
    expect(forged.statusCode).toBe(403);
    expect(await groupIds()).toEqual(before);
  });
});
