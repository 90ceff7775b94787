/** Immunizations (US Core Immunization, CVX) on the CDC schedule, plus a declined dose. */
import type { PatientContext, Visit } from './context.js';
import { YEAR, ageMonths } from './dates.js';
import { cc, quantity } from './fhir.js';
import type { Code } from './types.js';

const V = {
  hepB: ['cvx', '08', 'Hep B, adolescent or pediatric'],
  dtap: ['cvx', '20', 'DTaP'],
  ipv: ['cvx', '10', 'IPV'],
  hib: ['cvx', '49', 'Hib (PRP-OMP)'],
  pcv13: ['cvx', '133', 'Pneumococcal conjugate PCV 13'],
  rota: ['cvx', '116', 'rotavirus, pentavalent'],
  mmr: ['cvx', '03', 'MMR'],
  varicella: ['cvx', '21', 'varicella'],
  hepA: ['cvx', '83', 'Hep A, ped/adol, 2 dose'],
  flu: ['cvx', '140', 'Influenza, seasonal, injectable, preservative free'],
  tdap: ['cvx', '115', 'Tdap'],
  hpv: ['cvx', '62', 'HPV, quadrivalent'],
  mcv4: ['cvx', '114', 'meningococcal MCV4P'],
  zoster: ['cvx', '187', 'zoster vaccine recombinant'],
  ppsv23: ['cvx', '33', 'pneumococcal polysaccharide PPV23'],
  covid: ['cvx', '208', 'SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose'],
} as const satisfies Record<string, Code>;

/** Childhood milestones: [min months, max months, vaccines]. */
const CHILD: ReadonlyArray<readonly [number, number, ReadonlyArray<keyof typeof V>]> = [
  [0, 1.5, ['hepB']],
  [1.5, 3, ['dtap', 'ipv', 'hib', 'pcv13', 'rota']],
  [3.5, 5, ['dtap', 'ipv', 'hib', 'pcv13', 'rota']],
  [5.5, 8, ['dtap', 'pcv13', 'rota', 'hepB']],
  [11.5, 14, ['mmr', 'varicella', 'hepA', 'hib', 'pcv13']],
  [14.5, 20, ['dtap', 'hepA']],
  [48, 84, ['dtap', 'ipv', 'mmr', 'varicella']],
  [132, 156, ['tdap', 'hpv', 'mcv4']],
  [192, 204, ['mcv4']],
];

export interface ImmunizationState {
  readonly milestones: Set<number>;
  lastTdap: number;
  zoster: boolean;
  ppsv: boolean;
  covid: boolean;
  declined: boolean;
}

export function newImmunizationState(): ImmunizationState {
  return { milestones: new Set(), lastTdap: -Infinity, zoster: false, ppsv: false, covid: false, declined: false };
}

const SITES: Code[] = [['actSite', 'LA', 'left arm'], ['actSite', 'RA', 'right arm'], ['actSite', 'LT', 'left thigh']];

/** Gives what is due at a wellness visit. */
export function immunize(ctx: PatientContext, visit: Visit, state: ImmunizationState): void {
  const { demo } = ctx;
  const months = ageMonths(demo.birthMs, visit.start);
  const due: Array<keyof typeof V> = [];
  CHILD.forEach(([lo, hi, list], i) => {
    if (months >= lo && months <= hi && !state.milestones.has(i)) {
      state.milestones.add(i);
      due.push(...list);
    }
  });
  const years = months / 12;
  if (months >= 6) due.push('flu');
  if (years >= 19 && visit.start - state.lastTdap > 10 * YEAR && ctx.rng.chance(0.3)) due.push('tdap');
  if (years >= 50 && !state.zoster && ctx.rng.chance(0.5)) { state.zoster = true; due.push('zoster'); }
  if (years >= 65 && !state.ppsv) { state.ppsv = true; due.push('ppsv23'); }
  if (years >= 12 && !state.covid && visit.start >= Date.UTC(2021, 3, 1)) { state.covid = true; due.push('covid'); }
  for (const key of due) {
    if (key === 'tdap') state.lastTdap = visit.start;
    const declined = key === 'flu' && !state.declined && (ctx.full || ctx.rng.chance(0.08));
    if (declined) state.declined = true;
    give(ctx, visit, V[key], months < 36, declined);
  }
}

function give(ctx: PatientContext, visit: Visit, code: Code, infant: boolean, declined: boolean): void {
  const { rng } = ctx;
  const at = visit.start + 45 * 60_000;
  const given = {
    vaccineCode: cc(code),
    patient: ctx.subject,
    encounter: visit.ref,
    occurrenceDateTime: ctx.dateTime(at),
    recorded: ctx.dateTime(at),
    primarySource: true,
    location: visit.location,
  };
  if (declined) {
    ctx.add('Immunization', 'us-core-immunization', { status: 'not-done', statusReason: cc(['actReason', 'PATOBJ', 'patient objection']), ...given });
    return;
  }
  ctx.add('Immunization', 'us-core-immunization', {
    status: 'completed',
    ...given,
    lotNumber: `${String.fromCharCode(65 + rng.int(0, 25))}${String.fromCharCode(65 + rng.int(0, 25))}${rng.digits(5)}`,
    expirationDate: ctx.date(at + rng.int(120, 700) * 86_400_000),
    site: cc(infant ? SITES[2] : rng.pick(SITES.slice(0, 2))),
    route: cc(['routeOfAdmin', 'IM', 'Injection, intramuscular']),
    doseQuantity: quantity(0.5, 'mL'),
    performer: [{ function: cc(['v20443', 'AP', 'Administering Provider']), actor: ctx.staff('nurse').ref }],
  });
}
