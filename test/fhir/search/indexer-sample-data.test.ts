import { describe, expect, it } from 'vitest';
import type { IndexRows } from '../../../src/fhir/search/index-rows.js';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { normalizeString } from '../../../src/fhir/search/normalize.js';
import { loadRegistry } from '../../../src/fhir/search/registry.js';
import { type Resource, loadSampleFiles, sampleDataAvailable } from './sample-data.js';

/**
 * Indexes every resource of the shared third-party data (Synthea bundles, US Core 6.1.0
 * examples, Inferno bundles) and compares the rows with values computed here by walking
 * the JSON directly.
 */
const available = sampleDataAvailable();
const registry = loadRegistry();
const files = available ? loadSampleFiles() : [];
const indexed: { file: string; resource: Resource; rows: IndexRows }[] = [];
for (const f of files) for (const resource of f.resources) indexed.push({ file: f.file, resource, rows: indexResource(resource, registry) });

type Obj = Record<string, any>;
const asArray = (x: unknown): Obj[] => (Array.isArray(x) ? x : x === undefined ? [] : [x as Obj]);
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();
const tokens = (rows: IndexRows, param: string) => sorted(rows.tokens.filter((t) => t.param === param && t.code !== '').map((t) => `${t.system}|${t.code}`));
const strings = (rows: IndexRows, param: string) => sorted(rows.strings.filter((t) => t.param === param).map((t) => t.value));
const refsOf = (rows: IndexRows, param: string) => sorted(rows.references.filter((t) => t.param === param).map((t) => `${t.targetType}/${t.targetId}`));
const codings = (cc: unknown) => sorted(asArray((cc as Obj | undefined)?.coding).map((c) => `${c.system ?? ''}|${String(c.code ?? '').toLowerCase()}`));
/** Full-precision timestamps only, so Date.parse gives the exact second independently. */
const SECOND = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/;
const ofType = (type: string) => indexed.filter((x) => x.resource.resourceType === type);

describe.skipIf(!available)('indexing the shared sample data', () => {
  it('reads every entry the data README counts (5,647 Synthea + 41 US Core + 740 Inferno)', () => {
    expect(files.length).toBe(53);
    expect(indexed.length).toBe(6428);
  });

  it('indexes every resource and finds rows in each', () => {
    for (const { resource, rows } of indexed) {
      const total = rows.tokens.length + rows.strings.length + rows.dates.length + rows.references.length + rows.uris.length;
      expect(total, `${resource.resourceType}/${resource.id}`).toBeGreaterThan(0);
    }
  });

  it('indexes Observation.code as exactly its codings', () => {
    const obs = ofType('Observation');
    expect(obs.length).toBeGreaterThan(1000);
    for (const { resource, rows } of obs) expect(tokens(rows, 'code')).toEqual(codings(resource.code));
  });

  it('indexes Observation.category as the codings of every category', () => {
    for (const { resource, rows } of ofType('Observation')) {
      expect(tokens(rows, 'category')).toEqual(sorted(asArray(resource.category).flatMap((c) => codings(c))));
    }
  });

  it('indexes a Patient subject under both subject and patient', () => {
    let checked = 0;
    for (const { resource, rows } of indexed) {
      const ref = (resource.subject as Obj | undefined)?.reference;
      if (typeof ref !== 'string' || !ref.startsWith('Patient/')) continue;
      const type = resource.resourceType;
      if (registry.get(type, 'subject')) expect(refsOf(rows, 'subject')).toContain(ref);
      if (registry.get(type, 'patient')?.expression.includes('.subject')) {
        expect(refsOf(rows, 'patient'), `${type}.patient`).toEqual([ref]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });

  it('indexes Encounter.period as one date row from start to end of second', () => {
    let checked = 0;
    for (const { resource, rows } of ofType('Encounter')) {
      const p = resource.period as Obj | undefined;
      if (!p || !SECOND.test(p.start ?? '') || !SECOND.test(p.end ?? '')) continue;
      const dates = rows.dates.filter((d) => d.param === 'date');
      expect(dates).toEqual([{ param: 'date', lo: Date.parse(p.start), hi: Date.parse(p.end) + 999 }]);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });

  it('indexes Condition.onsetDateTime as onset-date', () => {
    let checked = 0;
    for (const { resource, rows } of ofType('Condition')) {
      const onset = resource.onsetDateTime;
      const dates = rows.dates.filter((d) => d.param === 'onset-date');
      if (typeof onset !== 'string') {
        if (!resource.onsetPeriod) expect(dates).toEqual([]);
        continue;
      }
      if (!SECOND.test(onset)) continue;
      expect(dates).toEqual([{ param: 'onset-date', lo: Date.parse(onset), hi: Date.parse(onset) + 999 }]);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('indexes Patient names as normalised name, family and given rows', () => {
    const patients = ofType('Patient');
    expect(patients.length).toBeGreaterThanOrEqual(12);
    for (const { resource, rows } of patients) {
      const names = asArray(resource.name);
      const norm = (xs: unknown[]) => sorted(xs.filter((x): x is string => typeof x === 'string').map(normalizeString).filter(Boolean));
      const family = norm(names.map((n) => n.family));
      const given = norm(names.flatMap((n) => asArray(n.given)));
      const all = norm(names.flatMap((n) => [n.family, n.text, ...asArray(n.given), ...asArray(n.prefix), ...asArray(n.suffix)]));
      expect(strings(rows, 'family')).toEqual(family);
      expect(strings(rows, 'given')).toEqual(given);
      expect(strings(rows, 'name')).toEqual(all);
      expect(family.length).toBeGreaterThan(0);
    }
  });

  it('indexes identifiers as system|value', () => {
    for (const { resource, rows } of indexed) {
      if (!Array.isArray(resource.identifier) || registry.get(resource.resourceType, 'identifier')?.expression !== `${resource.resourceType}.identifier`) continue;
      const expected = sorted(resource.identifier.filter((i: Obj) => typeof i.value === 'string').map((i: Obj) => `${i.system ?? ''}|${i.value.toLowerCase()}`));
      expect(tokens(rows, 'identifier')).toEqual(expected);
    }
  });

  it('indexes MedicationRequest medication[x] under medication or code', () => {
    for (const { resource, rows } of ofType('MedicationRequest')) {
      const ref = (resource.medicationReference as Obj | undefined)?.reference;
      if (typeof ref === 'string' && !ref.startsWith('#')) expect(refsOf(rows, 'medication')).toEqual([ref]);
      if (resource.medicationCodeableConcept) expect(tokens(rows, 'code')).toEqual(codings(resource.medicationCodeableConcept));
    }
  });

  it('indexes meta.profile under _profile', () => {
    for (const { resource, rows } of indexed) {
      const expected = sorted(asArray((resource.meta as Obj | undefined)?.profile) as unknown as string[]);
      expect(sorted(rows.uris.filter((u) => u.param === '_profile').map((u) => u.value))).toEqual(expected);
    }
  });

  it('indexes Observation.valueQuantity under value-quantity', () => {
    for (const { resource, rows } of ofType('Observation')) {
      const q = resource.valueQuantity as Obj | undefined;
      const got = rows.quantities.filter((r) => r.param === 'value-quantity').map((r) => [r.value, r.code]);
      expect(got).toEqual(q && typeof q.value === 'number' ? [[q.value, q.code ?? q.unit ?? '']] : []);
    }
  });

  it('collects every literal Type/id reference outside contained resources', () => {
    const walk = (node: unknown, out: Set<string>, top: boolean): Set<string> => {
      if (Array.isArray(node)) node.forEach((x) => walk(x, out, false));
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (top && k === 'contained') continue;
          if (k === 'reference' && typeof v === 'string') {
            const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/.+)?$/.exec(v);
            if (m) out.add(`${m[1]}/${m[2]}`);
          } else walk(v, out, false);
        }
      }
      return out;
    };
    for (const { resource, rows } of indexed) {
      const got = rows.refs.map((r) => `${r.targetType}/${r.targetId}`);
      expect(got.length).toBe(new Set(got).size);
      expect(sorted(got)).toEqual(sorted(walk(resource, new Set(), true)));
    }
  });

  it("puts each patient bundle's clinical resources in that patient's compartment (Synthea, Inferno)", () => {
    const shared = new Set(['Organization', 'Practitioner', 'PractitionerRole', 'Location', 'Medication', 'Endpoint']);
    for (const f of files.filter((x) => x.file.includes('/synthea/') || x.file.includes('/inferno/'))) {
      const patient = f.resources.find((r) => r.resourceType === 'Patient');
      if (!patient) continue;
      for (const { resource, rows } of indexed.filter((x) => x.file === f.file)) {
        const expected = shared.has(resource.resourceType) ? [] : [patient.id];
        expect(rows.compartments, `${resource.resourceType}/${resource.id}`).toEqual(expected);
      }
    }
  });

  it('puts the US Core examples that point at Patient/example in its compartment', () => {
    const examples = indexed.filter((x) => /us-core-examples\/[^/]+$/.test(x.file));
    const pointing = examples.filter((x) => registry.compartmentParams(x.resource.resourceType).length > 0 && JSON.stringify(x.resource).includes('"Patient/example"'));
    expect(pointing.length).toBeGreaterThan(20);
    for (const { resource, rows } of pointing) expect(rows.compartments, resource.resourceType).toContain('example');
  });
});
