import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patientScope } from '../../../src/fhir/scope.js';
import { normalizeString } from '../../../src/fhir/search/normalize.js';
import { backends } from '../../helpers/db.js';
import { BASE, codings, loadFixture, PATIENTS, patientBundleResources, refId, sorted, type Fixture, type Res } from './fixture.js';

/**
 * Searches over real Synthea data, each compared with the answer computed by walking the
 * bundle JSON in the test (never with numbers taken from running the code).
 */
const all = patientBundleResources();
const P = PATIENTS.sandee;
const of = (type: string, pid = P) =>
  all.filter((r) => r.resourceType === type && (refId(r.subject) === pid || refId(r.patient) === pid));
const ids = (rs: Res[]) => sorted(rs.map((r) => r.id));
const hasCode = (concepts: unknown, code: string, system?: string) =>
  codings(concepts).some((c) => c.code === code && (system === undefined || c.system === system));

describe.each(await backends())('search over Synthea bundles on %s', (kind) => {
  let f: Fixture;
  beforeAll(async () => {
    f = await loadFixture(kind);
  });
  afterAll(async () => f?.t.drop());
  const matchIds = async (type: string, params: Array<[string, string]>) => sorted((await f.searchAll(type, params)).ids);

  it('finds a patient\'s heart-rate Observations by code, system|code, and Patient/id', async () => {
    const expected = ids(of('Observation').filter((o) => hasCode(o.code, '8867-4')));
    expect(expected.length).toBeGreaterThan(0);
    expect(await matchIds('Observation', [['patient', P], ['code', '8867-4']])).toEqual(expected);
    expect(await matchIds('Observation', [['patient', `Patient/${P}`], ['code', 'http://loinc.org|8867-4']])).toEqual(expected);
    expect(await matchIds('Observation', [['subject:Patient', P], ['code', 'http://loinc.org|8867-4']])).toEqual(expected);
    expect(await matchIds('Observation', [['patient', `${BASE}/Patient/${P}`], ['code', '8867-4']])).toEqual(expected);
    expect(await matchIds('Observation', [['patient', P], ['code', 'http://snomed.info/sct|8867-4']])).toEqual([]);
  });

  it('finds laboratory Observations by category, with and without the system', async () => {
    const expected = ids(of('Observation').filter((o) => hasCode(o.category, 'laboratory')));
    expect(expected.length).toBeGreaterThan(0);
    expect(await matchIds('Observation', [['patient', P], ['category', 'laboratory']])).toEqual(expected);
    expect(await matchIds('Observation', [['patient', P], ['category', 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory']])).toEqual(expected);
    expect(await matchIds('Observation', [['patient', P], ['category', 'LABORATORY']])).toEqual(expected);
    expect(await matchIds('Observation', [['patient', P], ['category', '|laboratory']])).toEqual([]);
  });

  it('ORs comma-separated values and ANDs repeated parameters', async () => {
    const obs = of('Observation');
    const labOrVital = ids(obs.filter((o) => hasCode(o.category, 'laboratory') || hasCode(o.category, 'vital-signs')));
    expect(await matchIds('Observation', [['patient', P], ['category', 'laboratory,vital-signs']])).toEqual(labOrVital);
    const both = ids(obs.filter((o) => hasCode(o.category, 'laboratory') && hasCode(o.category, 'vital-signs')));
    expect(await matchIds('Observation', [['patient', P], ['category', 'laboratory'], ['category', 'vital-signs']])).toEqual(both);
    const sys = 'http://terminology.hl7.org/CodeSystem/observation-category';
    expect(await matchIds('Observation', [['patient', P], ['category', `${sys}|`]])).toEqual(ids(obs.filter((o) => codings(o.category).some((c) => c.system === sys))));
  });

  it('negates with :not, including resources without the element', async () => {
    const expected = ids(of('Observation').filter((o) => !hasCode(o.category, 'laboratory')));
    expect(await matchIds('Observation', [['patient', P], ['category:not', 'laboratory']])).toEqual(expected);
  });

  it('matches :text on the start of display or text, case- and accent-insensitively', async () => {
    const sample = of('Observation').find((o) => o.code?.text)!;
    const word = (sample.code.text as string).slice(0, 6);
    const prefix = normalizeString(word);
    const expected = ids(of('Observation').filter((o) =>
      [o.code?.text, ...codings(o.code).map((c) => c.display)].some((t) => typeof t === 'string' && normalizeString(t).startsWith(prefix))));
    expect(await matchIds('Observation', [['patient', P], ['code:text', word.toUpperCase()]])).toEqual(expected);
  });

  it('finds Conditions by onset date with every comparator', async () => {
    const conds = of('Condition').filter((c) => c.onsetDateTime);
    const at = (c: Res) => Date.parse(c.onsetDateTime);
    const pivot = conds.map(at).sort((a, b) => a - b)[Math.floor(conds.length / 2)];
    const day = new Date(pivot).toISOString().slice(0, 10);
    const dayLo = Date.parse(`${day}T00:00:00Z`);
    const dayHi = dayLo + 86_400_000 - 1;
    const expect_ = (pred: (t: number) => boolean) => ids(conds.filter((c) => pred(at(c))));
    const q = (v: string) => matchIds('Condition', [['patient', P], ['onset-date', v]]);
    expect(await q(`lt${day}`)).toEqual(expect_((t) => t < dayLo));
    expect(await q(`le${day}`)).toEqual(expect_((t) => t <= dayHi));
    expect(await q(`gt${day}`)).toEqual(expect_((t) => t > dayHi));
    expect(await q(`ge${day}`)).toEqual(expect_((t) => t >= dayLo));
    expect(await q(day)).toEqual(expect_((t) => t >= dayLo && t <= dayHi));
    expect(await q(`eq${day}`)).toEqual(expect_((t) => t >= dayLo && t <= dayHi));
    expect(await q(`ne${day}`)).toEqual(expect_((t) => t < dayLo || t > dayHi));
    expect(await q(`sa${day}`)).toEqual(expect_((t) => t > dayHi));
    expect(await q(`eb${day}`)).toEqual(expect_((t) => t < dayLo));
    // An exact instant at second precision, as Inferno sends it, with the offset's + decoded to a space.
    const sample = conds[0];
    expect(await q(sample.onsetDateTime)).toContain(sample.id);
    expect(await q((sample.onsetDateTime as string).replace('+', ' '))).toContain(sample.id);
    expect(await q(`${day.slice(0, 7)}`)).toEqual(expect_((t) => new Date(t).toISOString().slice(0, 7) === day.slice(0, 7)));
  });

  it('finds Patients by family name prefix, case- and accent-insensitively, :exact and :contains', async () => {
    const patients = all.filter((r) => r.resourceType === 'Patient');
    const byFamily = (pred: (f: string) => boolean) => ids(patients.filter((p) => p.name.some((n: any) => pred(n.family ?? ''))));
    expect(await matchIds('Patient', [['family', 'les']])).toEqual(byFamily((n) => n.toLowerCase().startsWith('les')));
    expect(await matchIds('Patient', [['family', 'LÉSCH']])).toEqual(byFamily((n) => n.toLowerCase().startsWith('lesch')));
    expect(await matchIds('Patient', [['name', 'sandee']])).toEqual(ids(patients.filter((p) => p.id === P)));
    expect(await matchIds('Patient', [['family:exact', 'Lesch175']])).toEqual(byFamily((n) => n === 'Lesch175'));
    expect(await matchIds('Patient', [['family:exact', 'lesch175']])).toEqual([]);
    expect(await matchIds('Patient', [['family:contains', 'OYL']])).toEqual(byFamily((n) => n.toLowerCase().includes('oyl')));
    expect(await matchIds('Patient', [['gender', 'female'], ['name', 'tuyet']])).toEqual([PATIENTS.tuyet]);
  });

  it('finds Patients by birthdate with partial dates', async () => {
    const patients = all.filter((r) => r.resourceType === 'Patient');
    const year = (patients[0].birthDate as string).slice(0, 4);
    expect(await matchIds('Patient', [['birthdate', year]])).toEqual(ids(patients.filter((p) => p.birthDate.startsWith(year))));
    expect(await matchIds('Patient', [['birthdate', `ge${year}`]])).toEqual(ids(patients.filter((p) => p.birthDate.slice(0, 4) >= year)));
    expect(await matchIds('Patient', [['birthdate', `lt${year}-01`]])).toEqual(ids(patients.filter((p) => p.birthDate.slice(0, 4) < year)));
  });

  it('compares quantities by value, with system and code or unit', async () => {
    const obs = of('Observation').filter((o) => o.valueQuantity);
    const sample = obs.find((o) => o.valueQuantity.code === 'cm')!;
    const v = sample.valueQuantity.value as number;
    const q = (p: string) => matchIds('Observation', [['patient', P], ['value-quantity', p]]);
    expect(await q(`gt${v}`)).toEqual(ids(obs.filter((o) => o.valueQuantity.value > v)));
    expect(await q(`le${v}|http://unitsofmeasure.org|cm`)).toEqual(ids(obs.filter((o) => o.valueQuantity.value <= v && o.valueQuantity.code === 'cm')));
    expect(await q(`${v}||cm`)).toContain(sample.id);
    expect(await q(`${v}||kg`)).not.toContain(sample.id);
  });

  it('finds resources with and without a value using :missing', async () => {
    const obs = of('Observation');
    const without = ids(obs.filter((o) => !o.valueQuantity && !o.valueSampledData));
    expect(await matchIds('Observation', [['patient', P], ['value-quantity:missing', 'true']])).toEqual(without);
    expect(await matchIds('Observation', [['patient', P], ['value-quantity:missing', 'false']])).toEqual(ids(obs.filter((o) => o.valueQuantity || o.valueSampledData)));
  });

  it('matches uris exactly and with :below', async () => {
    const profile = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab';
    const expected = ids(of('Observation').filter((o) => (o.meta?.profile ?? []).includes(profile)));
    expect(expected.length).toBeGreaterThan(0);
    expect(await matchIds('Observation', [['patient', P], ['_profile', profile]])).toEqual(expected);
    expect(await matchIds('Observation', [['patient', P], ['_profile', profile.slice(0, -4)]])).toEqual([]);
    expect(await matchIds('Observation', [['patient', P], ['_profile:below', profile.slice(0, -4)]])).toEqual(
      ids(of('Observation').filter((o) => (o.meta?.profile ?? []).some((p: string) => p.startsWith(profile.slice(0, -4))))));
  });

  it('selects by _id and by _lastUpdated', async () => {
    const two = of('Condition').slice(0, 2).map((c) => c.id);
    expect(await matchIds('Condition', [['_id', two.join(',')]])).toEqual(sorted(two));
    const n = (await f.searchAll('Condition', [['patient', P]])).ids.length;
    expect(await matchIds('Condition', [['patient', P], ['_lastUpdated', 'gt2000-01-01']])).toHaveLength(n);
    expect(await matchIds('Condition', [['patient', P], ['_lastUpdated', 'lt2000-01-01']])).toEqual([]);
  });

  it('follows a chain to the referenced resource', async () => {
    const expected = ids(of('Observation').filter((o) => hasCode(o.code, '8867-4')));
    expect(await matchIds('Observation', [['subject:Patient.family', 'lesch'], ['code', '8867-4']])).toEqual(expected);
  });

  it('includes the Medications of MedicationRequests, within the same scope', async () => {
    const reqs = all.filter((r) => r.resourceType === 'MedicationRequest' && r.medicationReference);
    const pid = refId(reqs[0].subject)!;
    const r = await f.search('MedicationRequest', [['patient', pid], ['_include', 'MedicationRequest:medication']], patientScope(pid));
    const meds = new Set(reqs.filter((q) => refId(q.subject) === pid).map((q) => refId(q.medicationReference)));
    const included = r.entries.filter((e) => e.mode === 'include');
    expect(included.length).toBe(meds.size);
    expect(new Set(included.map((e) => e.id))).toEqual(meds);
    expect(included.every((e) => e.type === 'Medication')).toBe(true);
  });

  it('revincludes Provenance targeting the matches', async () => {
    const provs = all.filter((r) => r.resourceType === 'Provenance' && r.target.some((t: any) => refId(t) === P));
    expect(provs.length).toBeGreaterThan(0);
    const r = await f.search('Patient', [['_id', P], ['_revinclude', 'Provenance:target']], patientScope(P));
    expect(r.entries.filter((e) => e.mode === 'include').map((e) => e.id)).toEqual(provs.map((p) => p.id));
  });

  it('counts with _summary=count and _total=accurate', async () => {
    const n = of('Observation').length;
    const count = await f.search('Observation', [['patient', P], ['_summary', 'count']]);
    expect(count.total).toBe(n);
    expect(count.entries).toEqual([]);
    const page = await f.search('Observation', [['patient', P], ['_total', 'accurate'], ['_count', '3']]);
    expect(page.total).toBe(n);
    expect(page.entries).toHaveLength(3);
    expect((await f.search('Observation', [['patient', P], ['_total', 'none']])).total).toBeUndefined();
  });

  it('cuts resources down with _summary and _elements and marks them SUBSETTED', async () => {
    const r = await f.search('Observation', [['patient', P], ['_count', '5'], ['_elements', 'status,subject']]);
    for (const e of r.entries) {
      const o = JSON.parse(e.json);
      expect(Object.keys(o).sort()).toEqual(['code', 'id', 'meta', 'resourceType', 'status', 'subject']);
      expect(o.meta.tag).toContainEqual({ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' });
    }
    const s = await f.search('Observation', [['patient', P], ['_count', '5'], ['_summary', 'true']]);
    for (const e of s.entries) expect(JSON.parse(e.json).category).toBeUndefined(); // Observation.category is not a summary element in R4
    const d = await f.search('Patient', [['_id', P], ['_summary', 'data']]);
    expect(JSON.parse(d.entries[0].json).text).toBeUndefined();
    expect(JSON.parse(d.entries[0].json).name).toBeDefined();
  });

  it('sorts by date descending then ascending, missing values last', async () => {
    const obs = of('Observation');
    const when = (id: string) => Date.parse(obs.find((o) => o.id === id)!.effectiveDateTime ?? '');
    const desc = (await f.searchAll('Observation', [['patient', P], ['_sort', '-date'], ['_count', '40']])).ids;
    expect(sorted(desc)).toEqual(ids(obs));
    for (let i = 1; i < desc.length; i++) expect(when(desc[i - 1])).toBeGreaterThanOrEqual(when(desc[i]));
    const asc = (await f.searchAll('Observation', [['patient', P], ['_sort', 'date,-_lastUpdated'], ['_count', '40']])).ids;
    for (let i = 1; i < asc.length; i++) expect(when(asc[i - 1])).toBeLessThanOrEqual(when(asc[i]));
  });

  it('ignores unknown parameters with a warning, and refuses them when strict', async () => {
    const r = await f.search('Observation', [['patient', P], ['foo', 'bar']]);
    expect(r.warnings).toEqual(['Unknown search parameter "foo" for Observation']);
    await expect(f.search('Observation', [['foo', 'bar']], undefined, true)).rejects.toMatchObject({
      status: 400, code: 'bad_parameter', message: 'Unknown search parameter "foo" for Observation',
    });
  });

  it('treats SQL metacharacters as data', async () => {
    for (const v of ["'; DROP TABLE resources; --", '%', '_', '\\', "O'Brien", '" OR 1=1 --', '?', '$1']) {
      expect(await matchIds('Patient', [['family', v]])).toEqual([]);
      expect(await matchIds('Patient', [['family:contains', v]])).toEqual([]);
      expect(await matchIds('Observation', [['code', v]])).toEqual([]);
      expect(await matchIds('Observation', [['patient', v]])).toEqual([]);
    }
    expect((await f.search('Patient', [['_summary', 'count']])).total).toBe(all.filter((r) => r.resourceType === 'Patient').length);
  });
});
