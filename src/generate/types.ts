/** Plain FHIR R4 JSON shapes used by the generator (no runtime dependency). */

export interface Resource {
  resourceType: string;
  id: string;
  meta?: { profile?: string[]; [k: string]: unknown };
  [key: string]: unknown;
}

export interface BundleEntry {
  fullUrl: string;
  resource: Resource;
  request: { method: 'PUT'; url: string };
}

export interface Bundle {
  resourceType: 'Bundle';
  id: string;
  type: 'transaction' | 'batch';
  entry: BundleEntry[];
}

export interface Coding {
  system: string;
  code: string;
  display?: string;
}

export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
  extension?: unknown[];
}

export interface Reference {
  reference?: string;
  display?: string;
  extension?: unknown[];
}

/** A coded concept in a table: [system key, code, display]. */
export type Code = readonly [sys: SystemKey, code: string, display: string];

export type SystemKey = keyof typeof SYSTEMS;

export const SYSTEMS = {
  sct: 'http://snomed.info/sct',
  loinc: 'http://loinc.org',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  cpt: 'http://www.ama-assn.org/go/cpt',
  icd10: 'http://hl7.org/fhir/sid/icd-10-cm',
  ucum: 'http://unitsofmeasure.org',
  nucc: 'http://nucc.org/provider-taxonomy',
  npi: 'http://hl7.org/fhir/sid/us-npi',
  cdcrec: 'urn:oid:2.16.840.1.113883.6.238',
  obsCat: 'http://terminology.hl7.org/CodeSystem/observation-category',
  usCoreCat: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category',
  condCat: 'http://terminology.hl7.org/CodeSystem/condition-category',
  usCoreCondCat: 'http://hl7.org/fhir/us/core/CodeSystem/condition-category',
  condClinical: 'http://terminology.hl7.org/CodeSystem/condition-clinical',
  condVer: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
  v20074: 'http://terminology.hl7.org/CodeSystem/v2-0074',
  v20203: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  v20487: 'http://terminology.hl7.org/CodeSystem/v2-0487',
  actCode: 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  roleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  partType: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType',
  interp: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  nullFlavor: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor',
  v3Marital: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus',
  dar: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
  lang: 'urn:ietf:bcp:47',
  nubc: 'http://www.nubc.org/patient-discharge',
  admitSource: 'http://terminology.hl7.org/CodeSystem/admit-source',
  dischargeDisp: 'http://terminology.hl7.org/CodeSystem/discharge-disposition',
  sopt: 'https://nahdo.org/sopt',
  covClass: 'http://terminology.hl7.org/CodeSystem/coverage-class',
  subRel: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship',
  orgType: 'http://terminology.hl7.org/CodeSystem/organization-type',
  doseRateType: 'http://terminology.hl7.org/CodeSystem/dose-rate-type',
  dispPerformer: 'http://terminology.hl7.org/CodeSystem/medicationdispense-performer-function',
  actSite: 'http://terminology.hl7.org/CodeSystem/v3-ActSite',
  routeOfAdmin: 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration',
  v20443: 'http://terminology.hl7.org/CodeSystem/v2-0443',
  v3DataOperation: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation',
  medReqCat: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category',
  provType: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
  usCoreProvType: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type',
  docCat: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category',
  carePlanCat: 'http://hl7.org/fhir/us/core/CodeSystem/careplan-category',
  allergyClinical: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical',
  allergyVer: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  refRange: 'http://terminology.hl7.org/CodeSystem/referencerange-meaning',
  pracRole: 'http://terminology.hl7.org/CodeSystem/practitioner-role',
  tribal: 'http://terminology.hl7.org/CodeSystem/v3-TribalEntityUS',
  formatCode: 'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode',
  odhOccupation: 'urn:oid:2.16.840.1.114222.4.5.327',
  odhIndustry: 'urn:oid:2.16.840.1.114222.4.5.328',
  goalAchievement: 'http://terminology.hl7.org/CodeSystem/goal-achievement',
  ssn: 'http://hl7.org/fhir/sid/us-ssn',
  ndc: 'http://hl7.org/fhir/sid/ndc',
} as const;

/** Identifier namespaces of the (fictional) practice; `.example` is reserved for examples (RFC 2606). */
export const ID_SYSTEMS = {
  mrn: 'https://chartkey.example/fhir/sid/mrn',
  encounter: 'https://chartkey.example/fhir/sid/encounter',
  document: 'https://chartkey.example/fhir/sid/document',
  accession: 'https://chartkey.example/fhir/sid/accession',
  member: 'https://chartkey.example/fhir/sid/member',
  order: 'https://chartkey.example/fhir/sid/order',
  clia: 'urn:oid:2.16.840.1.113883.4.7',
  staff: 'https://chartkey.example/fhir/sid/staff',
  questionnaire: 'https://chartkey.example/fhir/Questionnaire',
  notes: 'https://chartkey.example/notes',
} as const;

export const PROFILE_BASE = 'http://hl7.org/fhir/us/core/StructureDefinition/';
