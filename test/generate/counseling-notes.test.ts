import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PATIENTS, DEMO_PORTAL_USERS, DEMO_SEED } from '../../src/demo/seed.js';
import { generatePatients, generateProviders, type Bundle } from '../../src/generate/index.js';
import { importBundles } from '../../src/importer/index.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * Generated data carries unlabelled counseling notes: DocumentReferences typed with a
 * mental-health counseling note code and no security label, which are psychotherapy notes
 * by their type alone (SPEC "Patient controls"; docs/security.md). The codes are written
 * here from their source — the mental-health counseling notes of
 * http://terminology.hl7.org/ValueSet/v3-LoincDocumentOntologyInternational — not read
 * from the generator or the scope module.
 */
type Json = Record<string, any>;
const LOINC = 'http://loinc.org';
const COUNSELING_CODES = ['34864-9', '34865-6', '34866-4', '34787-2', '34790-6', '34793-0'];
const DEPRESSION = '35489007'; // SNOMED CT Depressive disorder
const SEED = 1;
const COUNT = 150;

const resourcesOf = (b: Bundle) => b.entry.map((e) => e.resource as Json);
const counselingNotes = (b: Bundle) =>
  resourcesOf(b).filter((r) => r.resourceType === 'DocumentReference' && (r.type?.coding ?? []).some((c: Json) => c.system === LOINC && COUNSELING_CODES.includes(c.code)));
const labelledPsychotherapy = (r: Json) => (r.meta?.security ?? []).some((s: Json) => s.system === 'http://terminology.hl7.org/CodeSystem/v3-ActCode' && s.code === 'PSYTHPN');
const hasDepression = (b: Bundle) => resourcesOf(b).some((r) => r.resourceType === 'Condition' && (r.code?.coding ?? []).some((c: Json) => c.code === DEPRESSION));

describe('generate: unlabelled counseling notes', () => {
  const bundles = [...generatePatients({ count: COUNT, seed: SEED })];
  const withNotes = bundles.filter((b) => counselingNotes(b).length > 0);

  it('gives a share of the patients with a depressive disorder a counseling note, and nobody else', () => {
    const depressed = bundles.filter(hasDepression);
    expect(withNotes.length).toBeGreaterThan(0);
    expect(withNotes.length).toBeLessThan(depressed.length);
    for (const b of withNotes) expect(hasDepression(b)).toBe(true);
  });

  it('leaves every counseling note without a security label', () => {
    for (const note of withNotes.flatMap(counselingNotes)) expect(note.meta?.security, note.id).toBeUndefined();
  });

  it('names a counseling note only in a Provenance of its own', () => {
    for (const b of withNotes) {
      const notes = new Set(counselingNotes(b).map((r) => `DocumentReference/${r.id}`));
      for (const p of resourcesOf(b).filter((r) => r.resourceType === 'Provenance')) {
        const targets: string[] = p.target.map((t: Json) => t.reference);
        if (targets.some((t) => notes.has(t))) expect(targets).toHaveLength(1);
      }
    }
  });

  it('puts one in the demo practice, for a patient with a portal login', () => {
    const demo = [...generatePatients({ count: DEMO_PATIENTS, seed: DEMO_SEED })];
    expect(demo.slice(0, DEMO_PORTAL_USERS).flatMap(counselingNotes).length).toBeGreaterThan(0);
  });
});

describe.each(await backends())('generated counseling notes through the API on %s', (kind) => {
  const bundles = [...generatePatients({ count: COUNT, seed: SEED })].filter((b) => counselingNotes(b).length > 0).slice(0, 2);
  let t: TestApp;
  let staff: string;
  /** `notes`: the counseling notes; `visible`: the DocumentReferences the patient's apps may see. */
  const patients: Array<{ id: string; auth: string; notes: string[]; visible: string[] }> = [];

  const get = async (auth: string, url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { authorization: auth } });
    return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Json) : {} };
  };
  const ids = (b: Json, type: string) => (b.entry ?? []).filter((e: Json) => e.resource.resourceType === type).map((e: Json) => e.resource.id as string).sort();

  beforeAll(async () => {
    t = await createTestApp(kind);
    await importBundles(t.services.store, [generateProviders(SEED), ...bundles]);
    for (const b of bundles) {
      const resources = resourcesOf(b);
      const id = resources.find((r) => r.resourceType === 'Patient')!.id as string;
      const notes = counselingNotes(b).map((r) => r.id as string);
      const visible = resources
        .filter((r) => r.resourceType === 'DocumentReference' && !notes.includes(r.id) && !labelledPsychotherapy(r))
        .map((r) => r.id as string)
        .sort();
      const { accountId } = await credentialFor(t.services, id, 'unused');
      // Sensitive information included: a psychotherapy note stays hidden whatever the patient chose.
      const made = await t.services.credentials.create(id, accountId, 'Everything', [], { includeSensitive: true });
      patients.push({ id, auth: basic(made.key, made.secret), notes, visible });
    }
    await t.services.staff.create('staffer', 'staff password 123');
    staff = basic('staffer', 'staff password 123');
  }, 120_000);
  afterAll(async () => t?.close());

  it('imports patients whose notes include counseling notes and others (the premise)', () => {
    expect(patients.length).toBeGreaterThan(0);
    for (const p of patients) {
      expect(p.notes.length).toBeGreaterThan(0);
      expect(p.visible.length).toBeGreaterThan(0);
    }
  });

  it('hides them from the patient credential: 404 on read, absent from search and $everything', async () => {
    for (const p of patients) {
      for (const id of p.notes) expect((await get(p.auth, `/fhir/DocumentReference/${id}`)).status, id).toBe(404);
      const search = await get(p.auth, `/fhir/DocumentReference?patient=${p.id}&_count=500`);
      expect(search.status).toBe(200);
      expect(ids(search.body, 'DocumentReference')).toEqual(p.visible);
      const every = await get(p.auth, `/fhir/Patient/${p.id}/$everything`);
      expect(every.status).toBe(200);
      expect(ids(every.body, 'DocumentReference')).toEqual(p.visible);
    }
  });

  it('keeps the Provenance of the patient\'s other notes visible', async () => {
    for (const p of patients) {
      const res = await get(p.auth, `/fhir/DocumentReference?patient=${p.id}&_revinclude=Provenance:target&_count=500`);
      expect(res.status).toBe(200);
      const provenance = (res.body.entry ?? []).filter((e: Json) => e.resource.resourceType === 'Provenance').map((e: Json) => e.resource);
      const named = new Set(provenance.flatMap((pr: Json) => pr.target.map((x: Json) => x.reference)));
      for (const d of p.visible) expect(named.has(`DocumentReference/${d}`), d).toBe(true);
    }
  });

  it('lets staff read them', async () => {
    for (const p of patients) {
      for (const id of p.notes) {
        const res = await get(staff, `/fhir/DocumentReference/${id}`);
        expect(res.status).toBe(200);
        expect(res.body.meta.security).toBeUndefined();
      }
    }
  });
});
