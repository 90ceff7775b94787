import { describe, expect, it } from 'vitest';
import { FhirError } from '../../../src/fhir/outcome.js';
import { parseSearch } from '../../../src/fhir/search/parse.js';
import { DEFAULT_COUNT, MAX_COUNT } from '../../../src/fhir/search/query.js';
import { dateRange } from '../../../src/fhir/search/normalize.js';
import { testRegistry } from './fixture.js';

const registry = testRegistry();
const parse = (type: string, params: Array<[string, string]>, strict = false) => parseSearch(type, params, registry, { strict, baseUrl: 'https://ehr.example.org/fhir' });

function rejects(type: string, params: Array<[string, string]>, message?: string | RegExp) {
  let error: unknown;
  try {
    parse(type, params);
  } catch (e) {
    error = e;
  }
  expect(error, JSON.stringify(params)).toBeInstanceOf(FhirError);
  expect((error as FhirError).status).toBe(400);
  expect((error as FhirError).code).toBe('bad_parameter');
  if (message) expect((error as FhirError).message).toMatch(message);
}

describe('parseSearch', () => {
  it('reads token forms: code, system|code, |code, system|', () => {
    const q = parse('Observation', [['code', 'http://loinc.org|8867-4,|ABC,http://loinc.org|,XYZ']]);
    expect(q.clauses).toEqual([{ kind: 'token', param: 'code', mode: 'code', texts: [], values: [
      { system: 'http://loinc.org', code: '8867-4' }, { system: '', code: 'abc' }, { system: 'http://loinc.org' }, { code: 'xyz' },
    ] }]);
  });

  it('keeps escaped commas and pipes inside a value', () => {
    const q = parse('Patient', [['family', 'a\\,b,c'], ['identifier', 'sys\\|x|v']]);
    expect(q.clauses[0]).toMatchObject({ kind: 'string', values: ['a,b', 'c'] });
    expect(q.clauses[1]).toMatchObject({ kind: 'token', values: [{ system: 'sys|x', code: 'v' }] });
  });

  it('reads string modifiers and normalises the default and :contains', () => {
    expect(parse('Patient', [['family', ' ÉLAN  Smith ']]).clauses[0]).toMatchObject({ mode: 'prefix', values: ['elan smith'] });
    expect(parse('Patient', [['family:exact', 'Élan']]).clauses[0]).toMatchObject({ mode: 'exact', values: ['Élan'] });
    expect(parse('Patient', [['family:contains', 'LAN']]).clauses[0]).toMatchObject({ mode: 'contains', values: ['lan'] });
  });

  it('reads every date prefix and partial date', () => {
    for (const p of ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']) {
      for (const v of ['2019', '2019-05', '2019-05-01', '2019-05-01T10:15Z', '2019-05-01T10:15:00-04:00', '2019-05-01T10:15:00.123+05:30']) {
        const q = parse('Condition', [['onset-date', `${p}${v}`]]);
        expect(q.clauses[0]).toEqual({ kind: 'date', param: 'onset-date', values: [{ prefix: p, ...dateRange(v)! }] });
      }
    }
    expect(parse('Condition', [['onset-date', '2019']]).clauses[0]).toMatchObject({ values: [{ prefix: 'eq' }] });
  });

  it('reads a time-zone offset whose + arrived decoded as a space', () => {
    const q = parse('Condition', [['onset-date', 'lt2019-05-01T10:15:00 04:00']]);
    expect(q.clauses[0]).toMatchObject({ values: [{ prefix: 'lt', ...dateRange('2019-05-01T10:15:00+04:00') }] });
  });

  it('reads numbers with their implicit precision, and quantities', () => {
    const n = parse('RiskAssessment', [['probability', 'gt0.50,100,1e2']]).clauses[0];
    expect(n).toMatchObject({ kind: 'number', values: [
      { prefix: 'gt', value: 0.5, lo: 0.495, hi: 0.505 }, { prefix: 'eq', value: 100, lo: 99.5, hi: 100.5 }, { prefix: 'eq', value: 100, lo: 50, hi: 150 },
    ] });
    const q = parse('Observation', [['value-quantity', 'le5.4|http://unitsofmeasure.org|mg'], ['value-quantity', '5||mg'], ['value-quantity', '7']]);
    expect(q.clauses.map((c) => (c as { values: unknown[] }).values[0])).toMatchObject([
      { prefix: 'le', value: 5.4, system: 'http://unitsofmeasure.org', code: 'mg' }, { value: 5, code: 'mg' }, { value: 7 },
    ]);
  });

  it('reads references as id, Type/id, own absolute URL, other URL and with a :Type modifier', () => {
    const q = parse('Observation', [['subject', '123,Patient/9,https://ehr.example.org/fhir/Patient/7,http://other.org/fhir/Patient/5'], ['subject:Group', '44']]);
    expect(q.clauses[0]).toMatchObject({ kind: 'reference', values: [
      { kind: 'local', id: '123' }, { kind: 'local', targetType: 'Patient', id: '9' }, { kind: 'local', targetType: 'Patient', id: '7' },
      { kind: 'url', url: 'http://other.org/fhir/Patient/5' },
    ] });
    expect(q.clauses[1]).toMatchObject({ values: [{ kind: 'local', targetType: 'Group', id: '44' }] });
  });

  it('reads :missing, :not, :text, uri :below/:above, _id and _lastUpdated', () => {
    const q = parse('Observation', [['value-quantity:missing', 'true'], ['status:not', 'final'], ['code:text', 'Héart'], ['_profile:below', 'http://x/a'],
      ['_id', 'a,b'], ['_lastUpdated', 'gt2020']]);
    expect(q.clauses).toMatchObject([
      { kind: 'missing', table: 'idx_quantity', param: 'value-quantity', missing: true }, { kind: 'token', mode: 'not' },
      { kind: 'token', mode: 'text', texts: ['heart'] }, { kind: 'uri', mode: 'below', values: ['http://x/a'] },
      { kind: 'id', ids: ['a', 'b'] }, { kind: 'lastUpdated', values: [{ prefix: 'gt' }] },
    ]);
  });

  it('reads result parameters: _count (capped), _sort, _include, _revinclude, _summary, _elements, _total', () => {
    const q = parse('MedicationRequest', [['_count', '5000'], ['_sort', '-authoredon,_id'], ['_sort', 'status'], ['_include', 'MedicationRequest:medication'],
      ['_include:iterate', 'Medication:manufacturer:Organization'], ['_revinclude', 'Provenance:target'], ['_summary', 'true'], ['_elements', 'status,MedicationRequest.subject'], ['_total', 'accurate'], ['_format', 'json']]);
    expect(q.count).toBe(MAX_COUNT);
    expect(q.sort).toEqual([{ param: 'authoredon', kind: 'date', desc: true }, { param: '_id', kind: 'id', desc: false }, { param: 'status', kind: 'token', desc: false }]);
    expect(q.includes).toEqual([{ sourceType: 'MedicationRequest', param: 'medication', iterate: false }, { sourceType: 'Medication', param: 'manufacturer', targetType: 'Organization', iterate: true }]);
    expect(q.revincludes).toEqual([{ sourceType: 'Provenance', param: 'target', iterate: false }]);
    expect(q).toMatchObject({ summary: 'true', elements: ['status', 'subject'], total: 'accurate', warnings: [] });
    expect(parse('Patient', []).count).toBe(DEFAULT_COUNT);
  });

  it('ignores empty values and reports unknown parameters as warnings', () => {
    const q = parse('Observation', [['code', ''], ['foo', 'bar'], ['_has:Observation:patient:code', 'x'], ['bad name', '1'], ['_include', 'Observation:nope']]);
    expect(q.clauses).toEqual([]);
    expect(q.warnings).toEqual([
      'Unknown search parameter "foo" for Observation', 'Unknown search parameter "_has" for Observation',
      'Unknown search parameter "bad name" for Observation', 'Unknown search parameter "nope" for Observation in _include',
    ]);
  });

  it('refuses unknown parameters when strict, in the spec\'s words', () => {
    expect(() => parse('Observation', [['foo', 'bar']], true)).toThrowError('Unknown search parameter "foo" for Observation');
  });

  it('refuses unknown resource types with a 404', () => {
    expect(() => parse('Nope', [])).toThrowError(expect.objectContaining({ status: 404 }) as unknown as Error);
  });

  it.each([
    ['malformed dates', 'Condition', [['onset-date', '2019-13']], /Invalid date/],
    ['day out of month', 'Condition', [['onset-date', '2019-02-30']], /Invalid date/],
    ['hour 24', 'Condition', [['onset-date', '2019-02-03T24:00:00Z']], /Invalid date/],
    ['words as date', 'Condition', [['onset-date', 'yesterday']], /Invalid prefix "ye"/],
    ['unknown prefix', 'Condition', [['onset-date', 'zz2019']], /Invalid prefix "zz"/],
    ['two-digit year', 'Condition', [['onset-date', '19-01-01']], /Invalid date/],
    ['SQL in a date', 'Condition', [['onset-date', "2019' OR 1=1 --"]], /Invalid date/],
    ['a huge number', 'Observation', [['value-quantity', 'gt1e999']], /Invalid number/],
    ['not a number', 'Observation', [['value-quantity', 'gtNaN']], /Invalid number/],
    ['quantity with 2 parts', 'Observation', [['value-quantity', '5|mg']], /Invalid quantity/],
    ['token with 3 parts', 'Observation', [['code', 'a|b|c']], /Invalid token/],
    ['negative _count', 'Observation', [['_count', '-1']], /Invalid _count/],
    ['textual _count', 'Observation', [['_count', 'ten']], /Invalid _count/],
    ['bad _summary', 'Observation', [['_summary', 'maybe']], /Invalid _summary/],
    ['bad _total', 'Observation', [['_total', 'all']], /Invalid _total/],
    ['bad _elements', 'Observation', [['_elements', 'a;b']], /Invalid element/],
    ['bad _include', 'Observation', [['_include', 'Observation']], /Invalid _include/],
    ['unknown modifier', 'Observation', [['code:below', 'x']], /Unknown or unsupported modifier ":below"/],
    ['modifier on a date', 'Observation', [['date:exact', '2019']], /modifier ":exact"/],
    ['bad :missing value', 'Observation', [['code:missing', 'yes']], /expected true or false/],
    ['wrong reference type modifier', 'Observation', [['patient:Organization', '1']], /not a target/],
    ['a NUL character', 'Patient', [['family', 'a\u0000b']], /control characters/],
    ['a huge value', 'Patient', [['family', 'x'.repeat(5000)]], /too long/],
    ['too many OR values', 'Patient', [['family', Array.from({ length: 101 }, (_, i) => `n${i}`).join(',')]], /Too many values/],
    ['too many parameters', 'Patient', Array.from({ length: 101 }, () => ['family', 'x']), /Too many search parameters/],
    ['a garbage cursor', 'Patient', [['_cursor', '%%%']], /Invalid paging cursor/],
  ] as Array<[string, string, Array<[string, string]>, RegExp]>)('answers %s with a 400', (_name, type, params, message) => {
    rejects(type, params, message);
  });
});
