import { describe, expect, it } from 'vitest';
import { MAX_TIME, MIN_TIME } from '../../../src/fhir/search/index-rows.js';
import { numberRange } from '../../../src/fhir/search/index-values.js';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { parseReference } from '../../../src/fhir/search/reference.js';
import { loadRegistry } from '../../../src/fhir/search/registry.js';

const registry = loadRegistry();
const index = (r: Record<string, unknown>) => indexResource(r, registry);
const of = <T extends { param: string }>(rows: T[], param: string) => rows.filter((r) => r.param === param).map(({ param: _p, ...rest }) => rest);

describe('token rows', () => {
  it('indexes each coding of a CodeableConcept with its display as text, code lower-cased', () => {
    const rows = index({
      resourceType: 'Observation',
      code: { coding: [{ system: 'http://loinc.org', code: 'LP29684-5', display: 'Radiology' }, { system: 'http://x', code: 'A' }], text: 'Rad' },
    });
    expect(of(rows.tokens, 'code')).toEqual([
      { system: 'http://loinc.org', code: 'lp29684-5', text: 'radiology' },
      { system: 'http://x', code: 'a', text: 'rad' },
    ]);
  });

  it('gives CodeableConcept.text its own row when no coding display repeats it', () => {
    const rows = index({ resourceType: 'Condition', code: { coding: [{ system: 's', code: 'c', display: 'Diabetes' }], text: 'Sugar Diabetes' } });
    expect(of(rows.tokens, 'code')).toEqual([
      { system: 's', code: 'c', text: 'diabetes' },
      { system: '', code: '', text: 'sugar diabetes' },
    ]);
    const textOnly = index({ resourceType: 'Condition', code: { text: 'Héadache' } });
    expect(of(textOnly.tokens, 'code')).toEqual([{ system: '', code: '', text: 'headache' }]);
  });

  it('indexes Identifier as system|value with the type text', () => {
    const rows = index({
      resourceType: 'Patient',
      identifier: [{ system: 'http://hospital', value: 'MRN-1', type: { text: 'Medical Record Number' } }, { value: 'abc' }],
    });
    expect(of(rows.tokens, 'identifier')).toEqual([
      { system: 'http://hospital', code: 'mrn-1', text: 'medical record number' },
      { system: '', code: 'abc', text: '' },
    ]);
  });

  it('indexes ContactPoint by value with no system (R4 token table)', () => {
    const rows = index({ resourceType: 'Patient', telecom: [{ system: 'email', value: 'Amy@Example.com' }, { system: 'phone', value: '555' }] });
    expect(of(rows.tokens, 'telecom')).toEqual([
      { system: '', code: 'amy@example.com', text: '' },
      { system: '', code: '555', text: '' },
    ]);
    expect(of(rows.tokens, 'email')).toEqual([{ system: '', code: 'amy@example.com', text: '' }]);
    expect(of(rows.tokens, 'phone')).toEqual([{ system: '', code: '555', text: '' }]);
  });

  it('indexes code and boolean primitives with an empty system', () => {
    const rows = index({ resourceType: 'Patient', gender: 'Female', active: true });
    expect(of(rows.tokens, 'gender')).toEqual([{ system: '', code: 'female', text: '' }]);
    expect(of(rows.tokens, 'active')).toEqual([{ system: '', code: 'true', text: '' }]);
  });

  it('indexes meta.tag and meta.security codings under _tag and _security', () => {
    const rows = index({ resourceType: 'Observation', meta: { tag: [{ system: 't', code: 'X' }], security: [{ system: 's', code: 'R' }] } });
    expect(of(rows.tokens, '_tag')).toEqual([{ system: 't', code: 'x', text: '' }]);
    expect(of(rows.tokens, '_security')).toEqual([{ system: 's', code: 'r', text: '' }]);
  });
});

describe('string rows', () => {
  it('indexes every HumanName part as its own normalised row', () => {
    const rows = index({
      resourceType: 'Patient',
      name: [{ family: 'Núñez', given: ['Ana  María', 'Luz'], prefix: ['Dr.'], suffix: ['PhD'], text: 'Dr. Ana María Núñez' }],
    });
    expect(of(rows.strings, 'family')).toEqual([{ value: 'nunez', exact: 'Núñez' }]);
    expect(of(rows.strings, 'given').map((r) => r.value)).toEqual(['ana maria', 'luz']);
    expect(of(rows.strings, 'name').map((r) => r.value)).toEqual(['nunez', 'ana maria', 'luz', 'dr.', 'phd', 'dr. ana maria nunez']);
  });

  it('indexes Address parts and the per-part address params', () => {
    const rows = index({
      resourceType: 'Organization',
      name: 'Acme',
      address: [{ line: ['1 Main St', 'Suite 2'], city: 'Boston', state: 'MA', postalCode: '02101', country: 'US' }],
    });
    expect(of(rows.strings, 'address').map((r) => r.exact)).toEqual(['1 Main St', 'Suite 2', 'Boston', 'MA', '02101', 'US']);
    expect(of(rows.strings, 'address-city')).toEqual([{ value: 'boston', exact: 'Boston' }]);
    expect(of(rows.strings, 'name')).toEqual([{ value: 'acme', exact: 'Acme' }]);
  });

  it('drops duplicate rows of one parameter', () => {
    const rows = index({ resourceType: 'Patient', name: [{ use: 'official', given: ['Ann'] }, { use: 'usual', given: ['Ann'] }] });
    expect(of(rows.strings, 'given')).toEqual([{ value: 'ann', exact: 'Ann' }]);
  });
});

describe('date rows', () => {
  it('indexes a dateTime at its precision and a Period with open ends', () => {
    const rows = index({ resourceType: 'Encounter', period: { start: '2020-05-01T10:00:00Z' } });
    expect(of(rows.dates, 'date')).toEqual([{ lo: Date.UTC(2020, 4, 1, 10), hi: MAX_TIME }]);
    const cond = index({ resourceType: 'Condition', onsetDateTime: '2019', recordedDate: '2019-03-04' });
    expect(of(cond.dates, 'onset-date')).toEqual([{ lo: Date.UTC(2019, 0, 1), hi: Date.UTC(2020, 0, 1) - 1 }]);
    expect(of(cond.dates, 'recorded-date')).toEqual([{ lo: Date.UTC(2019, 2, 4), hi: Date.UTC(2019, 2, 5) - 1 }]);
    const noStart = index({ resourceType: 'Encounter', period: { end: '2020-05-01' } });
    expect(of(noStart.dates, 'date')[0].lo).toBe(MIN_TIME);
  });

  it('indexes the US Core asserted-date extension and ignores malformed dates', () => {
    const rows = index({
      resourceType: 'Condition',
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/condition-assertedDate', valueDateTime: '2021-06-07' }],
      abatementDateTime: 'yesterday',
    });
    expect(of(rows.dates, 'asserted-date')).toEqual([{ lo: Date.UTC(2021, 5, 7), hi: Date.UTC(2021, 5, 8) - 1 }]);
    expect(of(rows.dates, 'abatement-date')).toEqual([]);
  });

  it('indexes Timing events and bounds', () => {
    const rows = index({
      resourceType: 'Observation',
      effectiveTiming: { event: ['2020-01-01', '2020-02-01'], repeat: { boundsPeriod: { start: '2020-01-01', end: '2020-03-01' } } },
    });
    expect(of(rows.dates, 'date')).toHaveLength(3);
  });
});

describe('quantity and number rows', () => {
  it('indexes a Quantity with the implicit range of its precision', () => {
    const rows = index({ resourceType: 'Observation', valueQuantity: { value: 7.25, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' } });
    const [q] = of(rows.quantities, 'value-quantity');
    expect(q).toMatchObject({ value: 7.25, system: 'http://unitsofmeasure.org', code: 'mmol/L', unit: 'mmol/L' });
    expect(q.lo).toBeCloseTo(7.245, 10);
    expect(q.hi).toBeCloseTo(7.255, 10);
  });

  it('uses the unit as the code when there is no code', () => {
    const rows = index({ resourceType: 'Observation', valueQuantity: { value: 3, unit: 'mg' } });
    expect(of(rows.quantities, 'value-quantity')[0]).toMatchObject({ system: '', code: 'mg', unit: 'mg' });
  });

  it('derives number precision from the written form', () => {
    expect(numberRange(100)).toEqual({ lo: 99.5, hi: 100.5 });
    expect(numberRange(0.5)).toEqual({ lo: 0.45, hi: 0.55 });
    const tiny = numberRange(1e-7);
    expect(tiny.hi - tiny.lo).toBeCloseTo(1e-7, 15);
  });
});

describe('reference rows', () => {
  it('parses relative, versioned and absolute references', () => {
    expect(parseReference('Patient/123')).toEqual({ targetType: 'Patient', targetId: '123', url: '' });
    expect(parseReference('Patient/123/_history/2')).toEqual({ targetType: 'Patient', targetId: '123', url: '' });
    expect(parseReference('https://ehr.example/fhir/Patient/9')).toEqual({
      targetType: 'Patient', targetId: '9', url: 'https://ehr.example/fhir/Patient/9',
    });
    expect(parseReference('urn:uuid:0f6b')).toEqual({ targetType: '', targetId: '', url: 'urn:uuid:0f6b' });
    expect(parseReference('http://x.org/fhir/Observation/o-1/_history/7')).toMatchObject({ targetType: 'Observation', targetId: 'o-1' });
    expect(parseReference('http://x.org/Patient/1')).toMatchObject({ targetType: 'Patient', targetId: '1' });
    for (const url of ['http://x.org/a/b', 'http://x.org/fhir/Patient/1/_history/2/x', 'http://x.org/Patient', 'http://Patient/1']) {
      expect(parseReference(url), url).toEqual({ targetType: '', targetId: '', url });
    }
  });

  it('skips contained, conditional and malformed references', () => {
    for (const r of ['#med1', 'Patient?identifier=x|1', '', 'patient/1', 'Patient', 'a/b/c', 'Patient/has space']) {
      expect(parseReference(r), r).toBeUndefined();
    }
  });

  it('indexes subject as patient and subject, and skips identifier-only references', () => {
    const rows = index({
      resourceType: 'Observation',
      subject: { reference: 'Patient/p1' },
      performer: [{ identifier: { system: 'npi', value: '1' } }, { reference: '#c1' }, { reference: 'Practitioner/d1' }],
    });
    expect(of(rows.references, 'patient')).toEqual([{ targetType: 'Patient', targetId: 'p1', url: '' }]);
    expect(of(rows.references, 'subject')).toEqual([{ targetType: 'Patient', targetId: 'p1', url: '' }]);
    expect(of(rows.references, 'performer')).toEqual([{ targetType: 'Practitioner', targetId: 'd1', url: '' }]);
  });

  it('does not index a Group subject under patient', () => {
    const rows = index({ resourceType: 'Observation', subject: { reference: 'Group/g1' } });
    expect(of(rows.references, 'patient')).toEqual([]);
    expect(of(rows.references, 'subject')).toEqual([{ targetType: 'Group', targetId: 'g1', url: '' }]);
  });

  it('indexes a canonical by url only', () => {
    const rows = index({ resourceType: 'QuestionnaireResponse', questionnaire: 'http://example.org/Questionnaire/hunger|1.0' });
    expect(of(rows.references, 'questionnaire')).toEqual([{ targetType: '', targetId: '', url: 'http://example.org/Questionnaire/hunger|1.0' }]);
  });

  it('indexes medicationReference under medication and medicationCodeableConcept under code', () => {
    const byRef = index({ resourceType: 'MedicationRequest', medicationReference: { reference: 'Medication/m1' } });
    expect(of(byRef.references, 'medication')).toEqual([{ targetType: 'Medication', targetId: 'm1', url: '' }]);
    const byCode = index({ resourceType: 'MedicationRequest', medicationCodeableConcept: { coding: [{ system: 'rxnorm', code: '1' }] } });
    expect(of(byCode.tokens, 'code')).toEqual([{ system: 'rxnorm', code: '1', text: '' }]);
  });
});

describe('compartments and refs', () => {
  it('puts a Patient in its own compartment only', () => {
    const rows = index({ resourceType: 'Patient', id: 'p1', link: [{ other: { reference: 'Patient/p2' }, type: 'seealso' }] });
    expect(rows.compartments).toEqual(['p1']);
    expect(rows.refs).toEqual([{ targetType: 'Patient', targetId: 'p2' }]);
  });

  it('derives compartments from the compartment params that reference a Patient', () => {
    const rows = index({
      resourceType: 'Observation',
      subject: { reference: 'Patient/p1' },
      performer: [{ reference: 'Patient/p2' }, { reference: 'Practitioner/d1' }],
      focus: [{ reference: 'Patient/p3' }],
    });
    expect(rows.compartments.sort()).toEqual(['p1', 'p2']);
  });

  it('puts a Device in its patient\'s compartment (US Core implantable device)', () => {
    expect(index({ resourceType: 'Device', patient: { reference: 'Patient/p1' } }).compartments).toEqual(['p1']);
  });

  it('lists shared resources in no compartment', () => {
    expect(index({ resourceType: 'Practitioner', id: 'd1', name: [{ family: 'X' }] }).compartments).toEqual([]);
  });

  it('collects every literal reference once, outside contained resources', () => {
    const rows = index({
      resourceType: 'ExplanationOfBenefit',
      contained: [{ resourceType: 'Coverage', id: 'c1', beneficiary: { reference: 'Patient/other' } }],
      patient: { reference: 'Patient/p1' },
      insurance: [{ coverage: { reference: '#c1' } }],
      item: [{ encounter: [{ reference: 'Encounter/e1' }, { reference: 'Encounter/e1/_history/3' }] }],
      provider: { reference: 'https://elsewhere.example/Practitioner/x' },
      careTeam: [{ provider: { identifier: { value: '1' } } }],
    });
    expect(rows.refs).toEqual([
      { targetType: 'Patient', targetId: 'p1' },
      { targetType: 'Encounter', targetId: 'e1' },
    ]);
  });

  it('writes no rows for _id and _lastUpdated', () => {
    const rows = index({ resourceType: 'Observation', id: 'o1', meta: { lastUpdated: '2020-01-01T00:00:00Z', versionId: '1' } });
    const params = [...rows.tokens, ...rows.dates, ...rows.strings, ...rows.uris].map((r) => r.param);
    expect(params).not.toContain('_id');
    expect(params).not.toContain('_lastUpdated');
  });

  it('returns empty rows for a JSON value without a resourceType', () => {
    expect(index({ id: 'x' }).tokens).toEqual([]);
  });
});
