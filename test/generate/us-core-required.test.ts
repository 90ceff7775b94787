/**
 * Required elements (min cardinality ≥ 1, and the profile invariants we rely on) of each
 * US Core 6.1.0 profile, written from the profiles
 * (https://hl7.org/fhir/us/core/STU6.1/profiles-and-extensions.html), not from the generator.
 * `a|b` = either satisfies (a choice type or an invariant with alternatives).
 */
import { describe, expect, it } from 'vitest';
import type { Resource } from '../../src/generate/index.js';
import { has, patients, profileOf, providers, valuesAt } from './fhir-walk.js';

const VITAL = ['status', 'category', 'code', 'subject', 'effectiveDateTime|effectivePeriod', 'valueQuantity|dataAbsentReason|component'];
const OBS = ['status', 'category', 'code', 'subject'];

const REQUIRED: Record<string, { type: string; paths: string[] }> = {
  'us-core-patient': { type: 'Patient', paths: ['identifier', 'identifier.system', 'identifier.value', 'name', 'name.family|name.given', 'gender'] },
  'us-core-allergyintolerance': { type: 'AllergyIntolerance', paths: ['code', 'patient', 'clinicalStatus|verificationStatus'] },
  'us-core-careplan': { type: 'CarePlan', paths: ['status', 'intent', 'category', 'subject'] },
  'us-core-careteam': { type: 'CareTeam', paths: ['subject', 'participant', 'participant.role', 'participant.member'] },
  'us-core-condition-encounter-diagnosis': { type: 'Condition', paths: ['category', 'code', 'subject'] },
  'us-core-condition-problems-health-concerns': { type: 'Condition', paths: ['category', 'code', 'subject'] },
  'us-core-coverage': { type: 'Coverage', paths: ['status', 'beneficiary', 'payor', 'relationship'] },
  'us-core-implantable-device': { type: 'Device', paths: ['type', 'patient'] },
  'us-core-diagnosticreport-lab': { type: 'DiagnosticReport', paths: ['status', 'category', 'code', 'subject', 'effectiveDateTime|effectivePeriod'] },
  'us-core-diagnosticreport-note': { type: 'DiagnosticReport', paths: ['status', 'category', 'code', 'subject', 'effectiveDateTime|effectivePeriod'] },
  'us-core-documentreference': { type: 'DocumentReference', paths: ['status', 'type', 'category', 'subject', 'content', 'content.attachment', 'content.attachment.contentType', 'content.attachment.data|content.attachment.url'] },
  'us-core-encounter': { type: 'Encounter', paths: ['status', 'class', 'type', 'subject'] },
  'us-core-goal': { type: 'Goal', paths: ['lifecycleStatus', 'description', 'subject', 'startDate|target.dueDate'] },
  'us-core-immunization': { type: 'Immunization', paths: ['status', 'vaccineCode', 'patient', 'occurrenceDateTime|occurrenceString', 'primarySource'] },
  'us-core-medication': { type: 'Medication', paths: ['code'] },
  'us-core-medicationrequest': { type: 'MedicationRequest', paths: ['status', 'intent', 'medicationCodeableConcept|medicationReference', 'subject', 'authoredOn', 'requester'] },
  'us-core-medicationdispense': { type: 'MedicationDispense', paths: ['status', 'medicationCodeableConcept|medicationReference', 'subject'] },
  'us-core-procedure': { type: 'Procedure', paths: ['status', 'code', 'subject', 'performedDateTime|performedPeriod'] },
  'us-core-provenance': { type: 'Provenance', paths: ['target', 'recorded', 'agent', 'agent.who'] },
  'us-core-questionnaireresponse': { type: 'QuestionnaireResponse', paths: ['questionnaire', 'status', 'subject', 'authored'] },
  'us-core-relatedperson': { type: 'RelatedPerson', paths: ['patient', 'active', 'relationship'] },
  'us-core-servicerequest': { type: 'ServiceRequest', paths: ['status', 'intent', 'code', 'subject', 'category'] },
  'us-core-specimen': { type: 'Specimen', paths: ['type', 'subject'] },
  'us-core-organization': { type: 'Organization', paths: ['name', 'active'] },
  'us-core-practitioner': { type: 'Practitioner', paths: ['identifier', 'name', 'name.family'] },
  'us-core-practitionerrole': { type: 'PractitionerRole', paths: ['practitioner|organization', 'telecom|endpoint'] },
  'us-core-location': { type: 'Location', paths: ['name'] },
  'us-core-blood-pressure': { type: 'Observation', paths: [...VITAL, 'component'] },
  'us-core-heart-rate': { type: 'Observation', paths: VITAL },
  'us-core-respiratory-rate': { type: 'Observation', paths: VITAL },
  'us-core-body-temperature': { type: 'Observation', paths: VITAL },
  'us-core-body-weight': { type: 'Observation', paths: VITAL },
  'us-core-body-height': { type: 'Observation', paths: VITAL },
  'us-core-bmi': { type: 'Observation', paths: VITAL },
  'us-core-pulse-oximetry': { type: 'Observation', paths: VITAL },
  'us-core-head-circumference': { type: 'Observation', paths: VITAL },
  'head-occipital-frontal-circumference-percentile': { type: 'Observation', paths: VITAL },
  'pediatric-bmi-for-age': { type: 'Observation', paths: VITAL },
  'pediatric-weight-for-height': { type: 'Observation', paths: VITAL },
  'us-core-observation-lab': { type: 'Observation', paths: [...OBS, 'effectiveDateTime|effectivePeriod', 'valueQuantity|valueCodeableConcept|valueString|dataAbsentReason'] },
  'us-core-observation-clinical-result': { type: 'Observation', paths: [...OBS, 'valueQuantity|valueCodeableConcept|valueString|dataAbsentReason'] },
  'us-core-observation-screening-assessment': { type: 'Observation', paths: [...OBS, 'valueQuantity|valueCodeableConcept|valueString|hasMember|dataAbsentReason'] },
  'us-core-smokingstatus': { type: 'Observation', paths: [...OBS, 'effectiveDateTime', 'valueCodeableConcept'] },
  'us-core-observation-occupation': { type: 'Observation', paths: [...OBS, 'effectivePeriod', 'valueCodeableConcept'] },
  'us-core-observation-pregnancystatus': { type: 'Observation', paths: [...OBS, 'effectiveDateTime', 'valueCodeableConcept'] },
  'us-core-observation-pregnancyintent': { type: 'Observation', paths: [...OBS, 'effectiveDateTime', 'valueCodeableConcept'] },
  'us-core-observation-sexual-orientation': { type: 'Observation', paths: [...OBS, 'valueCodeableConcept'] },
};

/** Fixed codes of the code-first Observation profiles (US Core 6.1.0). */
const FIXED_CODE: Record<string, string> = {
  'us-core-blood-pressure': '85354-9', 'us-core-heart-rate': '8867-4', 'us-core-respiratory-rate': '9279-1',
  'us-core-body-temperature': '8310-5', 'us-core-body-weight': '29463-7', 'us-core-body-height': '8302-2',
  'us-core-bmi': '39156-5', 'us-core-head-circumference': '9843-4', 'head-occipital-frontal-circumference-percentile': '8289-1',
  'pediatric-bmi-for-age': '59576-9', 'pediatric-weight-for-height': '77606-2', 'us-core-smokingstatus': '72166-2',
  'us-core-observation-occupation': '11341-5', 'us-core-observation-pregnancystatus': '82810-3',
  'us-core-observation-pregnancyintent': '86645-9', 'us-core-observation-sexual-orientation': '76690-7',
};
/** UCUM codes each vital sign must use. */
const VITAL_UNIT: Record<string, string[]> = {
  'us-core-heart-rate': ['/min'], 'us-core-respiratory-rate': ['/min'], 'us-core-body-temperature': ['Cel', '[degF]'],
  'us-core-body-weight': ['kg', 'g', '[lb_av]'], 'us-core-body-height': ['cm', '[in_i]'], 'us-core-bmi': ['kg/m2'],
  'us-core-pulse-oximetry': ['%'], 'us-core-head-circumference': ['cm', '[in_i]'],
  'head-occipital-frontal-circumference-percentile': ['%'], 'pediatric-bmi-for-age': ['%'], 'pediatric-weight-for-height': ['%'],
};

const all: Resource[] = [
  ...providers(21).entry.map((e) => e.resource),
  ...patients(21, 60).flatMap((b) => b.entry.map((e) => e.resource)),
];

describe('generate: US Core 6.1.0 required elements', () => {
  it('declares a known US Core profile in meta.profile on every resource', () => {
    for (const r of all) {
      const p = profileOf(r);
      expect(REQUIRED[p], `${r.resourceType}/${r.id} profile ${r.meta?.profile?.[0]}`).toBeDefined();
      expect(REQUIRED[p].type).toBe(r.resourceType);
    }
  });

  it('fills every required element of the declared profile', () => {
    for (const r of all) {
      for (const path of REQUIRED[profileOf(r)].paths) expect(has(r, path), `${profileOf(r)} ${r.id} lacks ${path}`).toBe(true);
    }
  });

  it('uses the fixed LOINC code of each code-first Observation profile', () => {
    for (const r of all.filter((x) => FIXED_CODE[profileOf(x)])) {
      expect(valuesAt(r, 'code.coding.code'), profileOf(r)).toContain(FIXED_CODE[profileOf(r)]);
    }
    for (const r of all.filter((x) => profileOf(x) === 'us-core-pulse-oximetry')) {
      expect(valuesAt(r, 'code.coding.code')).toEqual(expect.arrayContaining(['59408-5', '2708-6']));
    }
  });

  it('gives every vital sign the vital-signs category and a UCUM quantity in the profile unit', () => {
    for (const r of all.filter((x) => VITAL_UNIT[profileOf(x)] || profileOf(x) === 'us-core-blood-pressure')) {
      expect(valuesAt(r, 'category.coding.code')).toContain('vital-signs');
      const quantities = valuesAt(r, 'valueQuantity').concat(profileOf(r) === 'us-core-blood-pressure' ? valuesAt(r, 'component.valueQuantity') : []);
      for (const q of quantities as Array<{ system: string; code: string; value: number }>) {
        expect(q.system).toBe('http://unitsofmeasure.org');
        expect(typeof q.value).toBe('number');
        if (VITAL_UNIT[profileOf(r)]) expect(VITAL_UNIT[profileOf(r)], profileOf(r)).toContain(q.code);
        else expect(q.code).toBe('mm[Hg]');
      }
    }
  });

  it('gives every blood pressure a systolic and a diastolic component with a value or a data-absent reason', () => {
    for (const r of all.filter((x) => profileOf(x) === 'us-core-blood-pressure')) {
      for (const code of ['8480-6', '8462-4']) {
        const comp = (r.component as unknown[]).find((c) => valuesAt(c, 'code.coding.code').includes(code));
        expect(comp, code).toBeDefined();
        expect(has(comp, 'valueQuantity|dataAbsentReason')).toBe(true);
      }
    }
  });

  it('puts the US Core category slice on lab, note, condition and document resources', () => {
    const expectCode = (r: Resource, path: string, code: string) => expect(valuesAt(r, path), `${profileOf(r)} ${r.id}`).toContain(code);
    for (const r of all) {
      const p = profileOf(r);
      if (p === 'us-core-observation-lab') expectCode(r, 'category.coding.code', 'laboratory');
      if (p === 'us-core-diagnosticreport-lab') expectCode(r, 'category.coding.code', 'LAB');
      if (p === 'us-core-condition-encounter-diagnosis') expectCode(r, 'category.coding.code', 'encounter-diagnosis');
      if (p === 'us-core-documentreference') expectCode(r, 'category.coding.code', 'clinical-note');
      if (p === 'us-core-careplan') expectCode(r, 'category.coding.code', 'assess-plan');
      if (p === 'us-core-condition-problems-health-concerns') {
        expect(valuesAt(r, 'category.coding.code').some((c) => c === 'problem-list-item' || c === 'health-concern')).toBe(true);
      }
    }
  });

  it('writes dates and dateTimes in FHIR format with a time zone on every time', () => {
    const date = /^\d{4}(-\d{2}(-\d{2})?)?$/;
    const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
    const keys = /(Date|DateTime|^date|^issued|^recorded|^authoredOn|^authored|^whenHandedOver|^whenPrepared|^start|^end|^created|^creation|^receivedTime)$/;
    const bad: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) return node.forEach((n) => walk(n, where));
      if (!node || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (typeof v === 'string' && keys.test(k)) {
          if (!date.test(v) && !dateTime.test(v)) bad.push(`${where}.${k} = ${v}`);
        } else walk(v, `${where}.${k}`);
      }
    };
    for (const r of all) walk(r, `${r.resourceType}/${r.id}`);
    expect(bad).toEqual([]);
  });

  it('never leaves an empty string, array or object, or an undefined/null value, in the output', () => {
    const bad: string[] = [];
    const walk = (node: unknown, where: string): void => {
      if (node === undefined || node === null) bad.push(`${where} is ${node}`);
      else if (Array.isArray(node)) {
        if (node.length === 0) bad.push(`${where} is []`);
        node.forEach((n, i) => walk(n, `${where}[${i}]`));
      } else if (typeof node === 'string') {
        if (node.trim() === '') bad.push(`${where} is blank`);
      } else if (typeof node === 'object') {
        const entries = Object.entries(node);
        if (entries.length === 0) bad.push(`${where} is {}`);
        for (const [k, v] of entries) walk(v, `${where}.${k}`);
      }
    };
    for (const r of all) walk(r, `${r.resourceType}/${r.id}`);
    expect(bad.slice(0, 20)).toEqual([]);
  });
});
