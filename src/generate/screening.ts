/**
 * Screening and assessment (US Core Observation Screening Assessment + QuestionnaireResponse):
 * Hunger Vital Sign (sdoh), PHQ-9, functional, disability and cognitive status.
 */
import type { PatientContext, Visit } from './context.js';
import { cc, coding, quantity } from './fhir.js';
import { SURVEY_CAT, addObservation, usCoreCategory } from './observation.js';
import { ID_SYSTEMS, type Code, type Resource } from './types.js';

const L = (code: string, display: string): Code => ['loinc', code, display];
const PROFILE = 'us-core-observation-screening-assessment';
const QURI = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-extension-questionnaire-uri';

const HVS_ANSWERS: readonly Code[] = [L('LA28397-0', 'Often true'), L('LA6729-3', 'Sometimes true'), L('LA28398-8', 'Never true')];
const HVS_ITEMS: ReadonlyArray<readonly [string, string]> = [
  ['88122-7', 'Within the past 12 months we worried whether our food would run out before we got money to buy more'],
  ['88123-5', "Within the past 12 months the food we bought just didn't last and we didn't have money to get more"],
];

/** Hunger Vital Sign: the QuestionnaireResponse, one Observation per item and the panel. Returns whether at risk. */
export function hungerVitalSign(ctx: PatientContext, visit: Visit, atRisk: boolean): { risk: boolean; panel: Resource } {
  const { rng } = ctx;
  const at = visit.start + 15 * 60_000;
  const answers = HVS_ITEMS.map(() => (atRisk ? HVS_ANSWERS[rng.int(0, 1)] : HVS_ANSWERS[2]));
  const risk = answers.some((a) => a[1] !== 'LA28398-8');
  const riskAnswer = risk ? L('LA19952-3', 'At risk') : L('LA19983-8', 'No risk');
  const qr = ctx.add('QuestionnaireResponse', 'us-core-questionnaireresponse', {
    identifier: { system: ID_SYSTEMS.questionnaire, value: `QR${rng.digits(8)}` },
    questionnaire: 'http://hl7.org/fhir/us/core/Questionnaire/hunger-vital-sign-example',
    _questionnaire: { extension: [{ url: QURI, valueUri: `${ID_SYSTEMS.questionnaire}/hunger-vital-sign` }] },
    status: 'completed',
    subject: ctx.subject,
    encounter: visit.ref,
    authored: ctx.dateTime(at),
    author: ctx.subject,
    source: ctx.subject,
    item: [
      ...HVS_ITEMS.map(([code, text], i) => ({ linkId: `/${code}`, text, answer: [{ valueCoding: coding(...answers[i]) }] })),
      { linkId: '/88124-3', text: 'Food insecurity risk [HVS]', answer: [{ valueCoding: coding(...riskAnswer) }] },
    ],
  });
  const category = [SURVEY_CAT, usCoreCategory('sdoh', 'SDOH')];
  const derivedFrom = [ctx.refTo(qr)];
  const performer = [ctx.subject];
  const members = HVS_ITEMS.map(([code, text], i) => addObservation(ctx, {
    profile: PROFILE, category, code: L(code, text), at, visit, performer,
    rest: { valueCodeableConcept: cc(answers[i]), derivedFrom },
  }));
  members.push(addObservation(ctx, {
    profile: PROFILE, category, code: L('88124-3', 'Food insecurity risk [HVS]'), at, visit, performer,
    rest: { valueCodeableConcept: cc(riskAnswer), derivedFrom },
  }));
  const panel = addObservation(ctx, {
    profile: PROFILE, category, code: L('88121-9', 'Hunger Vital Sign [HVS]'), at, visit, performer,
    rest: { hasMember: members.map((m) => ctx.refTo(m)), derivedFrom },
  });
  return { risk, panel };
}

/** PHQ-9 total score (depression screening). */
export function phq9(ctx: PatientContext, visit: Visit, depressed: boolean): number {
  const score = depressed ? ctx.rng.int(6, 17) : ctx.rng.int(0, 4);
  addObservation(ctx, {
    profile: PROFILE, category: [SURVEY_CAT], code: L('44261-6', 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]'),
    at: visit.start + 15 * 60_000, visit, performer: [ctx.subject],
    rest: {
      valueQuantity: quantity(score, '{score}'),
      interpretation: [cc(score >= 10 ? ['interp', 'A', 'Abnormal'] : ['interp', 'N', 'Normal'])],
    },
  });
  return score;
}

export function functionalStatus(ctx: PatientContext, visit: Visit, independent: boolean): void {
  addObservation(ctx, {
    profile: PROFILE, category: [SURVEY_CAT, usCoreCategory('functional-status', 'Functional Status')],
    code: L('75276-6', 'Functional status [Interpretation]'), at: visit.start + 25 * 60_000, visit,
    rest: { valueCodeableConcept: cc(independent ? ['sct', '129035000', 'Independent with dressing (finding)'] : ['sct', '284977008', 'Difficulty dressing (finding)']) },
  });
}

export function disabilityStatus(ctx: PatientContext, visit: Visit, difficulty: boolean): void {
  addObservation(ctx, {
    profile: PROFILE, category: [SURVEY_CAT, usCoreCategory('disability-status', 'Disability Status')],
    code: L('69859-7', 'Do you have serious difficulty walking or climbing stairs [ACS]'), at: visit.start + 25 * 60_000, visit,
    performer: [ctx.subject],
    rest: { valueCodeableConcept: cc(difficulty ? L('LA33-6', 'Yes') : L('LA32-8', 'No')) },
  });
}

export function cognitiveStatus(ctx: PatientContext, visit: Visit, impaired: boolean): void {
  const score = impaired ? ctx.rng.int(15, 24) : ctx.rng.int(26, 30);
  addObservation(ctx, {
    profile: PROFILE, category: [SURVEY_CAT, usCoreCategory('cognitive-status', 'Cognitive Status')],
    code: L('72172-0', 'Total score [MoCA]'), at: visit.start + 25 * 60_000, visit,
    rest: {
      valueQuantity: quantity(score, '{score}'),
      interpretation: [cc(score < 26 ? ['interp', 'A', 'Abnormal'] : ['interp', 'N', 'Normal'])],
    },
  });
}
