import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopesForCategories } from '../../src/consent/categories.js';
import { generatePatients, generateProviders, type Bundle } from '../../src/generate/index.js';
import { importBundles } from '../../src/importer/index.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * Narrowed credentials (SPEC "Patient controls"): a credential that shares some categories
 * and leaves sensitive records out sees exactly that part of the record everywhere —
 * search, read, paging, count, _include/_revinclude, $everything — and a psychotherapy note
 * is never shared. The expected ids come from the generated bundle (its categories and its
 * meta.security labels), never from the server.
 */
type Json = Record<string, any>;
const SEED = 11;
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CONF = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const SENSITIVE = new Set([`${CONF}|R`, `${CONF}|V`, ...['PSY', 'PSYTHPN', 'ETH', 'SUD', 'HIV', 'SDV', 'STD', 'BH'].map((c) => `${ACT}|${c}`)]);
const labels = (r: Json): string[] => (r.meta?.security ?? []).map((s: Json) => `${s.system}|${s.code}`);
const isSensitive = (r: Json) => labels(r).some((l) => SENSITIVE.has(l));
const isPsychotherapy = (r: Json) => labels(r).includes(`${ACT}|PSYTHPN`);
const obsCategories = (r: Json): string[] => (r.category ?? []).flatMap((c: Json) => (c.coding ?? []).map((x: Json) => x.code));

/** The categories the narrowed credential shares (form ids) and what they mean for the test. */
const SHARED_CATEGORIES = ['demographics', 'labs', 'vital-signs', 'visits', 'providers'];
const SHARED_OBS_CATEGORIES = new Set(['laboratory', 'vital-signs']);

describe.each(await backends())('a narrowed credential on %s', (kind) => {
  let t: TestApp;
  let bundle: Bundle;
  let patientId: string;
  let resources: Json[];
  let narrowed: string;
  let whole: string;
  let withSensitive: string;
  let staff: string;

  const get = async (auth: string, url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: { authorization: auth } });
    return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Json) : {} };
  };
  /** Every page of a search, following next links; the ids by mode. */
  const searchAll = async (auth: string, url: string) => {
    const match: string[] = [];
    const include: string[] = [];
    const bundles: Json[] = [];
    let next: string | undefined = url;
    while (next) {
      const r = await get(auth, next);
      expect(r.status, `${next}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(200);
      bundles.push(r.body);
      for (const e of r.body.entry ?? []) {
        if (e.resource.resourceType === 'OperationOutcome') continue;
        (e.search?.mode === 'include' ? include : match).push(`${e.resource.resourceType}/${e.resource.id}`);
      }
      const link = (r.body.link ?? []).find((l: Json) => l.relation === 'next')?.url as string | undefined;
      next = link ? link.replace('http://chartkey.test', '') : undefined;
    }
    return { match, include, bundles };
  };
  const ofType = (type: string, keep: (r: Json) => boolean) =>
    resources.filter((r) => r.resourceType === type && keep(r)).map((r) => `${type}/${r.id}`).sort();

  beforeAll(async () => {
    t = await createTestApp(kind);
    [bundle] = [...generatePatients({ count: 1, seed: SEED })];
    await importBundles(t.services.store, [generateProviders(SEED), bundle]);
    resources = bundle.entry!.map((e) => e.resource as Json);
    patientId = resources.find((r) => r.resourceType === 'Patient')!.id;
    const mk = async (name: string, choices: Parameters<typeof t.services.credentials.create>[4]) => {
      const c = await credentialFor(t.services, patientId, 'unused');
      const made = await t.services.credentials.create(patientId, c.accountId, name, [], choices);
      return basic(made.key, made.secret);
    };
    narrowed = await mk('Narrow', { grantedScope: scopesForCategories(SHARED_CATEGORIES), includeSensitive: false });
    whole = await mk('Whole', {});
    withSensitive = await mk('Sensitive', { includeSensitive: true });
    await t.services.staff.create('staffer', 'staff password 123');
    staff = basic('staffer', 'staff password 123');
  }, 120_000);
  afterAll(async () => t?.close());

  it('has sensitive records and a psychotherapy note in its input data (the premise of this suite)', () => {
    expect(resources.filter(isPsychotherapy).map((r) => r.resourceType)).toContain('DocumentReference');
    expect(resources.filter((r) => isSensitive(r) && !isPsychotherapy(r)).length).toBeGreaterThan(1);
    expect(resources.some((r) => r.resourceType === 'Observation' && isSensitive(r))).toBe(true);
  });

  it('answers 403 for a type it does not share, by search and by read', async () => {
    for (const type of ['Condition', 'MedicationRequest', 'AllergyIntolerance', 'Immunization']) {
      const s = await get(narrowed, `/fhir/${type}?patient=${patientId}`);
      expect(s.status, type).toBe(403);
      expect(s.body.resourceType).toBe('OperationOutcome');
      const id = resources.find((r) => r.resourceType === type)?.id;
      if (id) expect((await get(narrowed, `/fhir/${type}/${id}`)).status, type).toBe(403);
    }
  });

  it('finds exactly the Observations of the shared categories without sensitive ones — the same ids as the whole credential, filtered by the input data', async () => {
    const expected = ofType('Observation', (r) => obsCategories(r).some((c) => SHARED_OBS_CATEGORIES.has(c)) && !isSensitive(r));
    expect(expected.length).toBeGreaterThan(5);
    const got = await searchAll(narrowed, `/fhir/Observation?patient=${patientId}&_count=7`);
    expect(got.bundles.length).toBeGreaterThan(1); // paged
    expect([...got.match].sort()).toEqual(expected);
    const full = await searchAll(withSensitive, `/fhir/Observation?patient=${patientId}&_count=500`);
    const byId = new Map(resources.map((r) => [`${r.resourceType}/${r.id}`, r]));
    const filtered = full.match.filter((k) => obsCategories(byId.get(k)!).some((c) => SHARED_OBS_CATEGORIES.has(c)) && !isSensitive(byId.get(k)!));
    expect([...got.match].sort()).toEqual(filtered.sort());
  });

  it('counts only what it shares (_summary=count, _total=accurate)', async () => {
    const expected = ofType('Observation', (r) => obsCategories(r).some((c) => SHARED_OBS_CATEGORIES.has(c)) && !isSensitive(r));
    expect((await get(narrowed, `/fhir/Observation?patient=${patientId}&_summary=count`)).body.total).toBe(expected.length);
    expect((await get(narrowed, `/fhir/Observation?patient=${patientId}&_count=1&_total=accurate`)).body.total).toBe(expected.length);
    const docs = ofType('DocumentReference', (r) => !isSensitive(r));
    expect((await get(narrowed, `/fhir/DocumentReference?patient=${patientId}&_summary=count`)).body.total).toBe(docs.length);
  });

  it('answers 404 when reading a resource outside its categories or labelled sensitive, as for an unknown id', async () => {
    const hidden = resources.filter(
      (r) => (r.resourceType === 'Observation' && (!obsCategories(r).some((c) => SHARED_OBS_CATEGORIES.has(c)) || isSensitive(r))) || (r.resourceType === 'DocumentReference' && isSensitive(r)),
    );
    expect(hidden.length).toBeGreaterThan(3);
    for (const r of hidden) {
      const res = await get(narrowed, `/fhir/${r.resourceType}/${r.id}`);
      expect(res.status, `${r.resourceType}/${r.id}`).toBe(404);
      expect(JSON.stringify(res.body)).toBe(JSON.stringify((await get(narrowed, `/fhir/${r.resourceType}/no-such-${r.id.slice(0, 8)}`)).body).replace(`no-such-${r.id.slice(0, 8)}`, r.id));
    }
    const sensitiveDocs = resources.filter((r) => r.resourceType === 'DocumentReference' && isSensitive(r));
    for (const r of sensitiveDocs) expect((await get(narrowed, `/fhir/DocumentReference/${r.id}/_history`)).status).toBe(404);
  });

  it('never includes a hidden resource through _include or _revinclude, and no included Provenance names one', async () => {
    const visible = new Set(
      resources.filter((r) => !isSensitive(r) && (r.resourceType !== 'Observation' || obsCategories(r).some((c) => SHARED_OBS_CATEGORIES.has(c)))).map((r) => `${r.resourceType}/${r.id}`),
    );
    const enc = await searchAll(narrowed, `/fhir/Encounter?patient=${patientId}&_revinclude=DocumentReference:encounter&_revinclude=Observation:encounter&_revinclude=Provenance:target&_count=50`);
    const docs = await searchAll(narrowed, `/fhir/DocumentReference?patient=${patientId}&_include=DocumentReference:encounter&_revinclude=Provenance:target`);
    for (const key of [...enc.include, ...docs.match, ...docs.include]) {
      if (key.startsWith('Practitioner/') || key.startsWith('Organization/') || key.startsWith('Location/')) continue;
      expect(visible.has(key), key).toBe(true);
    }
    for (const b of [...enc.bundles, ...docs.bundles]) {
      for (const e of b.entry ?? []) {
        if (e.resource.resourceType !== 'Provenance') continue;
        for (const target of e.resource.target) expect(visible.has(target.reference), `Provenance names ${target.reference}`).toBe(true);
      }
    }
    expect(docs.match.sort()).toEqual(ofType('DocumentReference', (r) => !isSensitive(r)));
    expect(enc.include.some((k) => k.startsWith('Provenance/'))).toBe(true);
  });

  it('returns the shared part of $everything (200): no hidden type, category or label', async () => {
    const r = await get(narrowed, `/fhir/Patient/${patientId}/$everything`);
    expect(r.status).toBe(200);
    const keys: string[] = r.body.entry.map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`);
    const byKey = new Map(resources.map((x) => [`${x.resourceType}/${x.id}`, x]));
    for (const key of keys) {
      const type = key.split('/')[0];
      expect(['Condition', 'MedicationRequest', 'AllergyIntolerance', 'Immunization', 'CarePlan', 'Goal'].includes(type), key).toBe(false);
      const own = byKey.get(key);
      if (own) expect(isSensitive(own), key).toBe(false);
    }
    expect(keys.filter((k) => k.startsWith('Observation/')).sort()).toEqual(
      ofType('Observation', (x) => obsCategories(x).some((c) => SHARED_OBS_CATEGORIES.has(c)) && !isSensitive(x)),
    );
    for (const e of r.body.entry) if (e.resource.resourceType === 'Provenance') for (const tg of e.resource.target) expect(byKey.has(tg.reference) ? !isSensitive(byKey.get(tg.reference)!) : true).toBe(true);
  });

  it('gets a token whose scope is the credential\'s grant, and the token sees the same', async () => {
    const key = Buffer.from(narrowed.slice(6), 'base64').toString().split(':');
    const res = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { authorization: basic(key[0], key[1]), 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials' });
    expect(res.statusCode).toBe(200);
    const token = JSON.parse(res.body) as Json;
    expect(token.scope).toContain('patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory');
    expect(token.scope).not.toContain('Condition');
    const bearer = `Bearer ${token.access_token}`;
    expect((await get(bearer, `/fhir/Condition?patient=${patientId}`)).status).toBe(403);
    const got = await searchAll(bearer, `/fhir/Observation?patient=${patientId}&_count=500`);
    expect(got.match.sort()).toEqual(ofType('Observation', (r) => obsCategories(r).some((c) => SHARED_OBS_CATEGORIES.has(c)) && !isSensitive(r)));
    const asked = await t.app.inject({
      method: 'POST', url: '/oauth/token', headers: { authorization: basic(key[0], key[1]), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&scope=patient/Condition.rs',
    });
    expect(asked.statusCode).toBe(400);
  });

  it('leaves sensitive records out of a credential generated with the defaults', async () => {
    const docs = await searchAll(whole, `/fhir/DocumentReference?patient=${patientId}&_count=500`);
    expect(docs.match.sort()).toEqual(ofType('DocumentReference', (r) => !isSensitive(r)));
    const obs = await searchAll(whole, `/fhir/Observation?patient=${patientId}&_count=500`);
    expect(obs.match.sort()).toEqual(ofType('Observation', (r) => !isSensitive(r)));
    for (const r of resources.filter(isSensitive)) expect((await get(whole, `/fhir/${r.resourceType}/${r.id}`)).status, `${r.resourceType}/${r.id}`).toBe(404);
  });

  it('shares sensitive records when the patient ticked it — but never a psychotherapy note', async () => {
    const docs = await searchAll(withSensitive, `/fhir/DocumentReference?patient=${patientId}&_count=500`);
    expect(docs.match.sort()).toEqual(ofType('DocumentReference', (r) => !isPsychotherapy(r)));
    expect(docs.match.length).toBeGreaterThan(ofType('DocumentReference', (r) => !isSensitive(r)).length);
    for (const r of resources.filter(isPsychotherapy)) {
      expect((await get(withSensitive, `/fhir/${r.resourceType}/${r.id}`)).status).toBe(404);
      expect((await get(staff, `/fhir/${r.resourceType}/${r.id}`)).status).toBe(200);
    }
    const all = await get(withSensitive, `/fhir/Patient/${patientId}/$everything`);
    const keys = new Set(all.body.entry.map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`));
    for (const r of resources) {
      const key = `${r.resourceType}/${r.id}`;
      if (isPsychotherapy(r)) expect(keys.has(key), key).toBe(false);
      else if (r.resourceType !== 'Provenance') expect(keys.has(key), key).toBe(true);
    }
    const staffAll = await get(staff, `/fhir/Patient/${patientId}/$everything`);
    const staffKeys = new Set(staffAll.body.entry.map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`));
    for (const r of resources.filter(isPsychotherapy)) expect(staffKeys.has(`${r.resourceType}/${r.id}`)).toBe(true);
  });
});
