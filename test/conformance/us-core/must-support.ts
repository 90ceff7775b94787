/**
 * Must-support elements Inferno must see at least once across what the API returned for
 * the test patient (conformance/inferno-checklist.md §1c, us-core-test-kit
 * generated/v6.1.0/<group>/metadata.yml `:must_supports`). `a|b` = either satisfies.
 */
import { valuesAt } from './elements.js';
import type { Json } from './harness.js';

const US = 'http://hl7.org/fhir/us/core/StructureDefinition/';
const VITALS = [
  'us-core-blood-pressure', 'us-core-bmi', 'us-core-body-height', 'us-core-body-temperature', 'us-core-body-weight', 'us-core-head-circumference',
  'head-occipital-frontal-circumference-percentile', 'us-core-heart-rate', 'pediatric-bmi-for-age', 'pediatric-weight-for-height',
  'us-core-pulse-oximetry', 'us-core-respiratory-rate',
];
const VITAL_PATHS = [
  'status', 'category.coding.system', 'category.coding.code', 'code.coding.code', 'subject', 'effectiveDateTime',
  'valueQuantity.value|component.valueQuantity.value', 'valueQuantity.unit|component.valueQuantity.unit',
  'valueQuantity.system|component.valueQuantity.system', 'valueQuantity.code|component.valueQuantity.code',
];
const COND = ['category', 'code', 'subject', 'encounter', 'abatementDateTime', 'recordedDate'];
const DR = ['status', 'category', 'code', 'subject', 'effectiveDateTime', 'issued', 'performer'];
const OBS = ['status', 'category', 'code', 'subject', 'effectiveDateTime'];
const DOSAGE = ['dosageInstruction.text', 'dosageInstruction.timing', 'dosageInstruction.doseAndRate.doseQuantity'];

/** Profile (short name) → must-support paths. */
export const MUST_SUPPORT: Record<string, string[]> = {
  'us-core-patient': [
    'identifier.system', 'identifier.value', 'name.family', 'name.given', 'name.suffix', 'name.use|name.period.end', 'telecom.system', 'telecom.value',
    'telecom.use', 'gender', 'birthDate', 'deceasedDateTime', 'address.line', 'address.city', 'address.state', 'address.postalCode',
    'address.use|address.period.end', 'communication.language',
    ...['us-core-race', 'us-core-ethnicity', 'us-core-tribal-affiliation', 'us-core-sex'].map((e) => `ext:${US}${e}`),
  ],
  'us-core-allergyintolerance': ['clinicalStatus', 'verificationStatus', 'code', 'patient', 'reaction.manifestation'],
  'us-core-careplan': ['text.status', 'text.div', 'status', 'intent', 'category', 'subject'],
  'us-core-careteam': ['status', 'subject', 'participant.role', 'participant.member'],
  'us-core-condition-encounter-diagnosis': COND,
  'us-core-condition-problems-health-concerns': [...COND, 'clinicalStatus', 'verificationStatus', 'onsetDateTime|ext:http://hl7.org/fhir/StructureDefinition/condition-assertedDate'],
  'us-core-coverage': ['identifier.type', 'status', 'type', 'subscriberId', 'beneficiary', 'relationship', 'period', 'payor', 'class.value', 'class.name'],
  'us-core-implantable-device': ['udiCarrier.deviceIdentifier', 'udiCarrier.carrierHRF', 'distinctIdentifier', 'manufactureDate', 'expirationDate', 'lotNumber', 'serialNumber', 'type', 'patient'],
  'us-core-diagnosticreport-lab': [...DR, 'result'],
  'us-core-diagnosticreport-note': [...DR, 'encounter', 'presentedForm'],
  'us-core-documentreference': [
    'identifier', 'status', 'type', 'category', 'subject', 'date', 'author', 'content.attachment.contentType', 'content.attachment.data|content.attachment.url',
    'content.format', 'context.encounter', 'context.period',
  ],
  'us-core-encounter': [
    'identifier.system', 'identifier.value', 'status', 'class', 'type', 'subject', 'participant.type', 'participant.period', 'participant.individual',
    'period', 'reasonCode|reasonReference', 'hospitalization.dischargeDisposition', 'location.location|serviceProvider',
  ],
  'us-core-goal': ['lifecycleStatus', 'description', 'subject', 'startDate|target.dueDate'],
  'us-core-immunization': ['status', 'statusReason', 'vaccineCode', 'patient', 'occurrenceDateTime', 'primarySource'],
  'us-core-procedure': ['basedOn', 'status', 'code', 'subject', 'performedDateTime'],
  'us-core-medicationrequest': [
    'status', 'intent', 'category', 'reportedBoolean|reportedReference', 'medicationCodeableConcept|medicationReference', 'subject', 'encounter',
    'authoredOn', 'requester', 'reasonCode|reasonReference', ...DOSAGE, 'dispenseRequest.numberOfRepeatsAllowed', 'dispenseRequest.quantity',
  ],
  'us-core-medicationdispense': [
    'status', 'medicationCodeableConcept|medicationReference', 'subject', 'performer.actor', 'authorizingPrescription', 'type', 'quantity', 'whenHandedOver', ...DOSAGE,
  ],
  ...Object.fromEntries(VITALS.map((p) => [p, VITAL_PATHS])),
  'us-core-observation-lab': [...OBS, 'valueQuantity', 'valueCodeableConcept', 'valueString', 'specimen'],
  'us-core-observation-clinical-result': [...OBS, 'valueQuantity|valueCodeableConcept|valueString'],
  'us-core-observation-screening-assessment': [...OBS, 'valueQuantity', 'valueCodeableConcept', 'performer', 'hasMember', 'derivedFrom'],
  'us-core-smokingstatus': ['status', 'category', 'code', 'subject', 'valueCodeableConcept', 'effectiveDateTime|effectivePeriod'],
  'us-core-observation-occupation': ['status', 'category', 'code', 'subject', 'effectivePeriod', 'valueCodeableConcept', 'component.code', 'component.valueCodeableConcept'],
  'us-core-observation-pregnancystatus': [...OBS, 'valueCodeableConcept'],
  'us-core-observation-pregnancyintent': [...OBS, 'valueCodeableConcept'],
  'us-core-observation-sexual-orientation': ['status', 'code', 'subject', 'valueCodeableConcept'],
  'us-core-servicerequest': ['status', 'intent', 'category', 'code', 'subject', 'occurrencePeriod', 'authoredOn', 'requester', 'reasonCode|reasonReference'],
  'us-core-provenance': ['target.reference', 'recorded', 'agent.type', 'agent.who', 'agent.onBehalfOf'],
  'us-core-relatedperson': ['active', 'patient', 'relationship', 'name', 'telecom', 'address'],
  'us-core-specimen': ['type', 'subject'],
  'us-core-organization': ['identifier.value', 'active', 'name', 'telecom', 'address.line', 'address.city', 'address.state', 'address.postalCode', 'address.country'],
  'us-core-practitioner': ['identifier.value', 'name.family', 'telecom'],
};

/** Slices the paths above cannot express: [label, test over all returned resources]. */
export const SLICES: Array<[string, (all: Json[]) => boolean]> = [
  ['BP systolic and diastolic components', (all) => ['8480-6', '8462-4'].every((c) => ofProfile(all, 'us-core-blood-pressure').some((o) => hasComponent(o, c)))],
  ['pulse-ox flow rate and concentration components', (all) => ['3151-8', '3150-0'].every((c) => ofProfile(all, 'us-core-pulse-oximetry').some((o) => hasComponent(o, c)))],
  ['Provenance agent:ProvenanceAuthor', (all) => codes(all, 'Provenance', 'agent.type').includes('http://terminology.hl7.org/CodeSystem/provenance-participant-type|author')],
  ['Provenance agent:ProvenanceTransmitter', (all) => codes(all, 'Provenance', 'agent.type').includes('http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type|transmitter')],
  ['Coverage class:group and class:plan', (all) => ['group', 'plan'].every((c) => codes(all, 'Coverage', 'class.type').some((x) => x.endsWith(`|${c}`)))],
  ['Coverage identifier:memberid', (all) => codes(all, 'Coverage', 'identifier.type').some((x) => x.endsWith('|MB'))],
  ['CarePlan category:AssessPlan', (all) => codes(all, 'CarePlan', 'category').includes('http://hl7.org/fhir/us/core/CodeSystem/careplan-category|assess-plan')],
  ['Condition category screening-assessment (sdoh)', (all) => codes(all, 'Condition', 'category').includes('http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh')],
  ['Organization identifier:NPI', (all) => valuesOf(all, 'Organization', 'identifier.system').includes('http://hl7.org/fhir/sid/us-npi')],
  ['Practitioner identifier:NPI', (all) => valuesOf(all, 'Practitioner', 'identifier.system').includes('http://hl7.org/fhir/sid/us-npi')],
];

export function profileOf(r: Json): string {
  return String(r.meta?.profile?.[0] ?? '').replace(/\|.*$/, '').replace(US, '');
}

/** True when some alternative of `a.b|c.d` has a value on the resource. */
export function hasPath(r: Json, alternatives: string): boolean {
  return alternatives.split('|').some((p) => valuesAt(r, p).some((v) => v !== '' && !(Array.isArray(v) && v.length === 0)));
}

const ofProfile = (all: Json[], profile: string) => all.filter((r) => profileOf(r) === profile);
const hasComponent = (o: Json, code: string) => (o.component ?? []).some((c: Json) => (c.code?.coding ?? []).some((x: Json) => x.code === code) && (c.valueQuantity || c.dataAbsentReason));
const valuesOf = (all: Json[], type: string, path: string) => all.filter((r) => r.resourceType === type).flatMap((r) => valuesAt(r, path));
const codes = (all: Json[], type: string, path: string) =>
  valuesOf(all, type, path).flatMap((cc) => ((cc as Json).coding ?? []).map((c: Json) => `${c.system}|${c.code}`));
