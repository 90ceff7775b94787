import { describe, expect, it } from 'vitest';
import { parseConditionalReference, parseIfNoneExist } from '../../src/importer/conditional.js';
import { canonicalJson, deterministicId } from '../../src/importer/fhir-id.js';
import { forEachReference, rewriteReferences } from '../../src/importer/references.js';

describe('reference rewriting', () => {
  it('rewrites references at any depth and shares untouched branches', () => {
    const input = { a: { reference: 'urn:uuid:1' }, b: { deep: [{ reference: 'x' }] }, contained: [{ s: { reference: 'urn:uuid:1' } }] };
    const out = rewriteReferences(input, new Map([['urn:uuid:1', 'Patient/1']]));
    expect(out).toEqual({ a: { reference: 'Patient/1' }, b: { deep: [{ reference: 'x' }] }, contained: [{ s: { reference: 'Patient/1' } }] });
    expect(out.b).toBe(input.b);
    expect(input.a.reference).toBe('urn:uuid:1');
  });

  it('lists every reference string, ignoring identifier-only references', () => {
    const seen: string[] = [];
    forEachReference({ a: { reference: 'A/1' }, b: [{ identifier: { value: 'v' } }, { reference: '#c' }] }, (r) => seen.push(r));
    expect(seen).toEqual(['A/1', '#c']);
  });
});

describe('conditional criteria', () => {
  it('parses Synthea conditional references with unencoded | and :', () => {
    expect(parseConditionalReference('Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999984591')).toEqual({
      type: 'Practitioner',
      params: [['identifier', 'http://hl7.org/fhir/sid/us-npi|9999984591']],
    });
  });

  it('decodes percent-encoding, keeps +, and reads several parameters', () => {
    expect(parseConditionalReference('Patient?identifier=urn%3Amrn%7Ca+b&birthdate=2000')?.params).toEqual([
      ['identifier', 'urn:mrn|a+b'],
      ['birthdate', '2000'],
    ]);
  });

  it('is not fooled by relative, absolute or local references', () => {
    for (const ref of ['Patient/1', 'http://x/fhir/Patient?x=1', '#a', 'urn:uuid:1', '?identifier=x']) {
      expect(parseConditionalReference(ref)).toBeUndefined();
    }
  });

  it('reads ifNoneExist with or without the type prefix', () => {
    for (const v of ['identifier=s|v', '?identifier=s|v', 'Organization?identifier=s|v']) {
      expect(parseIfNoneExist('Organization', v).params).toEqual([['identifier', 's|v']]);
    }
  });
});

describe('deterministic ids', () => {
  it('are version-5-style uuids that ignore key order and server meta', () => {
    const a = deterministicId('Patient', { resourceType: 'Patient', name: [{ family: 'X' }], active: true });
    const b = deterministicId('Patient', { active: true, name: [{ family: 'X' }], resourceType: 'Patient', meta: { versionId: '3' } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicId('Person', { resourceType: 'Patient', name: [{ family: 'X' }], active: true })).not.toBe(a);
  });

  it('canonical JSON sorts keys recursively', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }] })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
