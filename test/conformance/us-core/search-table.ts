/**
 * The US Core 6.1.0 searches Inferno runs, copied from conformance/inferno-checklist.md §1a
 * (us-core-test-kit generated/v6.1.0/<group>/metadata.yml). REQUIRED = what g10
 * certification exercises; SHOULD = the kit's optional tests.
 */
export interface SearchDef {
  params: string[];
  required: boolean;
  /** gt/ge/lt/le variants on the date parameters (ᶜ). */
  comparators?: boolean;
  /** Parameters Inferno also sends with every allowed value comma-joined (multiple-OR). */
  or?: string[];
}

export interface GroupDef {
  group: string;
  type: string;
  /** The first search (¹): patient id plus fixed values; Inferno runs one search per fixed value. */
  first: string[];
  fixed?: { param: string; values: string[] };
  /** First search repeated with `_include=<Type>:medication`. */
  includeMedication?: boolean;
  /** Multiple-OR on the first search's fixed parameter (MedicationRequest intent). */
  firstOr?: boolean;
  searches: SearchDef[];
}

/** Allowed values Inferno comma-joins for multiple-OR (the bound US Core/R4 value sets). */
export const OR_VALUES: Record<string, string[]> = {
  'Observation.status': ['registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown'],
  'MedicationRequest.status': ['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown'],
  'MedicationRequest.intent': ['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'],
  'CarePlan.status': ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'],
  'DiagnosticReport.status': ['registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled', 'entered-in-error', 'unknown'],
  'DocumentReference.status': ['current', 'superseded', 'entered-in-error'],
  'Device.status': ['active', 'inactive', 'entered-in-error', 'unknown'],
  'MedicationDispense.status': ['preparation', 'in-progress', 'cancelled', 'on-hold', 'completed', 'entered-in-error', 'stopped', 'declined', 'unknown'],
  'Procedure.status': ['preparation', 'in-progress', 'not-done', 'on-hold', 'stopped', 'completed', 'entered-in-error', 'unknown'],
  'ServiceRequest.status': ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'],
  'QuestionnaireResponse.status': ['in-progress', 'completed', 'amended', 'entered-in-error', 'stopped'],
};

const R = (params: string[], extra: Partial<SearchDef> = {}): SearchDef => ({ params, required: true, ...extra });
const S = (params: string[], extra: Partial<SearchDef> = {}): SearchDef => ({ params, required: false, ...extra });
const C = { comparators: true };
const STATUS_OR = { or: ['status'] };

const CONDITION_SHOULD = [
  S(['patient', 'clinical-status']), S(['patient', 'category', 'clinical-status']), S(['patient', 'code']), S(['patient', 'category', 'encounter']),
  S(['patient', 'onset-date'], C), S(['patient', 'recorded-date'], C), S(['patient', 'asserted-date'], C), S(['patient', 'abatement-date'], C),
];
const DR_SEARCHES = [R(['patient']), R(['patient', 'code']), R(['patient', 'category', 'date'], C), S(['patient', 'status'], STATUS_OR), S(['patient', 'code', 'date'], C)];

const GROUPS: GroupDef[] = [
  { group: 'patient', type: 'Patient', first: ['_id'], searches: [
    R(['identifier']), R(['name']), R(['gender', 'name']), R(['birthdate', 'name']),
    S(['birthdate', 'family']), S(['family', 'gender']), S(['death-date', 'family']),
  ] },
  { group: 'allergy_intolerance', type: 'AllergyIntolerance', first: ['patient'], searches: [S(['patient', 'clinical-status'])] },
  { group: 'care_plan', type: 'CarePlan', first: ['patient', 'category'], fixed: { param: 'category', values: ['assess-plan'] }, searches: [
    S(['patient', 'category', 'date'], C), S(['patient', 'category', 'status'], STATUS_OR), S(['patient', 'category', 'status', 'date'], C),
  ] },
  { group: 'care_team', type: 'CareTeam', first: ['patient', 'status'], fixed: { param: 'status', values: ['proposed', 'active', 'suspended', 'inactive', 'entered-in-error'] }, searches: [
    S(['patient', 'role']), S(['role']),
  ] },
  { group: 'condition_encounter_diagnosis', type: 'Condition', first: ['patient', 'category'], fixed: { param: 'category', values: ['encounter-diagnosis'] }, searches: [R(['patient']), ...CONDITION_SHOULD] },
  { group: 'condition_problems_health_concerns', type: 'Condition', first: ['patient', 'category'], fixed: { param: 'category', values: ['problem-list-item', 'health-concern'] }, searches: [R(['patient']), ...CONDITION_SHOULD] },
  { group: 'coverage', type: 'Coverage', first: ['patient'], searches: [] },
  { group: 'device', type: 'Device', first: ['patient'], searches: [S(['patient', 'type']), S(['patient', 'status'], STATUS_OR)] },
  { group: 'diagnostic_report_lab', type: 'DiagnosticReport', first: ['patient', 'category'], fixed: { param: 'category', values: ['LAB'] }, searches: DR_SEARCHES },
  { group: 'diagnostic_report_note', type: 'DiagnosticReport', first: ['patient', 'category'], fixed: { param: 'category', values: ['LP29684-5', 'LP29708-2', 'LP7839-6'] }, searches: DR_SEARCHES },
  { group: 'document_reference', type: 'DocumentReference', first: ['patient'], searches: [
    R(['_id']), R(['patient', 'type']), R(['patient', 'category']), R(['patient', 'category', 'date'], C),
    S(['patient', 'status'], STATUS_OR), S(['patient', 'type', 'period'], C),
  ] },
  { group: 'encounter', type: 'Encounter', first: ['patient'], searches: [
    R(['_id']), R(['date', 'patient'], C),
    S(['identifier']), S(['class', 'patient']), S(['patient', 'type']), S(['patient', 'status']), S(['patient', 'location']), S(['patient', 'discharge-disposition']),
  ] },
  { group: 'goal', type: 'Goal', first: ['patient'], searches: [S(['patient', 'lifecycle-status']), S(['patient', 'target-date'], C), S(['patient', 'description'])] },
  { group: 'immunization', type: 'Immunization', first: ['patient'], searches: [S(['patient', 'date'], C), S(['patient', 'status'])] },
  { group: 'medication_dispense', type: 'MedicationDispense', first: ['patient'], includeMedication: true, searches: [
    S(['patient', 'status'], STATUS_OR), S(['patient', 'status', 'type'], STATUS_OR),
  ] },
  { group: 'medication_request', type: 'MedicationRequest', first: ['patient', 'intent'], includeMedication: true, firstOr: true,
    fixed: { param: 'intent', values: ['proposal', 'plan', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'] }, searches: [
      R(['patient', 'intent', 'status'], { or: ['intent', 'status'] }), S(['patient', 'intent', 'authoredon'], C), S(['patient', 'intent', 'encounter']),
    ] },
  { group: 'procedure', type: 'Procedure', first: ['patient'], searches: [R(['patient', 'date'], C), S(['patient', 'code', 'date'], C), S(['patient', 'status'], STATUS_OR)] },
  { group: 'service_request', type: 'ServiceRequest', first: ['patient'], searches: [
    R(['_id']), R(['patient', 'category']), R(['patient', 'code']), R(['patient', 'category', 'authored'], C),
    S(['patient', 'status'], STATUS_OR), S(['patient', 'code', 'authored'], C),
  ] },
  { group: 'questionnaire_response', type: 'QuestionnaireResponse', first: ['patient'], searches: [
    R(['_id']), S(['patient', 'authored'], C), S(['patient', 'questionnaire']), S(['patient', 'status'], STATUS_OR),
  ] },
];

/** Observation groups by pattern (checklist §1a, "Observation groups"). */
const CODE_FIRST: Record<string, string[]> = {
  blood_pressure: ['85354-9'], bmi: ['39156-5'], body_height: ['8302-2'], body_temperature: ['8310-5'], body_weight: ['29463-7'],
  head_circumference: ['9843-4'], head_circumference_percentile: ['8289-1'], heart_rate: ['8867-4'], pediatric_bmi_for_age: ['59576-9'],
  pediatric_weight_for_height: ['77606-2'], pulse_oximetry: ['59408-5', '2708-6'], respiratory_rate: ['9279-1'],
  smokingstatus: ['72166-2'], observation_occupation: ['11341-5'], observation_pregnancyintent: ['86645-9'], observation_pregnancystatus: ['82810-3'],
};
const CATEGORY_FIRST: Record<string, string[]> = {
  observation_lab: ['laboratory'],
  observation_clinical_result: ['laboratory', 'exam', 'therapy', 'imaging', 'procedure', 'vital-signs', 'activity'],
  observation_screening_assessment: ['survey'],
};
const OBS_SHOULD = [S(['patient', 'category', 'status'], STATUS_OR), S(['patient', 'code', 'date'], C)];

for (const [group, codes] of Object.entries(CODE_FIRST)) {
  GROUPS.push({ group, type: 'Observation', first: ['patient', 'code'], fixed: { param: 'code', values: codes }, searches: [
    R(['patient', 'category']), R(['patient', 'category', 'date'], C), ...OBS_SHOULD,
  ] });
}
GROUPS.push({ group: 'observation_sexual_orientation', type: 'Observation', first: ['patient', 'code'], fixed: { param: 'code', values: ['76690-7'] }, searches: [
  S(['patient', 'category']), S(['patient', 'category', 'date'], C), ...OBS_SHOULD,
] });
for (const [group, categories] of Object.entries(CATEGORY_FIRST)) {
  GROUPS.push({ group, type: 'Observation', first: ['patient', 'category'], fixed: { param: 'category', values: categories }, searches: [
    R(['patient', 'code']), R(['patient', 'category', 'date'], C), ...OBS_SHOULD,
  ] });
}

export const US_CORE_GROUPS: readonly GroupDef[] = GROUPS;

/**
 * Resources g10 reaches only by reference (checklist §1b). g10 reads them; the US Core kit
 * alone also searches them, with values from the resources read.
 */
export const REFERENCE_ONLY_SEARCHES: ReadonlyArray<{ type: string; params: string[]; required: boolean }> = [
  { type: 'Organization', params: ['name'], required: true },
  { type: 'Organization', params: ['address'], required: true },
  { type: 'Practitioner', params: ['name'], required: true },
  { type: 'Practitioner', params: ['identifier'], required: true },
  { type: 'RelatedPerson', params: ['_id'], required: true },
  { type: 'Specimen', params: ['_id'], required: true },
  { type: 'PractitionerRole', params: ['specialty'], required: false },
  { type: 'PractitionerRole', params: ['practitioner'], required: false },
];
