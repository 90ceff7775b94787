/**
 * The data categories a patient chooses from — on the SMART consent page and on the
 * credential generation form (one list for both). Each category says in plain words what
 * it holds and which SMART scopes grant it: whole resource types (`patient/X.rs`), or, for
 * Condition and Observation (and DiagnosticReport), SMART v2 granular scopes
 * (`patient/Observation.rs?category=system|code`). Enforcement is the store's
 * (src/fhir/scope.ts), from the granted scope string alone (src/auth/scopes.ts narrowingOf).
 *
 * Category codes: Condition https://hl7.org/fhir/us/core/STU6.1/ValueSet-us-core-condition-category.html,
 * Observation https://hl7.org/fhir/R4/valueset-observation-category.html and US Core's
 * us-core-category (sdoh, functional-status, …).
 */
export const CONDITION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const US_CORE_CONDITION_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/condition-category';
export const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const US_CORE_CATEGORY = 'http://hl7.org/fhir/us/core/CodeSystem/us-core-category';

export interface GranularItem {
  /** The resource type narrowed. */
  type: string;
  /** `system|code` of the category. */
  token: string;
  /** Plain words. */
  label: string;
}

export interface DataCategory {
  /** Stable id (form values, stored choices). */
  id: string;
  label: string;
  /** One sentence: what the app would see. */
  description: string;
  /** Whole resource types in this category. */
  types: readonly string[];
  /** Category slices of Condition/Observation in this category. */
  granular: readonly GranularItem[];
}

const g = (type: string, system: string, code: string, label: string): GranularItem => ({ type, token: `${system}|${code}`, label });

export const DATA_CATEGORIES: readonly DataCategory[] = [
  {
    id: 'demographics',
    label: 'About you',
    description: 'Your name, birth date, sex, contact details and the people listed as related to you.',
    types: ['Patient', 'RelatedPerson'],
    granular: [],
  },
  {
    id: 'problems',
    label: 'Health problems',
    description: 'Your problem list, health concerns and the diagnoses made at visits.',
    types: [],
    granular: [
      g('Condition', CONDITION_CATEGORY, 'problem-list-item', 'Problem list'),
      g('Condition', US_CORE_CONDITION_CATEGORY, 'health-concern', 'Health concerns'),
      g('Condition', CONDITION_CATEGORY, 'encounter-diagnosis', 'Diagnoses made at visits'),
    ],
  },
  {
    id: 'labs',
    label: 'Lab results and reports',
    description: 'Laboratory tests and their results, specimens, and diagnostic reports (lab, imaging and others).',
    types: ['DiagnosticReport', 'Specimen'],
    granular: [g('Observation', OBSERVATION_CATEGORY, 'laboratory', 'Lab results')],
  },
  {
    id: 'vital-signs',
    label: 'Vital signs',
    description: 'Blood pressure, heart rate, weight, height, temperature and similar measurements.',
    types: [],
    granular: [g('Observation', OBSERVATION_CATEGORY, 'vital-signs', 'Vital signs')],
  },
  {
    id: 'social-history',
    label: 'Social history and screenings',
    description: 'Smoking status, occupation, questionnaires and screenings about your living situation and well-being.',
    types: ['QuestionnaireResponse'],
    granular: [
      g('Observation', OBSERVATION_CATEGORY, 'social-history', 'Social history'),
      g('Observation', OBSERVATION_CATEGORY, 'survey', 'Questionnaires and assessments'),
      g('Observation', US_CORE_CATEGORY, 'sdoh', 'Social needs (food, housing, transport)'),
      g('Observation', US_CORE_CATEGORY, 'functional-status', 'Functional status'),
      g('Observation', US_CORE_CATEGORY, 'disability-status', 'Disability status'),
      g('Observation', US_CORE_CATEGORY, 'cognitive-status', 'Cognitive status'),
    ],
  },
  {
    id: 'clinical-results',
    label: 'Other clinical results',
    description: 'Findings from examinations, imaging, procedures, therapy and activity tracking.',
    types: [],
    granular: [
      g('Observation', OBSERVATION_CATEGORY, 'exam', 'Examination findings'),
      g('Observation', OBSERVATION_CATEGORY, 'imaging', 'Imaging results'),
      g('Observation', OBSERVATION_CATEGORY, 'procedure', 'Procedure results'),
      g('Observation', OBSERVATION_CATEGORY, 'therapy', 'Therapy results'),
      g('Observation', OBSERVATION_CATEGORY, 'activity', 'Activity'),
    ],
  },
  {
    id: 'medications',
    label: 'Medications',
    description: 'Prescriptions, medicines dispensed to you and the medicines themselves.',
    types: ['MedicationRequest', 'MedicationDispense', 'Medication'],
    granular: [],
  },
  { id: 'allergies', label: 'Allergies', description: 'Allergies and intolerances, and your reactions to them.', types: ['AllergyIntolerance'], granular: [] },
  { id: 'immunizations', label: 'Immunizations', description: 'Vaccines you have received.', types: ['Immunization'], granular: [] },
  {
    id: 'procedures',
    label: 'Procedures and orders',
    description: 'Procedures performed on you and tests or referrals ordered for you.',
    types: ['Procedure', 'ServiceRequest'],
    granular: [],
  },
  {
    id: 'visits',
    label: 'Visits and clinical notes',
    description: 'Your visits, where they took place, and the notes and documents written about them.',
    types: ['Encounter', 'DocumentReference', 'Location'],
    granular: [],
  },
  {
    id: 'care-plans',
    label: 'Care plans and goals',
    description: 'Your care plans, care team and health goals.',
    types: ['CarePlan', 'CareTeam', 'Goal'],
    granular: [],
  },
  { id: 'devices', label: 'Implanted devices', description: 'Devices implanted in you, such as pacemakers or joint implants.', types: ['Device'], granular: [] },
  { id: 'coverage', label: 'Insurance', description: 'Your insurance coverage.', types: ['Coverage'], granular: [] },
  {
    id: 'providers',
    label: 'Your care providers',
    description: 'The clinicians and organizations named in your record, and who recorded what (provenance).',
    types: ['Practitioner', 'PractitionerRole', 'Organization', 'Provenance'],
    granular: [],
  },
];

/** Types whose resources are split into categories (granular scopes) on the consent page. */
export const GRANULAR_TYPES: readonly string[] = ['Condition', 'Observation'];

/** The category a whole type belongs to (undefined for types outside the list). */
export function categoryOfType(type: string): DataCategory | undefined {
  return DATA_CATEGORIES.find((c) => c.types.includes(type) || c.granular.some((i) => i.type === type));
}

/** The category and item of a granular token on a type. */
export function granularItem(type: string, token: string): { category: DataCategory; item: GranularItem } | undefined {
  for (const category of DATA_CATEGORIES) {
    const item = category.granular.find((i) => i.type === type && i.token === token);
    if (item) return { category, item };
  }
  return undefined;
}

/**
 * The SMART v2 scopes a set of chosen categories grants (credential generation form):
 * whole types as `patient/X.rs`, category slices as granular scopes. Every category
 * chosen → `patient/*.rs`.
 */
export function scopesForCategories(ids: Iterable<string>): string {
  const chosen = new Set(ids);
  if (DATA_CATEGORIES.every((c) => chosen.has(c.id))) return 'patient/*.rs';
  const scopes: string[] = [];
  for (const c of DATA_CATEGORIES) {
    if (!chosen.has(c.id)) continue;
    for (const t of c.types) scopes.push(`patient/${t}.rs`);
    for (const i of c.granular) scopes.push(`patient/${i.type}.rs?category=${i.token}`);
  }
  return scopes.join(' ');
}

/** Every type some category covers (a test checks it is every API type). */
export function coveredTypes(): Set<string> {
  return new Set(DATA_CATEGORIES.flatMap((c) => [...c.types, ...c.granular.map((i) => i.type)]));
}

