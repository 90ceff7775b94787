import { describe, expect, it } from 'vitest';
import { compileFhirPath } from '../../../src/fhir/search/fhirpath-lite.js';

function evaluate(expression: string, resource: Record<string, unknown>): unknown[] {
  const compiled = compileFhirPath(expression, String(resource.resourceType));
  if (!compiled.ok) throw new Error(`did not compile: ${compiled.error}`);
  return compiled.fn(resource);
}

const observation = {
  resourceType: 'Observation',
  id: 'o1',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }, { system: 'http://snomed.info/sct', code: '364075005' }] },
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
    { coding: [{ system: 'http://example.org', code: 'other' }] },
  ],
  subject: { reference: 'Patient/p1' },
  performer: [{ reference: 'Practitioner/d1' }, { reference: 'https://other.example/fhir/Patient/p2' }, { reference: 'Organization/o1' }],
  effectivePeriod: { start: '2020-01-01', end: '2020-01-02' },
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  component: [
    { code: { text: 'a' }, valueCodeableConcept: { text: 'x' } },
    { code: { text: 'b' }, valueQuantity: { value: 1 } },
  ],
  extension: [
    { url: 'http://example.org/a', valueString: 'A' },
    { url: 'http://example.org/b', valueDateTime: '2021-02-03' },
  ],
};

describe('path navigation', () => {
  it('selects a child element of the context resource', () => {
    expect(evaluate('Observation.status', observation)).toEqual(['final']);
  });

  it('flattens arrays along the path', () => {
    expect(evaluate('Observation.category.coding.code', observation)).toEqual(['vital-signs', 'other']);
  });

  it('yields nothing for an absent element', () => {
    expect(evaluate('Observation.bodySite.coding', observation)).toEqual([]);
  });

  it('yields nothing for a branch rooted at another resource type', () => {
    expect(evaluate('Condition.code', observation)).toEqual([]);
  });

  it('treats Resource and DomainResource roots as the context resource', () => {
    expect(evaluate('Resource.id', observation)).toEqual(['o1']);
    expect(evaluate('DomainResource.id', observation)).toEqual(['o1']);
  });

  it('indexes a collection with a literal [n]', () => {
    expect(evaluate('Observation.performer[1].reference', observation)).toEqual(['https://other.example/fhir/Patient/p2']);
  });
});

describe('choice elements (value[x])', () => {
  it('finds the typed JSON name from the bare element name', () => {
    expect(evaluate('Observation.value', observation)).toEqual([observation.valueQuantity]);
    expect(evaluate('Observation.effective', observation)).toEqual([observation.effectivePeriod]);
  });

  it('narrows with "as", "as()" and "ofType()"', () => {
    expect(evaluate('(Observation.value as Quantity)', observation)).toEqual([observation.valueQuantity]);
    expect(evaluate('(Observation.value as CodeableConcept)', observation)).toEqual([]);
    expect(evaluate('Observation.effective.as(Period)', observation)).toEqual([observation.effectivePeriod]);
    expect(evaluate('Observation.effective.ofType(dateTime)', observation)).toEqual([]);
    expect(evaluate('(Observation.component.value as CodeableConcept).text', observation)).toEqual(['x']);
  });

  it('tests the type with "is"', () => {
    expect(evaluate('Observation.value is Quantity', observation)).toEqual([true]);
    expect(evaluate('Observation.value.is(string)', observation)).toEqual([false]);
  });

  it('unions casts (is/as bind tighter than |)', () => {
    const r = evaluate('Observation.component.value as Quantity | Observation.component.value as CodeableConcept', observation);
    expect(r).toEqual([{ value: 1 }, { text: 'x' }]);
  });

  it('expands Patient.deceased in the R4 "deceased" expression', () => {
    const expr = 'Patient.deceased.exists() and Patient.deceased != false';
    expect(evaluate(expr, { resourceType: 'Patient', deceasedDateTime: '2020-01-01' })).toEqual([true]);
    expect(evaluate(expr, { resourceType: 'Patient', deceasedBoolean: false })).toEqual([false]);
    expect(evaluate(expr, { resourceType: 'Patient', deceasedBoolean: true })).toEqual([true]);
    expect(evaluate(expr, { resourceType: 'Patient' })).toEqual([false]);
  });
});

describe('where() and functions', () => {
  it('decides "resolve() is Patient" from the reference type prefix, relative or absolute', () => {
    const r = evaluate('Observation.performer.where(resolve() is Patient)', observation);
    expect(r).toEqual([{ reference: 'https://other.example/fhir/Patient/p2' }]);
  });

  it('falls back to Reference.type when the reference has no literal type', () => {
    const res = { resourceType: 'Observation', subject: { type: 'Patient', identifier: { value: 'x' } } };
    expect(evaluate('Observation.subject.where(resolve() is Patient)', res)).toHaveLength(1);
    const urn = { resourceType: 'Observation', subject: { reference: 'urn:uuid:1234' } };
    expect(evaluate('Observation.subject.where(resolve() is Patient)', urn)).toEqual([]);
  });

  it('filters by equality with a string literal, on any item of a collection', () => {
    expect(evaluate("Observation.extension.where(url = 'http://example.org/b').value", observation)).toEqual(['2021-02-03']);
    expect(evaluate("Observation.category.where(coding.code = 'other')", observation)).toEqual([observation.category[1]]);
  });

  it('selects extensions by url with extension()', () => {
    expect(evaluate("Observation.extension('http://example.org/a').value", observation)).toEqual(['A']);
  });

  it('supports exists(), empty(), not(), first(), last() and count()', () => {
    expect(evaluate('Observation.performer.exists()', observation)).toEqual([true]);
    expect(evaluate("Observation.performer.exists(reference = 'Organization/o1')", observation)).toEqual([true]);
    expect(evaluate('Observation.note.empty()', observation)).toEqual([true]);
    expect(evaluate('Observation.note.exists().not()', observation)).toEqual([true]);
    expect(evaluate('Observation.performer.first().reference', observation)).toEqual(['Practitioner/d1']);
    expect(evaluate('Observation.performer.last().reference', observation)).toEqual(['Organization/o1']);
    expect(evaluate('Observation.performer.count()', observation)).toEqual([3]);
  });

  it('removes duplicates in a union', () => {
    expect(evaluate('Observation.subject | Observation.subject', observation)).toEqual([observation.subject]);
  });
});

describe('unsupported expressions', () => {
  const unsupported = [
    'Observation.code.descendants()',
    'Observation.value > 5',
    '%resource.id',
    'Observation.code implies Observation.value',
    "Observation.code.select(coding)",
    'Observation.performer.resolve().name',
    'Observation.value as',
    "Observation.code.where(text = 'a'",
    'Observation.component[$this]',
    'Observation.value.as(Quantity',
    "'unterminated",
    'Observation.subject#x',
  ];
  it.each(unsupported)('reports "%s" at compile time instead of throwing', (expression) => {
    const compiled = compileFhirPath(expression, 'Observation');
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.error).toMatch(/\w/);
  });

  it('never throws at run time on malformed resources', () => {
    const fn = compileFhirPath("Observation.code.coding.where(system = 'x').code | Observation.value.as(Quantity).value", 'Observation');
    expect(fn.ok).toBe(true);
    if (!fn.ok) return;
    const hostile: Record<string, unknown>[] = [
      { resourceType: 'Observation', code: 'not-an-object' },
      { resourceType: 'Observation', code: { coding: [null, 1, 'x', [[]]] } },
      { resourceType: 'Observation', code: { coding: { system: 'x', code: 'c' } } },
      { resourceType: 'Observation', valueQuantity: null },
      { resourceType: 'Observation', code: [] },
    ];
    for (const r of hostile) expect(() => fn.fn(r)).not.toThrow();
    expect(fn.fn(hostile[2])).toEqual(['c']);
  });
});
