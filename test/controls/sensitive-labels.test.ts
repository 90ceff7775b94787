import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePatients, generateProviders } from '../../src/generate/index.js';
import { importBundles } from '../../src/importer/index.js';
import { basic } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { PageClient, testIds } from '../portal/browser-client.js';
import { enabledPatient, type Harness, startHarness } from '../portal/harness.js';

/**
 * Sensitive labels end to end: import keeps them, staff add one from the admin page (a new
 * version, audited) and a credential loses sight of the record at once, while My History
 * shows the patient every record of theirs with a "sensitive" tag — but no psychotherapy note.
 */
type Json = Record<string, any>;
const PASSWORD = 'correct horse battery';

describe.each(await backends())('sensitive labels on %s', (kind) => {
  let h: Harness;
  let resources: Json[];
  let patientId: string;
  let auth: string;

  beforeAll(async () => {
    h = await startHarness(kind);
    const [bundle] = [...generatePatients({ count: 1, seed: 5 })];
    await importBundles(h.services.store, [generateProviders(5), bundle]);
    resources = bundle.entry!.map((e) => e.resource as Json);
    patientId = resources.find((r) => r.resourceType === 'Patient')!.id;
    await enabledPatient(h.services, patientId, 'sam', PASSWORD);
    const account = await h.services.portal.accounts.getByPatient(patientId);
    const c = await h.services.credentials.create(patientId, account!.id, 'App');
    auth = basic(c.key, c.secret);
    await h.services.staff.create('staffer', 'staff password 123');
  }, 120_000);
  afterAll(async () => h?.close());

  it('keeps the labels of imported records', async () => {
    const labelled = resources.filter((r) => r.meta?.security);
    expect(labelled.length).toBeGreaterThan(2);
    for (const r of labelled) {
      const stored = await h.services.store.read({ kind: 'all' }, r.resourceType, r.id);
      expect(JSON.parse(stored!.json).meta.security).toEqual(r.meta.security);
    }
  });

  it('lets staff label a record sensitive: a new version, audited, hidden from a credential on the next call', async () => {
    const target = resources.find((r) => r.resourceType === 'Observation' && !r.meta?.security && r.category?.[0]?.coding?.[0]?.code === 'vital-signs')!;
    const read = () => h.app.inject({ method: 'GET', url: `/fhir/Observation/${target.id}`, headers: { authorization: auth } });
    expect((await read()).statusCode).toBe(200);
    const staff = new PageClient(h.app);
    expect((await staff.signIn('admin', 'staffer', 'staff password 123')).statusCode).toBe(303);
    const page = await staff.get(`/admin/patients/${patientId}/sensitive`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`Observation/${target.id}`);
    const res = await staff.post(`/admin/patients/${patientId}/sensitive`, { type: 'Observation', id: target.id, label: 'BH' });
    expect(res.headers.location).toContain('done=marked');
    const stored = JSON.parse((await h.services.store.read({ kind: 'all' }, 'Observation', target.id))!.json);
    expect(stored.meta.versionId).toBe('2');
    expect(stored.meta.security).toEqual([expect.objectContaining({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'BH' })]);
    expect((await read()).statusCode).toBe(404);
    const audit = await h.services.db.all<{ detail: string }>("SELECT detail FROM audit_events WHERE action = 'resource.mark-sensitive'");
    expect(audit.map((a) => JSON.parse(a.detail).resource)).toContain(`Observation/${target.id}`);
    // another patient's record cannot be labelled through this patient's page
    await staff.get(`/admin/patients/${patientId}/sensitive`);
    const foreign = await staff.post(`/admin/patients/no-such-patient/sensitive`, { type: 'Observation', id: target.id, label: 'PSY' });
    expect(foreign.headers.location).toContain('done=not_found');
  });

  it("lists on staff's labelling page every record of the patient's own of the types a label applies to, and nothing else", async () => {
    // The types docs/admin.md names for the *Sensitive records* page.
    const labellable = ['Condition', 'Observation', 'DocumentReference', 'DiagnosticReport', 'MedicationRequest', 'Encounter', 'Procedure', 'AllergyIntolerance', 'CarePlan', 'Goal'];
    const expected = resources.filter((r) => labellable.includes(r.resourceType)).map((r) => `${r.resourceType}/${r.id}`);
    expect(expected.length).toBeGreaterThan(200); // more than one page (docs/admin.md: 200 a page)
    expect(resources.some((r) => !labellable.includes(r.resourceType) && r.resourceType !== 'Patient')).toBe(true);
    const staff = new PageClient(h.app);
    expect((await staff.signIn('admin', 'staffer', 'staff password 123')).statusCode).toBe(303);
    const listed: string[] = [];
    let url: string | undefined = `/admin/patients/${patientId}/sensitive`;
    let pages = 0;
    while (url) {
      const page = await staff.get(url);
      expect(page.statusCode).toBe(200);
      const onPage = [...page.body.matchAll(/<code class="muted">([A-Za-z]+\/[A-Za-z0-9.-]+)<\/code>/g)].map((m) => m[1]);
      expect(onPage.length).toBeLessThanOrEqual(200);
      listed.push(...onPage);
      url = /<a href="([^"]+)" data-testid="sensitive-next">/.exec(page.body)?.[1]?.replace(/&amp;/g, '&');
      pages++;
    }
    expect(pages).toBe(Math.ceil(expected.length / 200));
    expect(listed.sort()).toEqual(expected.sort());
    // A form on a later page answers back to that page (a refused label changes nothing).
    const second = await staff.get(`/admin/patients/${patientId}/sensitive`);
    const after = /\?after=(\d+)" data-testid="sensitive-next"/.exec(second.body)![1];
    await staff.get(`/admin/patients/${patientId}/sensitive?after=${after}`);
    const res = await staff.post(`/admin/patients/${patientId}/sensitive`, { type: 'Observation', id: 'none', label: 'not-a-label', after: String(after) });
    expect(res.headers.location).toBe(`/admin/patients/${patientId}/sensitive?done=bad_label&after=${after}`);
  });

  it('shows the patient every record with a "sensitive" tag in My History, but no psychotherapy note', async () => {
    const c = new PageClient(h.app);
    expect((await c.signIn('portal', 'sam', PASSWORD)).headers.location).toBe('/portal/history');
    const page = await c.get('/portal/history');
    expect(page.statusCode).toBe(200);
    const sensitiveDocs = resources.filter((r) => r.resourceType === 'DocumentReference' && r.meta?.security);
    expect(sensitiveDocs.length).toBe(2);
    expect(testIds(page.body, 'sensitive-tag')).toBeGreaterThan(0);
    const row = /<tr><td>([^<]*)<span class="tag sensitive"/.exec(page.body);
    expect(row).not.toBeNull();
    const progress = sensitiveDocs.find((r) => !r.meta.security.some((s: Json) => s.code === 'PSYTHPN'))!;
    const therapy = sensitiveDocs.find((r) => r.meta.security.some((s: Json) => s.code === 'PSYTHPN'))!;
    expect(progress.description).toBe('Behavioral health progress note');
    expect(page.body).toContain(progress.content[0].attachment.title);
    expect(page.body).not.toContain(therapy.description);
  });
});
