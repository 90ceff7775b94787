import { describe, expect, it } from 'vitest';
import { compileFhirPath } from '../../../src/fhir/search/fhirpath-lite.js';
import { buildRegistry, loadRegistry, narrowExpression } from '../../../src/fhir/search/registry.js';

const { registry, skipped } = buildRegistry();

/**
 * Search parameters US Core 6.1.0 requires or recommends (SHALL/SHOULD) for the resource
 * types of SPEC.md, from /work/shared/conformance/inferno-checklist.md §1 and the US Core
 * CapabilityStatement (https://hl7.org/fhir/us/core/STU6.1/CapabilityStatement-us-core-server.html).
 */
const US_CORE_PARAMS: Record<string, string[]> = {
  Patient: ['_id', 'identifier', 'name', 'family', 'given', 'gender', 'birthdate', 'death-date', 'race', 'ethnicity'],
  AllergyIntolerance: ['_id', 'patient', 'clinical-status'],
  CarePlan: ['_id', 'patient', 'category', 'date', 'status'],
  CareTeam: ['_id', 'patient', 'status', 'role'],
  Condition: [
    '_id', 'patient', 'category', 'clinical-status', 'code', 'onset-date', 'recorded-date', 'asserted-date',
    'abatement-date', 'encounter', '_lastUpdated',
  ],
  Coverage: ['_id', 'patient'],
  Device: ['_id', 'patient', 'type', 'status'],
  DiagnosticReport: ['_id', 'patient', 'category', 'code', 'date', 'status', '_lastUpdated'],
  DocumentReference: ['_id', 'patient', 'type', 'category', 'date', 'period', 'status'],
  Encounter: ['_id', 'patient', 'date', 'class', 'type', 'status', 'location', 'discharge-disposition', 'identifier', '_lastUpdated'],
  Goal: ['_id', 'patient', 'lifecycle-status', 'target-date', 'description'],
  Immunization: ['_id', 'patient', 'date', 'status'],
  Location: ['_id', 'name', 'address', 'address-city', 'address-state', 'address-postalcode'],
  Medication: ['_id'],
  MedicationDispense: ['_id', 'patient', 'status', 'type', 'medication'],
  MedicationRequest: ['_id', 'patient', 'intent', 'status', 'authoredon', 'encounter', 'medication'],
  Observation: ['_id', 'patient', 'category', 'code', 'date', 'status', '_lastUpdated'],
  Organization: ['_id', 'name', 'address'],
  Practitioner: ['_id', 'name', 'identifier'],
  PractitionerRole: ['_id', 'specialty', 'practitioner'],
  Procedure: ['_id', 'patient', 'date', 'code', 'status'],
  Provenance: ['_id', 'target', 'patient'],
  QuestionnaireResponse: ['_id', 'patient', 'authored', 'questionnaire', 'status'],
  RelatedPerson: ['_id', 'patient', 'name'],
  ServiceRequest: ['_id', 'patient', 'category', 'code', 'authored', 'status'],
  Specimen: ['_id', 'patient'],
};

const REQUIRED = Object.entries(US_CORE_PARAMS).flatMap(([type, codes]) => codes.map((code) => [type, code] as const));

describe('US Core 6.1.0 search parameters', () => {
  it.each(REQUIRED)('%s?%s is registered with a compiled expression', (type, code) => {
    const def = registry.get(type, code);
    expect(def, `${type} ${code}`).toBeDefined();
    expect(def!.resourceType).toBe(type);
    expect(def!.code).toBe(code);
    expect(compileFhirPath(def!.expression, type).ok).toBe(true);
    expect(typeof def!.extract).toBe('function');
    expect(skipped.some((s) => s.resourceType === type && s.code === code)).toBe(false);
  });

  it('takes the US Core-only parameters from the US Core definitions', () => {
    expect(registry.get('Condition', 'asserted-date')?.url).toMatch(/^http:\/\/hl7\.org\/fhir\/us\/core\/SearchParameter\//);
    expect(registry.get('Condition', 'asserted-date')?.type).toBe('date');
    expect(registry.get('Goal', 'description')?.type).toBe('token');
    expect(registry.get('CareTeam', 'role')?.expression).toBe('CareTeam.participant.role');
    expect(registry.get('Encounter', 'discharge-disposition')?.expression).toBe('Encounter.hospitalization.dischargeDisposition');
  });

  it('keeps reference targets for _include', () => {
    expect(registry.get('MedicationRequest', 'medication')?.targets).toEqual(['Medication']);
    expect(registry.get('Observation', 'patient')?.targets).toEqual(['Patient']);
  });
});

describe('definition narrowing', () => {
  it('narrows a shared expression to the branches of one base type', () => {
    expect(registry.get('Observation', 'patient')?.expression).toBe('Observation.subject.where(resolve() is Patient)');
    expect(registry.get('MedicationRequest', 'code')?.expression).toBe('(MedicationRequest.medication as CodeableConcept)');
    expect(registry.get('Encounter', 'date')?.expression).toBe('Encounter.period');
  });

  it('keeps parenthesised branches and unions of the same base', () => {
    expect(narrowExpression('(A.value as Quantity) | (B.value as Quantity) | (A.value as Range)', 'A')).toBe(
      '(A.value as Quantity) | (A.value as Range)',
    );
    expect(narrowExpression("A.x.where(y = 'a|b') | B.z", 'A')).toBe("A.x.where(y = 'a|b')");
  });
});

describe('common parameters', () => {
  it.each(registry.resourceTypes())('%s has _profile, _tag, _security, _source, _id and _lastUpdated', (type) => {
    for (const code of ['_profile', '_tag', '_security', '_source']) {
      expect(registry.get(type, code)).toBeDefined();
      expect(registry.forType(type).some((d) => d.code === code)).toBe(true);
    }
    expect(registry.get(type, '_id')?.type).toBe('token');
    expect(registry.get(type, '_lastUpdated')?.type).toBe('date');
  });

  it('leaves _id and _lastUpdated out of the indexed parameters (they are resources columns)', () => {
    for (const type of registry.resourceTypes()) {
      expect(registry.forType(type).map((d) => d.code)).not.toContain('_id');
      expect(registry.forType(type).map((d) => d.code)).not.toContain('_lastUpdated');
    }
  });
});

describe('registry contents', () => {
  it('knows every R4 resource type and nothing else', () => {
    expect(registry.resourceTypes()).toHaveLength(145);
    expect(registry.resourceTypes()).toContain('Patient');
    expect(registry.get('NotAType', '_id')).toBeUndefined();
    expect(registry.forType('NotAType')).toEqual([]);
    expect(registry.get('Observation', 'no-such-param')).toBeUndefined();
  });

  it('leaves out only composite and special parameters and those without an expression', () => {
    const reasons = new Set(skipped.map((s) => s.reason));
    expect([...reasons].sort()).toEqual(['composite parameters are not indexed', 'no FHIRPath expression for this base', 'special parameters are not indexed']);
    for (const s of skipped) expect(registry.get(s.resourceType, s.code)).toBeUndefined();
  });

  it('lists the patient-compartment params of each type, all of them registered', () => {
    expect(registry.compartmentParams('Observation')).toEqual(['subject', 'performer']);
    expect(registry.compartmentParams('Device')).toEqual(['patient']);
    expect(registry.compartmentParams('Organization')).toEqual([]);
    for (const type of registry.resourceTypes()) {
      for (const code of registry.compartmentParams(type)) {
        expect(registry.get(type, code)?.type, `${type}.${code}`).toBe('reference');
      }
    }
  });

  it('returns a fresh registry object on every load', () => {
    const a = loadRegistry();
    const b = loadRegistry();
    expect(a).not.toBe(b);
    expect(a.get('Observation', 'code')).not.toBe(b.get('Observation', 'code'));
    expect(Object.isFrozen(a)).toBe(true);
  });
});
