import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/importer/index.js';
import { API_TYPES } from '../../src/fhir/resource-types.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { type BoundaryDetector, boundaryDetector, reach } from '../helpers/boundary.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';
import { SAMPLE_DATA, syntheaFile } from '../helpers/sample-data.js';

/**
 * The patient's boundary (SPEC "Credentials, tokens and the patient's boundary"): with
 * patient A's credential, no read, search, include, paging link, history, operation,
 * count or error reveals anything of patient B. A and B are real Synthea patients of the
 * same run, so they share practitioners and organisations; what each may see is computed
 * here from the bundle files, independently of the server.
 */
const A_FILE = 'Sandee884_Lesch175_ad655588-9deb-d164-ea1e-29243f2de17d.json';
const B_FILE = 'Gordon377_Mosciski958_a31a6a86-6dc3-486a-da54-7f42b3fc84c1.json';
const PROVIDERS = ['hospitalInformation1758306633125.json', 'practitionerInformation1758306633125.json'];
const A = 'ad655588-9deb-d164-ea1e-29243f2de17d';
const B = 'a31a6a86-6dc3-486a-da54-7f42b3fc84c1';

type Json = Record<string, any>;
const read = (f: string): Json => JSON.parse(readFileSync(syntheaFile(f), 'utf8'));

describe.runIf(SAMPLE_DATA).each(await backends())("a patient credential never reaches another patient's data on %s", (kind) => {
  let t: TestApp;
  let authA: string;
  let staff: string;
  let allowedA: Set<string>;
  let onlyB: string[];
  let ownB: string[];
  let detector: BoundaryDetector;
  let attempts = 0;
  const bundleB = () => read(B_FILE);

  beforeAll(async () => {
    t = await createTestApp(kind);
    await importFiles(t.services.store, [...PROVIDERS, A_FILE, B_FILE].map(syntheaFile));
    const byIdentifier = new Map<string, string>();
    for (const f of PROVIDERS) {
      for (const e of read(f).entry) {
        for (const id of e.resource.identifier ?? []) byIdentifier.set(`${e.resource.resourceType}|${id.system}|${id.value}`, `${e.resource.resourceType}/${e.resource.id}`);
      }
    }
    const a = reach(read(A_FILE), byIdentifier);
    const b = reach(bundleB(), byIdentifier);
    allowedA = a.all;
    ownB = [...b.own];
    onlyB = [...b.all].filter((k) => !allowedA.has(k));
    detector = boundaryDetector(allowedA, onlyB);
    const c = await credentialFor(t.services, A);
    authA = basic(c.key, c.secret);
    await t.services.staff.create('staffer', 'staff password 123');
    staff = basic('staffer', 'staff password 123');
  }, 180_000);
  afterAll(async () => t?.close());

  /** One attempt: whatever comes back may only hold resources A may see. */
  const attempt = async (method: 'GET' | 'POST', url: string, payload?: string) => {
    attempts++;
    const res = await t.app.inject({
      method, url, payload,
      headers: { authorization: authA, ...(payload ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    });
    expect(res.statusCode, url).toBeLessThan(500);
    const body = res.body ? res.json() : {};
    expect(detector.violation(body, `${url}\n${payload ?? ''}`), url).toBeUndefined();
    return { status: res.statusCode, body };
  };

  it('has data for both patients and B-only resources to protect', () => {
    expect(onlyB.length).toBeGreaterThan(100);
    expect(allowedA.has(`Patient/${A}`)).toBe(true);
  });

  it("reads, vreads and histories of B's resources are 404, like resources that do not exist", async () => {
    const missing = await attempt('GET', '/fhir/Patient/00000000-0000-0000-0000-000000000000');
    const hidden = await attempt('GET', `/fhir/Patient/${B}`);
    expect(hidden.status).toBe(404);
    expect(JSON.stringify(hidden.body).replace(B, 'X')).toBe(JSON.stringify(missing.body).replace('00000000-0000-0000-0000-000000000000', 'X'));
    for (const key of onlyB) expect((await attempt('GET', `/fhir/${key}`)).status, key).toBe(404);
    for (const key of onlyB.slice(0, 40)) {
      expect((await attempt('GET', `/fhir/${key}/_history/1`)).status, key).toBe(404);
      expect((await attempt('GET', `/fhir/${key}/_history`)).status, key).toBe(404);
    }
  });

  it("searches naming B by every reference form return nothing of B's", async () => {
    for (const type of API_TYPES) {
      for (const q of [`patient=${B}`, `subject=${B}`, `subject=Patient/${B}`, `patient=http://chartkey.test/fhir/Patient/${B}`, `_id=${B}`]) {
        await attempt('GET', `/fhir/${type}?${q}`);
      }
      const ids = ownB.filter((k) => k.startsWith(`${type}/`)).map((k) => k.split('/')[1]);
      if (ids.length) await attempt('GET', `/fhir/${type}?_id=${ids.slice(0, 50).join(',')}`);
      await attempt('POST', `/fhir/${type}/_search`, `patient=${B}`);
    }
  });

  it("finds nothing of B by B's demographics, codes or dates", async () => {
    const b = bundleB().entry.map((e: Json) => e.resource);
    const patient = b.find((r: Json) => r.resourceType === 'Patient');
    await attempt('GET', `/fhir/Patient?family=${encodeURIComponent(patient.name[0].family)}`);
    await attempt('GET', `/fhir/Patient?name=${encodeURIComponent(patient.name[0].given[0])}`);
    await attempt('GET', `/fhir/Patient?birthdate=${patient.birthDate}`);
    await attempt('GET', `/fhir/Patient?gender=${patient.gender}`);
    for (const id of patient.identifier) await attempt('GET', `/fhir/Patient?identifier=${encodeURIComponent(`${id.system}|${id.value}`)}`);
    const codes = new Set<string>(b.filter((r: Json) => r.resourceType === 'Observation').flatMap((r: Json) => r.code.coding.map((c: Json) => c.code)));
    for (const code of [...codes].slice(0, 30)) await attempt('GET', `/fhir/Observation?code=${encodeURIComponent(code)}`);
    for (const enc of b.filter((r: Json) => r.resourceType === 'Encounter').slice(0, 10)) {
      await attempt('GET', `/fhir/Encounter?date=${enc.period.start.slice(0, 10)}`);
    }
  });

  it('includes, revincludes and wildcard includes stay inside A', async () => {
    const queries = [
      'Observation?_include=Observation:subject&_include=Observation:performer&_include=Observation:encounter',
      'Encounter?_include=Encounter:participant&_include=Encounter:service-provider&_include=Encounter:location&_include=Encounter:patient',
      'MedicationRequest?_include=MedicationRequest:medication&_include=MedicationRequest:requester',
      'Practitioner?_revinclude=Encounter:participant', 'Practitioner?_revinclude=Encounter:practitioner',
      'Organization?_revinclude=Encounter:service-provider', 'Location?_revinclude=Encounter:location',
      `Patient?_id=${B}&_revinclude=Provenance:target`, `Patient?_id=${A}&_revinclude=Provenance:target`,
      'Provenance?_include=Provenance:target', 'Procedure?_include=*', 'DiagnosticReport?_include=*', 'Encounter?_include=*',
      'Practitioner?_revinclude=*', 'Organization?_revinclude=*',
    ];
    for (const q of queries) await attempt('GET', `/fhir/${q}`);
    const shared = [...allowedA].filter((k) => /^(Practitioner|Organization|Location)\//.test(k));
    for (const key of shared.slice(0, 20)) {
      const [type, id] = key.split('/');
      await attempt('GET', `/fhir/${type}?_id=${id}&_revinclude=Encounter:${type === 'Practitioner' ? 'practitioner' : type === 'Location' ? 'location' : 'service-provider'}`);
    }
  });

  it('counts and totals see only A', async () => {
    const own = (type: string) => [...allowedA].filter((k) => k.startsWith(`${type}/`)).length;
    for (const type of ['Observation', 'Condition', 'Encounter', 'Procedure', 'Immunization', 'DiagnosticReport']) {
      const res = await attempt('GET', `/fhir/${type}?_summary=count`);
      expect(res.body.total, type).toBe(own(type));
      const total = await attempt('GET', `/fhir/${type}?_total=accurate&_count=1`);
      expect(total.body.total, type).toBe(own(type));
    }
  });

  it("paging links taken from a staff search, or tampered with, never widen A's scope", async () => {
    const staffPage = await t.app.inject({ method: 'GET', url: '/fhir/Observation?_count=5', headers: { authorization: staff } });
    const next: string = staffPage.json().link.find((l: Json) => l.relation === 'next').url;
    let url: string | undefined = next.replace('http://chartkey.test', '');
    for (let i = 0; url && i < 5; i++) {
      const page = await attempt('GET', url);
      url = page.body.link?.find((l: Json) => l.relation === 'next')?.url?.replace('http://chartkey.test', '');
    }
    const cursorParam = new URL(next).searchParams;
    for (const [name, value] of cursorParam) {
      if (name.startsWith('_') && value.length > 10) {
        for (const tampered of [value.slice(0, -2), `${value}AA`, Buffer.from('{"seq":0,"values":[]}').toString('base64url'), "' OR 1=1 --"]) {
          const u = new URL(next);
          u.searchParams.set(name, tampered);
          await attempt('GET', u.pathname + u.search);
        }
      }
    }
  });

  it("refuses B's $everything and history, and A's $everything holds only A", async () => {
    expect((await attempt('GET', `/fhir/Patient/${B}/$everything`)).status).toBe(404);
    expect((await attempt('GET', `/fhir/Patient/${B}/_history`)).status).toBe(404);
    const mine = await attempt('GET', `/fhir/Patient/${A}/$everything`);
    expect(mine.status).toBe(200);
    const got = new Set(mine.body.entry.map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`));
    for (const key of read(A_FILE).entry.map((e: Json) => `${e.resource.resourceType}/${e.resource.id}`)) expect(got.has(key), key).toBe(true);
  });

  it('made well over 100 distinct attempts', () => {
    expect(attempts).toBeGreaterThan(100);
  });
});
