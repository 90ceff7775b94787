/** Social history: smoking, occupation, pregnancy status/intent, sexual orientation; clinical results. */
import type { PatientContext, Visit } from './context.js';
import { YEAR } from './dates.js';
import { cc, darExtension, quantity } from './fhir.js';
import { SOCIAL_CAT, addObservation, obsCategory } from './observation.js';
import type { Code, CodeableConcept } from './types.js';

const L = (code: string, display: string): Code => ['loinc', code, display];

export const SMOKING: ReadonlyArray<readonly [Code, number]> = [
  [['sct', '266919005', 'Never smoked tobacco (finding)'], 62],
  [['sct', '8517006', 'Ex-smoker (finding)'], 20],
  [['sct', '449868002', 'Smokes tobacco daily (finding)'], 11],
  [['sct', '428041000124106', 'Occasional tobacco smoker (finding)'], 4],
  [['sct', '266927001', 'Tobacco smoking consumption unknown (finding)'], 3],
];

export function recordSmoking(ctx: PatientContext, visit: Visit, status: Code, unknownRecorder = false): void {
  addObservation(ctx, {
    profile: 'us-core-smokingstatus', category: [SOCIAL_CAT], code: L('72166-2', 'Tobacco smoking status'), at: visit.start + 20 * 60_000, visit,
    // A status carried over from an outside record whose author is unknown
    // (https://hl7.org/fhir/us/core/STU6.1/general-requirements.html#missing-data).
    ...(unknownRecorder ? { performer: [{ extension: [darExtension('unknown')] }] } : {}),
    rest: { valueCodeableConcept: cc(status) },
  });
}

/** [occupation (ODH where known, else text only), industry text] */
const JOBS: ReadonlyArray<readonly [CodeableConcept, string]> = [
  [cc(['odhOccupation', '31-1014.00.007136', 'Certified Nursing Assistant (CNA) [Nursing Assistants]']), 'Nursing care facilities (skilled nursing facilities)'],
  [{ text: 'Retail cashier' }, 'Grocery stores'],
  [{ text: 'Elementary school teacher' }, 'Elementary and secondary schools'],
  [{ text: 'Truck driver, heavy and tractor-trailer' }, 'Truck transportation'],
  [{ text: 'Software developer' }, 'Computer systems design and related services'],
  [{ text: 'Electrician' }, 'Construction'],
  [{ text: 'Accountant' }, 'Accounting, tax preparation, bookkeeping, and payroll services'],
  [{ text: 'Restaurant cook' }, 'Restaurants and other food services'],
];

export function recordOccupation(ctx: PatientContext, visit: Visit): void {
  const { rng, demo } = ctx;
  const [job, industry] = ctx.full ? JOBS[0] : rng.pick(JOBS);
  const started = Math.max(demo.birthMs + 18 * YEAR, visit.start - rng.int(1, 15) * YEAR);
  addObservation(ctx, {
    profile: 'us-core-observation-occupation', category: [SOCIAL_CAT], code: L('11341-5', 'History of Occupation'), at: visit.start, visit,
    rest: {
      effectivePeriod: { start: ctx.date(started) },
      valueCodeableConcept: job,
      component: [{ code: cc(L('86188-0', 'History of Occupation industry')), valueCodeableConcept: { text: industry } }],
    },
  });
}

export function recordPregnancy(ctx: PatientContext, visit: Visit, pregnant: boolean): void {
  const at = visit.start + 20 * 60_000;
  addObservation(ctx, {
    profile: 'us-core-observation-pregnancystatus', category: [SOCIAL_CAT], code: L('82810-3', 'Pregnancy status'), at, visit,
    rest: { valueCodeableConcept: cc(pregnant ? ['sct', '77386006', 'Pregnant (finding)'] : ['sct', '60001007', 'Not pregnant (finding)']) },
  });
  const intent: Code = pregnant || ctx.rng.chance(0.2)
    ? ['sct', '454381000124105', 'Wants to become pregnant (finding)']
    : ['sct', '454391000124108', 'Does not want to become pregnant (finding)'];
  addObservation(ctx, {
    profile: 'us-core-observation-pregnancyintent', category: [SOCIAL_CAT], code: L('86645-9', 'Pregnancy intention in the next year - Reported'), at, visit,
    rest: { valueCodeableConcept: cc(intent) },
  });
}

const ORIENTATION: ReadonlyArray<readonly [Code, number]> = [
  [['sct', '20430005', 'Heterosexual (finding)'], 86],
  [['sct', '38628009', 'Homosexual (finding)'], 4],
  [['sct', '42035005', 'Bisexual (finding)'], 5],
  [['nullFlavor', 'ASKU', 'asked but unknown'], 3],
  [['nullFlavor', 'UNK', 'unknown'], 2],
];

export function recordSexualOrientation(ctx: PatientContext, visit: Visit): void {
  addObservation(ctx, {
    profile: 'us-core-observation-sexual-orientation', category: [SOCIAL_CAT], code: L('76690-7', 'Sexual orientation'), at: visit.start + 20 * 60_000, visit,
    rest: { valueCodeableConcept: cc(ctx.full ? ORIENTATION[0][0] : ctx.rng.weighted(ORIENTATION)) },
  });
}

/** Clinical-result observations of the non-lab categories (exam, imaging, procedure, activity). */
export function recordClinicalResult(ctx: PatientContext, visit: Visit, kind: 'exam' | 'imaging' | 'procedure' | 'activity', text: string): void {
  const at = visit.start + 30 * 60_000;
  const table = {
    exam: [obsCategory('exam', 'Exam'), L('29545-1', 'Physical findings Narrative')],
    imaging: [obsCategory('imaging', 'Imaging'), L('18782-3', 'Radiology Study observation (narrative)')],
    procedure: [obsCategory('procedure', 'Procedure'), L('8601-7', 'EKG impression')],
    activity: [obsCategory('activity', 'Activity'), L('41950-7', 'Number of steps in 24 hour Measured')],
  } as const;
  const [category, code] = table[kind];
  const rest = kind === 'activity' ? { valueQuantity: quantity(ctx.rng.int(3000, 11000), 'steps/day', '/d') } : { valueString: text };
  addObservation(ctx, { profile: 'us-core-observation-clinical-result', category: [category], code, at, visit, rest });
}
