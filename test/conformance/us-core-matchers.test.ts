/**
 * The conformance suite's own matchers and value pickers (test/conformance/us-core/),
 * checked against the rules they stand for, so a green suite means the server is right
 * rather than the matchers lenient.
 */
import { describe, expect, it } from 'vitest';
import { dateMatches, dateRange, referenceMatches, stringMatches, tokenMatches } from './us-core/matchers.js';
import { comparatorValue, searchValue, shiftDays } from './us-core/values.js';

describe('US Core suite matchers', () => {
  it("shifts dates by a day the way Ruby's DateTime#xmlschema prints them (checklist §0)", () => {
    expect(shiftDays('2019-05-01T10:15:00-04:00', 1)).toBe('2019-05-02T10:15:00-04:00');
    expect(shiftDays('2019-05-01T10:15:00.123Z', -1)).toBe('2019-04-30T10:15:00+00:00');
    expect(shiftDays('2019-05-01', -1)).toBe('2019-04-30T00:00:00+00:00');
    expect(comparatorValue('le', '2019-12-31')).toBe('le2020-01-01T00:00:00+00:00');
    expect(comparatorValue('gt', '2019-03-01T00:30:00+05:30')).toBe('gt2019-02-28T00:30:00+05:30');
  });

  it('sends the exact dateTime, gt<day before> for a date, and a Period by its start or end', () => {
    expect(searchValue({ resourceType: 'Observation', effectiveDateTime: '2019-05-01T10:15:00-04:00' }, 'date', 'p')).toBe('2019-05-01T10:15:00-04:00');
    expect(searchValue({ resourceType: 'Patient', birthDate: '2000-02-29' }, 'birthdate', 'p')).toBe('gt2000-02-28T00:00:00+00:00');
    expect(searchValue({ resourceType: 'Goal', target: [{ dueDate: '2024-04-22' }] }, 'target-date', 'p')).toBe('2024-04-22');
    expect(searchValue({ resourceType: 'Encounter', period: { start: '2020-01-02' } }, 'date', 'p')).toBe('gt2020-01-01T00:00:00+00:00');
    expect(searchValue({ resourceType: 'Encounter', period: { end: '2020-01-02' } }, 'date', 'p')).toBe('lt2020-01-03T00:00:00+00:00');
  });

  it('compares dates as ranges at their precision (https://hl7.org/fhir/R4/search.html#prefix)', () => {
    expect(dateRange('2019').hi - dateRange('2019').lo).toBe(365 * 86_400_000 - 1);
    expect(dateMatches('2019-05-01T10:15:00-04:00', '2019-05-01T14:15:00Z')).toBe(true);
    expect(dateMatches('2019-05-01T10:15:00-04:00', '2019-05-01T10:15:01-04:00')).toBe(false);
    expect(dateMatches('2019-05-01T10:15:00-04:00', '2019-05-01')).toBe(true); // 14:15Z is inside the UTC day
    expect(dateMatches('2019-05-01T22:15:00-04:00', '2019-05-01')).toBe(false); // 02:15Z the next day
    expect(dateMatches('2019-05-01T10:15:00-04:00', '2019-05')).toBe(true);
    expect(dateMatches({ start: '2019-01-01', end: '2019-02-01' }, 'gt2019-01-15')).toBe(true);
    expect(dateMatches({ start: '2019-01-01', end: '2019-02-01' }, 'lt2019-01-01')).toBe(false);
    expect(dateMatches({ start: '2019-01-01' }, 'gt2030-01-01')).toBe(true);
    expect(dateMatches('2019-05-01', 'le2019-05-02T00:00:00 00:00')).toBe(true); // a + decoded as a space
    expect(dateMatches('2019-05-02', 'lt2019-05-02T00:00:00+00:00')).toBe(false);
  });

  it('matches tokens case-insensitively on the code, the system exactly', () => {
    const cc = { coding: [{ system: 'http://loinc.org', code: 'LP29684-5' }] };
    expect(tokenMatches(cc, 'lp29684-5')).toBe(true);
    expect(tokenMatches(cc, 'http://loinc.org|LP29684-5')).toBe(true);
    expect(tokenMatches(cc, 'http://snomed.info/sct|LP29684-5')).toBe(false);
    expect(tokenMatches('final', 'FINAL')).toBe(true);
    expect(tokenMatches({ system: 'urn:mrn', value: '42' }, 'urn:mrn|42')).toBe(true);
    expect(tokenMatches({ system: 'urn:mrn', value: '42' }, '43')).toBe(false);
  });

  it('matches references as id, Type/id or an absolute URL, and strings by prefix', () => {
    const ref = { reference: 'Patient/abc' };
    for (const v of ['abc', 'Patient/abc', 'http://chartkey.test/fhir/Patient/abc']) expect(referenceMatches(ref, v), v).toBe(true);
    expect(referenceMatches(ref, 'Patient/abcd')).toBe(false);
    expect(referenceMatches(ref, 'Group/abc')).toBe(false);
    expect(stringMatches({ family: 'Núñez', given: ['Ana'] }, 'nun')).toBe(true);
    expect(stringMatches({ family: 'Núñez', given: ['Ana'] }, 'ez')).toBe(false);
  });
});
