/** Conditions: problem-list items, encounter diagnoses and health concerns (US Core 6.1.0). */
import type { PatientContext, Visit } from './context.js';
import { cc, coding } from './fhir.js';
import type { Code, CodeableConcept, Reference, Resource } from './types.js';

const ASSERTED = 'http://hl7.org/fhir/StructureDefinition/condition-assertedDate';

const CLINICAL = {
  active: cc(['condClinical', 'active', 'Active']),
  resolved: cc(['condClinical', 'resolved', 'Resolved']),
  inactive: cc(['condClinical', 'inactive', 'Inactive']),
};
const CONFIRMED = cc(['condVer', 'confirmed', 'Confirmed']);
const PROVISIONAL = cc(['condVer', 'provisional', 'Provisional']);

export const PROBLEM_CAT: CodeableConcept = cc(['condCat', 'problem-list-item', 'Problem List Item']);
export const ENC_DX_CAT: CodeableConcept = cc(['condCat', 'encounter-diagnosis', 'Encounter Diagnosis']);
export const HEALTH_CONCERN_CAT: CodeableConcept = cc(['usCoreCondCat', 'health-concern', 'Health Concern']);
export const SDOH_CAT: CodeableConcept = { coding: [coding('usCoreCat', 'sdoh', 'SDOH')], text: 'Social Determinants Of Health' };

export interface ProblemInput {
  readonly code: Code;
  readonly icd?: Code;
  readonly onset: number;
  /** When recorded in this chart (>= onset). */
  readonly recorded: number;
  readonly asserter: Reference;
  readonly visit?: Visit;
  readonly abatement?: number;
  readonly category?: 'problem-list-item' | 'health-concern';
  readonly sdoh?: boolean;
  readonly provisional?: boolean;
}

/** A problem-list item or health concern, with the condition-assertedDate extension. */
export function addProblem(ctx: PatientContext, p: ProblemInput): Resource {
  const category = [p.category === 'health-concern' ? HEALTH_CONCERN_CAT : PROBLEM_CAT];
  if (p.sdoh) category.push(SDOH_CAT);
  return ctx.add('Condition', 'us-core-condition-problems-health-concerns', {
    extension: [{ url: ASSERTED, valueDateTime: ctx.date(p.recorded) }],
    clinicalStatus: p.abatement !== undefined ? CLINICAL.resolved : CLINICAL.active,
    verificationStatus: p.provisional ? PROVISIONAL : CONFIRMED,
    category,
    code: p.icd ? cc(p.code, p.icd) : cc(p.code),
    subject: ctx.subject,
    ...(p.visit ? { encounter: p.visit.ref } : {}),
    onsetDateTime: ctx.dateTime(p.onset),
    ...(p.abatement !== undefined ? { abatementDateTime: ctx.dateTime(p.abatement) } : {}),
    recordedDate: ctx.dateTime(p.recorded),
    recorder: p.asserter,
    asserter: p.asserter,
  });
}

/** The diagnosis made at an encounter (resolved when `abatement` is given). */
export function addEncounterDiagnosis(ctx: PatientContext, visit: Visit, code: Code, icd: Code | undefined, abatement?: number): Resource {
  return ctx.add('Condition', 'us-core-condition-encounter-diagnosis', {
    clinicalStatus: abatement !== undefined && abatement <= ctx.asOf ? CLINICAL.resolved : CLINICAL.active,
    verificationStatus: CONFIRMED,
    category: [ENC_DX_CAT],
    code: icd ? cc(code, icd) : cc(code),
    subject: ctx.subject,
    encounter: visit.ref,
    onsetDateTime: ctx.dateTime(visit.start - 2 * 86_400_000),
    ...(abatement !== undefined && abatement <= ctx.asOf ? { abatementDateTime: ctx.dateTime(abatement) } : {}),
    recordedDate: ctx.dateTime(visit.start + 20 * 60_000),
    recorder: visit.staff.ref,
    asserter: visit.staff.ref,
  });
}
