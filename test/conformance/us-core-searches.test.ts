/**
 * Inferno-style US Core 6.1.0 search suite (conformance/inferno-checklist.md §0, §1a):
 * every REQUIRED search and the SHOULD ones, through the HTTP API with a patient
 * credential's bearer token, with Inferno's variants, on every database backend.
 * docs/conformance.md lists what is covered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { matches } from './us-core/matchers.js';
import { BASE, usCoreClient, type Json, type UsCoreClient } from './us-core/harness.js';
import { MUST_SUPPORT, SLICES, hasPath, profileOf } from './us-core/must-support.js';
import { runGroup } from './us-core/runner.js';
import { REFERENCE_ONLY_SEARCHES, US_CORE_GROUPS } from './us-core/search-table.js';
import { searchValue } from './us-core/values.js';

describe.each(await backends())('US Core 6.1.0 searches as Inferno runs them, on %s', (kind) => {
  let c: UsCoreClient;
  const totals = { searches: 0, variants: 0, skipped: [] as string[] };
  const returned: Json[] = [];
  beforeAll(async () => {
    c = await usCoreClient(kind);
  });
  afterAll(async () => {
    console.info(`[${kind}] US Core searches: ${totals.searches} searches, ${totals.variants} variants; SHOULD skipped for lack of data: ${totals.skipped.join('; ') || 'none'}`);
    await c?.close();
  });

  for (const group of US_CORE_GROUPS) {
    it(`${group.group}: ${group.type} searches and variants`, async () => {
      const report = await runGroup(c, group);
      totals.searches += report.searches;
      totals.variants += report.variants;
      totals.skipped.push(...report.skipped);
      returned.push(...report.returned);
      expect(report.failures).toEqual([]);
    });
  }

  const readBack: Json[] = [];
  it('reads every resource the returned ones reference, and every revincluded Provenance (§1b)', async () => {
    const refs = new Set(returned.flatMap(literalReferences));
    for (const r of returned) if (r.resourceType === 'Provenance') refs.add(`Provenance/${r.id}`);
    const failures: string[] = [];
    for (const ref of [...refs].sort()) {
      const [type, id] = ref.split('/');
      const res = await c.read(type, id);
      if (res.status !== 200 || res.body.resourceType !== type || res.body.id !== id) failures.push(`${ref} → ${res.status} ${res.body.resourceType}/${res.body.id}`);
      else readBack.push(res.body);
    }
    for (const type of ['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'RelatedPerson', 'Specimen', 'Medication', 'Provenance', 'Encounter']) {
      if (!readBack.some((r) => r.resourceType === type)) failures.push(`no ${type} was referenced and read`);
    }
    expect(failures).toEqual([]);
  });

  it('searches the reference-only types with values from the resources read (US Core kit, not g10)', async () => {
    const failures: string[] = [];
    for (const s of REFERENCE_ONLY_SEARCHES) {
      const source = readBack.find((r) => r.resourceType === s.type && s.params.every((p) => searchValue(r, p, c.patientId) !== undefined));
      if (!source) {
        if (s.required) failures.push(`${s.type}?${s.params.join('&')}: nothing read to take values from`);
        continue;
      }
      const params = s.params.map((p): [string, string] => [p, searchValue(source, p, c.patientId) as string]);
      const out = await c.search(s.type, params);
      const own = out.resources.filter((r) => r.resourceType === s.type);
      const reachable = new Set(readBack.filter((r) => r.resourceType === s.type).map((r) => r.id));
      if (out.status !== 200 || !own.some((r) => r.id === source.id)) failures.push(`${s.type}?${new URLSearchParams(params)} → ${out.status}, ${own.length} without ${source.id}`);
      for (const r of own) {
        for (const [p, v] of params) if (!matches(r, p, v)) failures.push(`${s.type}/${r.id} does not match ${p}=${v}`);
        if (!reachable.has(r.id)) failures.push(`${s.type}/${r.id} is referenced by nothing of patient 0`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('shows every must-support element at least once across what patient 0 received (§1c)', () => {
    const all = [...new Map([...returned, ...readBack].map((r) => [`${r.resourceType}/${r.id}`, r])).values()];
    const missing: string[] = [];
    for (const [profile, paths] of Object.entries(MUST_SUPPORT)) {
      const own = all.filter((r) => profileOf(r) === profile);
      if (own.length === 0) missing.push(`${profile}: no resource`);
      else for (const p of paths) if (!own.some((r) => hasPath(r, p))) missing.push(`${profile}: ${p}`);
    }
    for (const [label, test] of SLICES) if (!test(all)) missing.push(label);
    expect(missing).toEqual([]);
  });

  it('passes the cross-resource groups: clinical notes, screening and assessment, missing data (§1d)', async () => {
    const P = c.patientId;
    const docs = (await c.search('DocumentReference', [['patient', P]])).resources.filter((r) => r.resourceType === 'DocumentReference');
    const docTypes = new Set(docs.flatMap((d) => (d.type?.coding ?? []).map((x: Json) => x.code)));
    expect([...NOTE_TYPES].filter((t) => !docTypes.has(t))).toEqual([]);
    const reports = (await c.search('DiagnosticReport', [['patient', P]])).resources.filter((r) => r.resourceType === 'DiagnosticReport');
    const reportCats = new Set(reports.flatMap((d) => (d.category ?? []).flatMap((cc: Json) => (cc.coding ?? []).map((x: Json) => x.code))));
    expect(['LP29708-2', 'LP7839-6', 'LP29684-5'].filter((t) => !reportCats.has(t))).toEqual([]);
    const urls = new Set(docs.flatMap((d) => (d.content ?? []).map((x: Json) => x.attachment?.url)));
    const forms = reports.flatMap((r) => (r.presentedForm ?? []).map((f: Json) => f.url as string | undefined)).filter((u) => u !== undefined);
    expect(forms.filter((u) => !urls.has(u))).toEqual([]);

    const uscat = (rs: Json[]) => new Set(rs.flatMap((r) => (r.category ?? []).flatMap((cc: Json) => (cc.coding ?? []).filter((x: Json) => x.system === US_CATEGORY).map((x: Json) => x.code))));
    const concerns = (await c.search('Condition', [['patient', P], ['category', 'health-concern,problem-list-item']])).resources;
    expect(uscat(concerns).has('sdoh')).toBe(true);
    const surveys = (await c.search('Observation', [['patient', P], ['category', 'survey']])).resources;
    expect(['sdoh', 'functional-status', 'disability-status', 'cognitive-status'].filter((x) => !uscat(surveys).has(x))).toEqual([]);

    const text = JSON.stringify(returned);
    expect(text).toContain('"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason"');
    expect(text).toMatch(/"system":"http:\/\/terminology\.hl7\.org\/CodeSystem\/data-absent-reason","code":"unknown"/);
  });

  it('answers searches without status, intent or category with 200 (we do not require status)', async () => {
    const P = c.patientId;
    const queries: Array<[string, Array<[string, string]>]> = [
      ['CareTeam', [['patient', P]]], ['MedicationRequest', [['patient', P]]], ['Observation', [['patient', P]]], ['Condition', [['patient', P]]],
      ['DiagnosticReport', [['patient', P]]], ['CarePlan', [['patient', P]]],
      // §3.5: each type's first search as the limited-scope test sends it (3.1.1 metadata values).
      ['Observation', [['patient', P], ['code', '2708-6']]], ['CareTeam', [['patient', P], ['status', 'proposed']]], ['MedicationRequest', [['patient', P], ['intent', 'proposal']]],
    ];
    for (const [type, params] of queries) {
      const out = await c.search(type, params);
      expect(out.status, `${type}?${new URLSearchParams(params)}`).toBe(200);
    }
  });

  it('reads a date offset sent with a raw, unencoded + (form decoding turns it into a space)', async () => {
    const obs = returned.find((r) => r.resourceType === 'Observation' && typeof r.effectiveDateTime === 'string' && /[+-]\d\d:\d\d$/.test(r.effectiveDateTime));
    expect(obs).toBeDefined();
    // The same instant written with a +05:30 offset.
    const instant = Date.parse(obs!.effectiveDateTime);
    const shifted = new Date(instant + 330 * 60_000).toISOString().slice(0, 19) + '+05:30';
    const code = obs!.code.coding[0].code as string;
    for (const date of [shifted, `le${shifted}`]) {
      const raw = await c.searchRaw('Observation', `patient=${c.patientId}&code=${code}&date=${date}`);
      expect(raw.status, date).toBe(200);
      expect(raw.resources.map((r) => r.id), date).toContain(obs!.id);
      for (const r of raw.resources) expect(matches(r, 'date', date.replace(' ', '+')), `${r.id} ${date}`).toBe(true);
    }
  });

  it("never returns patient 1's data to patient 0's token", async () => {
    for (const [type, param] of [['Observation', 'patient'], ['Condition', 'patient'], ['Patient', '_id'], ['Encounter', 'patient']] as const) {
      const out = await c.search(type, [[param, c.otherPatientId]]);
      expect(out.status).toBe(200);
      expect(out.resources.filter((r) => r.resourceType !== 'OperationOutcome')).toEqual([]);
    }
    expect((await c.read('Patient', c.otherPatientId)).status).toBe(404);
  });
});

const NOTE_TYPES = ['11488-4', '18842-5', '34117-2', '28570-0', '11506-3', '18748-4', '11502-2', '11526-1'];
const US_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category';

/** `Type/id` of every literal reference in a resource (contained resources and `#` references skipped). */
function literalReferences(resource: Json): string[] {
  const out: string[] = [];
  const walk = (node: unknown, top: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n) => walk(n, false));
    if (!node || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Json)) {
      if (top && k === 'contained') continue;
      if (k === 'reference' && typeof v === 'string') {
        const local = v.startsWith(`${BASE}/`) ? v.slice(BASE.length + 1) : v;
        if (/^[A-Z][A-Za-z]+\/[A-Za-z0-9.-]{1,64}$/.test(local)) out.push(local);
      } else walk(v, false);
    }
  };
  walk(resource, true);
  return out;
}
