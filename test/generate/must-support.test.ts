/**
 * Patient 0 of every seed must let every Inferno US Core 6.1.0 test find data: each
 * must-support path of conformance/inferno-checklist.md §1c at least once across its
 * resources, plus the §1d cross-resource groups. The lists below are copied from the
 * checklist, not from the generator. `a|b` = either satisfies (a metadata "choice").
 */
import { describe, expect, it } from 'vitest';
import type { Bundle, Resource } from '../../src/generate/index.js';
import { codes, has, patients, profileOf, providers, resources, valuesAt } from './fhir-walk.js';

type Group = { type: string; profiles?: string[]; paths: string[] };
const VITALS = [
  'us-core-blood-pressure', 'us-core-bmi', 'us-core-body-height', 'us-core-body-temperature', 'us-core-body-weight',
  'us-core-head-circumference', 'head-occipital-frontal-circumference-percentile', 'us-core-heart-rate',
  'pediatric-bmi-for-age', 'pediatric-weight-for-height', 'us-core-pulse-oximetry', 'us-core-respiratory-rate',
];
const VITAL_PATHS = ['status', 'category.coding.system', 'category.coding.code', 'code.coding.code', 'subject', 'effectiveDateTime', 'valueQuantity.value|component.valueQuantity.value', 'valueQuantity.unit|component.valueQuantity.unit', 'valueQuantity.system|component.valueQuantity.system', 'valueQuantity.code|component.valueQuantity.code'];

const GROUPS: Record<string, Group> = {
  Patient: { type: 'Patient', paths: ['identifier.system', 'identifier.value', 'name.family', 'name.given', 'name.suffix', 'name.use|name.period.end', 'telecom.system', 'telecom.value', 'telecom.use', 'gender', 'birthDate', 'deceasedDateTime', 'address.line', 'address.city', 'address.state', 'address.postalCode', 'address.use|address.period.end', 'communication.language'] },
  AllergyIntolerance: { type: 'AllergyIntolerance', paths: ['clinicalStatus', 'verificationStatus', 'code', 'patient', 'reaction.manifestation'] },
  CarePlan: { type: 'CarePlan', paths: ['text.status', 'text.div', 'status', 'intent', 'category', 'subject'] },
  CareTeam: { type: 'CareTeam', paths: ['status', 'subject', 'participant.role', 'participant.member'] },
  'Condition enc-dx': { type: 'Condition', profiles: ['us-core-condition-encounter-diagnosis'], paths: ['category', 'code', 'subject', 'encounter', 'abatementDateTime', 'recordedDate'] },
  'Condition problems': { type: 'Condition', profiles: ['us-core-condition-problems-health-concerns'], paths: ['category', 'code', 'subject', 'encounter', 'abatementDateTime', 'recordedDate', 'clinicalStatus', 'verificationStatus', 'onsetDateTime', 'extension.valueDateTime'] },
  Coverage: { type: 'Coverage', paths: ['identifier.type', 'status', 'type', 'subscriberId', 'beneficiary', 'relationship', 'period', 'payor', 'class.value', 'class.name'] },
  Device: { type: 'Device', paths: ['udiCarrier.deviceIdentifier', 'udiCarrier.carrierHRF', 'distinctIdentifier', 'manufactureDate', 'expirationDate', 'lotNumber', 'serialNumber', 'type', 'patient'] },
  'DiagnosticReport lab': { type: 'DiagnosticReport', profiles: ['us-core-diagnosticreport-lab'], paths: ['status', 'category', 'code', 'subject', 'effectiveDateTime', 'issued', 'performer', 'result'] },
  'DiagnosticReport note': { type: 'DiagnosticReport', profiles: ['us-core-diagnosticreport-note'], paths: ['status', 'category', 'code', 'subject', 'encounter', 'effectiveDateTime', 'issued', 'performer', 'presentedForm'] },
  DocumentReference: { type: 'DocumentReference', paths: ['identifier', 'status', 'type', 'category', 'subject', 'date', 'author', 'content.attachment.contentType', 'content.attachment.data|content.attachment.url', 'content.format', 'context.encounter', 'context.period'] },
  Encounter: { type: 'Encounter', paths: ['identifier.system', 'identifier.value', 'status', 'class', 'type', 'subject', 'participant.type', 'participant.period', 'participant.individual', 'period', 'reasonCode|reasonReference', 'hospitalization.dischargeDisposition', 'location.location|serviceProvider'] },
  Goal: { type: 'Goal', paths: ['lifecycleStatus', 'description', 'subject', 'startDate|target.dueDate'] },
  Immunization: { type: 'Immunization', paths: ['status', 'statusReason', 'vaccineCode', 'patient', 'occurrenceDateTime', 'primarySource'] },
  Procedure: { type: 'Procedure', paths: ['basedOn', 'status', 'code', 'subject', 'performedDateTime'] },
  MedicationRequest: { type: 'MedicationRequest', paths: ['status', 'intent', 'category', 'reportedBoolean|reportedReference', 'medicationCodeableConcept|medicationReference', 'subject', 'encounter', 'authoredOn', 'requester', 'reasonCode|reasonReference', 'dosageInstruction.text', 'dosageInstruction.timing', 'dosageInstruction.doseAndRate.doseQuantity', 'dispenseRequest.numberOfRepeatsAllowed', 'dispenseRequest.quantity'] },
  MedicationDispense: { type: 'MedicationDispense', paths: ['status', 'medicationCodeableConcept|medicationReference', 'subject', 'performer.actor', 'authorizingPrescription', 'type', 'quantity', 'whenHandedOver', 'dosageInstruction.text', 'dosageInstruction.timing', 'dosageInstruction.doseAndRate.doseQuantity'] },
  ...Object.fromEntries(VITALS.map((p) => [p, { type: 'Observation', profiles: [p], paths: VITAL_PATHS }])),
  'Lab Observation': { type: 'Observation', profiles: ['us-core-observation-lab'], paths: ['status', 'category', 'code', 'subject', 'effectiveDateTime', 'valueQuantity', 'valueCodeableConcept', 'valueString', 'specimen'] },
  'Clinical result': { type: 'Observation', profiles: ['us-core-observation-clinical-result'], paths: ['status', 'category', 'code', 'subject', 'effectiveDateTime', 'valueQuantity|valueCodeableConcept|valueString'] },
  'Screening assessment': { type: 'Observation', profiles: ['us-core-observation-screening-assessment'], paths: ['status', 'category', 'code', 'subject', 'effectiveDateTime', 'valueQuantity', 'valueCodeableConcept', 'performer', 'hasMember', 'derivedFrom'] },
  'Smoking status': { type: 'Observation', profiles: ['us-core-smokingstatus'], paths: ['status', 'category', 'code', 'subject', 'valueCodeableConcept', 'effectiveDateTime|effectivePeriod'] },
  Occupation: { type: 'Observation', profiles: ['us-core-observation-occupation'], paths: ['status', 'category', 'code', 'subject', 'effectivePeriod', 'valueCodeableConcept', 'component.code', 'component.valueCodeableConcept'] },
  'Pregnancy status': { type: 'Observation', profiles: ['us-core-observation-pregnancystatus'], paths: ['status', 'category', 'code', 'subject', 'effectiveDateTime', 'valueCodeableConcept'] },
  'Pregnancy intent': { type: 'Observation', profiles: ['us-core-observation-pregnancyintent'], paths: ['status', 'category', 'code', 'subject', 'effectiveDateTime', 'valueCodeableConcept'] },
  'Sexual orientation': { type: 'Observation', profiles: ['us-core-observation-sexual-orientation'], paths: ['status', 'code', 'subject', 'valueCodeableConcept'] },
  ServiceRequest: { type: 'ServiceRequest', paths: ['status', 'intent', 'category', 'code', 'subject', 'occurrencePeriod', 'authoredOn', 'requester', 'reasonCode|reasonReference'] },
  Provenance: { type: 'Provenance', paths: ['target.reference', 'recorded', 'agent.type', 'agent.who', 'agent.onBehalfOf'] },
  RelatedPerson: { type: 'RelatedPerson', paths: ['active', 'patient', 'relationship', 'name', 'telecom', 'address'] },
  Specimen: { type: 'Specimen', paths: ['type', 'subject'] },
  QuestionnaireResponse: { type: 'QuestionnaireResponse', paths: ['questionnaire', 'status', 'subject', 'authored', 'author'] },
};

const PROVIDER_GROUPS: Record<string, Group> = {
  Organization: { type: 'Organization', paths: ['identifier.value', 'active', 'name', 'telecom', 'address.line', 'address.city', 'address.state', 'address.postalCode', 'address.country'] },
  Practitioner: { type: 'Practitioner', paths: ['identifier.value', 'name.family', 'telecom'] },
};

const EXT = 'http://hl7.org/fhir/us/core/StructureDefinition/';

function missing(list: Resource[], group: Group): string[] {
  const own = list.filter((r) => r.resourceType === group.type && (!group.profiles || group.profiles.includes(profileOf(r))));
  if (own.length === 0) return ['(no resources)'];
  return group.paths.filter((p) => !own.some((r) => has(r, p)));
}

for (const seed of [1, 2, 987654]) {
  describe(`generate: patient 0 of seed ${seed} covers every must-support element`, () => {
    const bundle: Bundle = patients(seed, 1)[0];
    const all = bundle.entry.map((e) => e.resource);

    for (const [name, group] of Object.entries(GROUPS)) {
      it(`has ${name} with every must-support path`, () => {
        expect(missing(all, group)).toEqual([]);
      });
    }

    it('has NPI-identified Organizations and Practitioners in the providers bundle', () => {
      const directory = providers(seed).entry.map((e) => e.resource);
      for (const group of Object.values(PROVIDER_GROUPS)) expect(missing(directory, group)).toEqual([]);
      const npi = (r: Resource) => valuesAt(r, 'identifier.system').includes('http://hl7.org/fhir/sid/us-npi');
      // Providers carry an NPI; payers usually have none (the slice is 0..1).
      expect(directory.filter((r) => r.resourceType === 'Organization').some(npi)).toBe(true);
      expect(directory.filter((r) => r.resourceType === 'Practitioner').every(npi)).toBe(true);
    });

    it('carries the race, ethnicity, tribal affiliation, birth sex and sex extensions', () => {
      const urls = valuesAt(all[0], 'extension.url');
      for (const e of ['us-core-race', 'us-core-ethnicity', 'us-core-tribal-affiliation', 'us-core-birthsex', 'us-core-sex']) expect(urls).toContain(EXT + e);
    });

    it('uses the condition-assertedDate extension and the sdoh screening-assessment category on a problem or health concern', () => {
      const problems = resources(bundle, 'Condition', 'us-core-condition-problems-health-concerns');
      expect(problems.some((c) => valuesAt(c, 'extension.url').includes('http://hl7.org/fhir/StructureDefinition/condition-assertedDate'))).toBe(true);
      for (const cat of ['problem-list-item', 'health-concern']) {
        expect(problems.some((c) => valuesAt(c, 'category.coding.code').includes(cat)), cat).toBe(true);
      }
      expect(problems.some((c) => codes(valuesAt(c, 'category')).includes('http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh'))).toBe(true);
    });

    it('has all eight clinical note types and the three report-note categories, with matching attachment urls', () => {
      const types = resources(bundle, 'DocumentReference').flatMap((d) => valuesAt(d, 'type.coding.code'));
      for (const t of ['11488-4', '18842-5', '34117-2', '28570-0', '11506-3', '18748-4', '11502-2', '11526-1']) expect(types, t).toContain(t);
      const reports = resources(bundle, 'DiagnosticReport');
      const categories = reports.flatMap((r) => codes(valuesAt(r, 'category')));
      for (const c of ['LP29684-5', 'LP29708-2', 'LP7839-6']) expect(categories).toContain(`http://loinc.org|${c}`);
      const urls = new Set(resources(bundle, 'DocumentReference').flatMap((d) => valuesAt(d, 'content.attachment.url')));
      const forms = reports.flatMap((r) => valuesAt(r, 'presentedForm.url'));
      expect(forms.length).toBeGreaterThanOrEqual(3);
      for (const u of forms) expect(urls.has(u)).toBe(true);
    });

    it('has survey Observations for sdoh, functional, disability and cognitive status', () => {
      const surveys = resources(bundle, 'Observation').filter((o) => valuesAt(o, 'category.coding.code').includes('survey'));
      const cats = new Set(surveys.flatMap((o) => codes(valuesAt(o, 'category'))));
      for (const c of ['sdoh', 'functional-status', 'disability-status', 'cognitive-status']) {
        expect(cats.has(`http://hl7.org/fhir/us/core/CodeSystem/us-core-category|${c}`), c).toBe(true);
      }
    });

    it('has clinical-result Observations in more than one non-lab category', () => {
      const cats = new Set(resources(bundle, 'Observation', 'us-core-observation-clinical-result').flatMap((o) => valuesAt(o, 'category.coding.code')));
      expect(cats.size).toBeGreaterThanOrEqual(3);
    });

    it('has blood pressure and pulse oximetry components with both values and data-absent reasons', () => {
      const bp = resources(bundle, 'Observation', 'us-core-blood-pressure');
      for (const code of ['8480-6', '8462-4']) {
        expect(bp.some((o) => (o.component as unknown[]).some((c) => valuesAt(c, 'code.coding.code').includes(code) && has(c, 'valueQuantity'))), code).toBe(true);
      }
      expect(bp.some((o) => has(o, 'component.dataAbsentReason'))).toBe(true);
      const ox = resources(bundle, 'Observation', 'us-core-pulse-oximetry');
      for (const code of ['3151-8', '3150-0']) {
        expect(ox.some((o) => (o.component as unknown[]).some((c) => valuesAt(c, 'code.coding.code').includes(code) && has(c, 'valueQuantity'))), code).toBe(true);
      }
    });

    it('uses the data-absent-reason extension and a data-absent-reason#unknown coding somewhere', () => {
      const text = JSON.stringify(bundle);
      expect(text).toContain('"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason"');
      expect(all.some((r) => codes(valuesAt(r, 'component.dataAbsentReason').concat(valuesAt(r, 'dataAbsentReason'))).includes('http://terminology.hl7.org/CodeSystem/data-absent-reason|unknown'))).toBe(true);
    });

    it('has a MedicationRequest and a MedicationDispense whose medicationReference is a Medication entry (not contained)', () => {
      const meds = new Set(resources(bundle, 'Medication').map((m) => `Medication/${m.id}`));
      for (const type of ['MedicationRequest', 'MedicationDispense']) {
        const refs = resources(bundle, type).flatMap((r) => valuesAt(r, 'medicationReference.reference') as string[]);
        expect(refs.length, type).toBeGreaterThan(0);
        for (const ref of refs) {
          expect(ref.startsWith('#')).toBe(false);
          expect(meds.has(ref)).toBe(true);
        }
      }
    });

    it('has a CareTeam member that is a PractitionerRole and one that is a RelatedPerson, and both Provenance agent slices', () => {
      const members = resources(bundle, 'CareTeam').flatMap((c) => valuesAt(c, 'participant.member.reference') as string[]);
      expect(members.some((m) => m.startsWith('PractitionerRole/'))).toBe(true);
      expect(members.some((m) => m.startsWith('RelatedPerson/'))).toBe(true);
      const agentTypes = resources(bundle, 'Provenance').flatMap((p) => codes(valuesAt(p, 'agent.type')));
      expect(agentTypes).toContain('http://terminology.hl7.org/CodeSystem/provenance-participant-type|author');
      expect(agentTypes).toContain('http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type|transmitter');
    });

    it('has Coverage class slices group and plan, and a member-id identifier', () => {
      const coverage = resources(bundle, 'Coverage');
      const classCodes = coverage.flatMap((c) => valuesAt(c, 'class.type.coding.code'));
      expect(classCodes).toEqual(expect.arrayContaining(['group', 'plan']));
      expect(coverage.flatMap((c) => valuesAt(c, 'identifier.type.coding.code'))).toContain('MB');
    });
  });
}
