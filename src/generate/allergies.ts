/** Allergies and intolerances (US Core AllergyIntolerance). */
import type { PatientContext } from './context.js';
import { DAY, YEAR } from './dates.js';
import { cc } from './fhir.js';
import type { Code } from './types.js';

/** [substance, category, reactions, criticality] */
const ALLERGENS: ReadonlyArray<readonly [Code, 'medication' | 'food' | 'environment', readonly Code[], 'low' | 'high']> = [
  [['sct', '764146007', 'Penicillin (substance)'], 'medication', [['sct', '247472004', 'Wheal (finding)'], ['sct', '271807003', 'Eruption of skin (disorder)']], 'high'],
  [['sct', '387458008', 'Aspirin (substance)'], 'medication', [['sct', '267036007', 'Dyspnea (finding)']], 'high'],
  [['sct', '387207008', 'Ibuprofen (substance)'], 'medication', [['sct', '271807003', 'Eruption of skin (disorder)']], 'low'],
  [['sct', '762952008', 'Peanut (substance)'], 'food', [['sct', '39579001', 'Anaphylaxis (disorder)']], 'high'],
  [['sct', '227493005', 'Cashew nut (substance)'], 'food', [['sct', '418290006', 'Itching (finding)']], 'low'],
  [['sct', '256259004', 'Pollen (substance)'], 'environment', [['sct', '76067001', 'Sneezing (finding)'], ['sct', '49727002', 'Cough (finding)']], 'low'],
  [['sct', '264287008', 'Animal dander (substance)'], 'environment', [['sct', '76067001', 'Sneezing (finding)']], 'low'],
  [['sct', '111088007', 'Latex (substance)'], 'environment', [['sct', '247472004', 'Wheal (finding)']], 'high'],
];

export function addAllergies(ctx: PatientContext, historyStart: number): void {
  const { rng, demo, asOf } = ctx;
  const n = ctx.full ? 2 : rng.weighted([[0, 55], [1, 30], [2, 12], [3, 3]] as const);
  const recorder = ctx.pcp.ref;
  if (n === 0) {
    if (rng.chance(0.5)) {
      ctx.add('AllergyIntolerance', 'us-core-allergyintolerance', {
        clinicalStatus: cc(['allergyClinical', 'active', 'Active']),
        verificationStatus: cc(['allergyVer', 'confirmed', 'Confirmed']),
        code: cc(['sct', '716186003', 'No known allergy (situation)']),
        patient: ctx.subject,
        recordedDate: ctx.dateTime(historyStart + DAY),
        recorder,
      });
    }
    return;
  }
  const chosen = ctx.full ? [ALLERGENS[0], ALLERGENS[5]] : rng.sample(ALLERGENS, n);
  for (const [substance, category, reactions, criticality] of chosen) {
    const onset = demo.birthMs + rng.real(1, Math.max(1.5, (asOf - demo.birthMs) / YEAR - 0.5)) * YEAR;
    const resolved = !ctx.full && rng.chance(0.1);
    ctx.add('AllergyIntolerance', 'us-core-allergyintolerance', {
      clinicalStatus: cc(resolved ? ['allergyClinical', 'resolved', 'Resolved'] : ['allergyClinical', 'active', 'Active']),
      verificationStatus: cc(['allergyVer', 'confirmed', 'Confirmed']),
      type: 'allergy',
      category: [category],
      criticality,
      code: cc(substance),
      patient: ctx.subject,
      onsetDateTime: ctx.date(Math.min(onset, asOf - DAY)),
      recordedDate: ctx.dateTime(Math.max(historyStart, Math.min(onset, asOf - DAY))),
      recorder,
      reaction: [{
        substance: cc(substance),
        manifestation: reactions.map((r) => cc(r)),
        severity: criticality === 'high' ? 'severe' : rng.pick(['mild', 'moderate'] as const),
      }],
    });
  }
}
