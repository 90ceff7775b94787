/** One patient's chart: demographics, a visit timeline, and everything recorded along it. */
import { addCareTeam, addCarePlan, addCoverage, addGoals, type ActiveProblem } from './care.js';
import type { ChartState, ChronicState } from './chart-state.js';
import { CHRONIC } from './clinical-data.js';
import { PatientContext, type VisitKind } from './context.js';
import { DAY, YEAR } from './dates.js';
import { createEncounter } from './encounters.js';
import { addAllergies } from './allergies.js';
import { addProblem } from './conditions.js';
import { newImmunizationState } from './immunizations.js';
import { createPatient, createRelatedPerson } from './patient.js';
import { Rng } from './prng.js';
import { addProvenance } from './provenance.js';
import { addSensitiveRecords } from './sensitive.js';
import type { Directory } from './providers.js';
import { SMOKING } from './social.js';
import type { Bundle } from './types.js';
import { acuteVisit, emergencyVisit, followupVisit, pickAcute, procedureVisit, specialistVisit, wellnessVisit } from './visits.js';
import { newGrowth } from './vitals.js';

/** Well-child visits (months of age), then yearly. */
const WELL_CHILD_MONTHS = [0.5, 1, 2, 4, 6, 9, 12, 15, 18, 24, 30, 36];

interface Planned {
  readonly at: number;
  readonly kind: VisitKind;
  readonly detail: number;
}

export function buildPatientBundle(seed: number, index: number, asOf: number, dir: Directory): Bundle {
  const rng = new Rng(`${seed}/patient/${index}`);
  const full = index === 0;
  const ctx = new PatientContext(rng, index, full, asOf, dir);
  createPatient(ctx);
  const { demo } = ctx;
  const related = createRelatedPerson(ctx);
  const female = demo.sex === 'female';
  const end = demo.deathMs !== undefined ? demo.deathMs - 2 * DAY : asOf - DAY;
  const ageNow = (end - demo.birthMs) / YEAR;
  const historyStart = full || ageNow < 7 ? demo.birthMs + 5 * DAY : Math.max(demo.birthMs + 5 * DAY, asOf - rng.int(3, 7) * YEAR);

  const chronic: ChronicState[] = CHRONIC.filter((d) => (full ? d.key === 'asthma' : ageNow >= d.minAge && rng.chance(d.prevalence(ageNow, female)))).map((def) => {
    const earliest = Math.max(demo.birthMs + def.minAge * YEAR, asOf - 15 * YEAR);
    return { def, onset: full ? demo.birthMs + 5.2 * YEAR : rng.real(earliest, Math.max(earliest, end - 60 * DAY)), treated: false };
  });
  const state: ChartState = {
    growth: newGrowth(ctx),
    imm: newImmunizationState(),
    chronic,
    smoking: full ? SMOKING[0][0] : rng.weighted(SMOKING),
    related,
    specialists: new Set(),
    done: new Set(),
    foodInsecure: full || rng.chance(0.12),
    lastVisit: historyStart,
  };

  // Children see a pediatrician, adults the primary care clinician.
  const pediatrician = ageNow < 18 ? ctx.pcp : ctx.staff('pediatrics');
  const clinicianAt = (t: number) => ((t - demo.birthMs) / YEAR < 18 ? pediatrician : ctx.pcp);

  // The visit plan, then visits in time order.
  const plan: Planned[] = [];
  const push = (at: number, kind: VisitKind, detail = 0) => {
    if (at >= historyStart && at <= end) plan.push({ at, kind, detail });
  };
  for (const m of WELL_CHILD_MONTHS) push(demo.birthMs + m * 30.44 * DAY + rng.int(0, 6) * DAY, 'wellness');
  for (let y = 4; y <= ageNow + 1; y++) {
    if (y < 18 || full || rng.chance(0.8)) push(demo.birthMs + y * YEAR + rng.int(0, 60) * DAY, 'wellness');
  }
  const followFrom = Math.max(historyStart, asOf - 6 * YEAR);
  chronic.forEach((c, i) => {
    for (let t = Math.max(c.onset, followFrom) + rng.int(10, 120) * DAY; t < end; t += rng.int(150, 240) * DAY) push(t, 'followup', i);
    if (c.def.specialist) push(Math.max(c.onset, followFrom) + rng.int(20, 200) * DAY, 'specialist', i);
  });
  const windowYears = (end - historyStart) / YEAR;
  const acuteCount = Math.round(windowYears * (ageNow < 12 ? 0.6 : 0.35) * rng.real(0.5, 1.5)) + (full ? 1 : 0);
  for (let i = 0; i < acuteCount; i++) push(rng.real(historyStart, end), 'acute');
  if (full) push(end - 400 * DAY, 'emergency', 1);
  else if (rng.chance(0.08 + ageNow / 1000)) {
    const which = ageNow > 50 && chronic.some((c) => c.def.key === 'cad') ? 2 : ageNow < 40 ? rng.int(0, 1) : 0;
    push(rng.real(historyStart, end), 'emergency', which);
  }
  if (ageNow >= 45 && ageNow <= 75 && rng.chance(0.5)) push(rng.real(Math.max(historyStart, demo.birthMs + 45 * YEAR), end), 'procedure', 0);
  if (female && ageNow >= 40) for (let t = Math.max(historyStart, demo.birthMs + 40 * YEAR) + rng.int(30, 300) * DAY; t < end; t += 2 * YEAR) if (rng.chance(0.7)) push(t, 'procedure', 1);
  if (female && ((full) || (ageNow >= 18 && ageNow <= 45 && rng.chance(0.1)))) push(full ? end - 200 * DAY : rng.real(Math.max(historyStart, end - 3 * YEAR), end), 'procedure', 2);
  plan.sort((a, b) => a.at - b.at);

  for (const p of plan) {
    const start = localTime(p.at, ctx.tz, rng.int(8 * 4, 16 * 4) * 15);
    if (start > end) continue;
    if (p.kind === 'wellness') {
      wellnessVisit(ctx, state, createEncounter(ctx, { kind: 'wellness', start, minutes: 30, staff: clinicianAt(start) }));
    } else if (p.kind === 'followup') {
      const c = chronic[p.detail];
      const virtual = rng.chance(0.15);
      const visit = createEncounter(ctx, { kind: 'followup', start, minutes: 20, staff: clinicianAt(start), reasonCode: c.def.code, virtual, ...(c.condition ? { reasonRef: ctx.refTo(c.condition) } : {}) });
      followupVisit(ctx, state, visit, c);
    } else if (p.kind === 'specialist') {
      const c = chronic[p.detail];
      specialistVisit(ctx, state, createEncounter(ctx, { kind: 'specialist', start, minutes: 45, staff: ctx.staff('cardiology'), reasonCode: c.def.code }), c);
    } else if (p.kind === 'acute') {
      const def = pickAcute(ctx, start);
      acuteVisit(ctx, state, createEncounter(ctx, { kind: 'acute', start, minutes: 20, staff: clinicianAt(start), reasonCode: def.reason }), def);
    } else if (p.kind === 'emergency') {
      const edStaff = ctx.staff('emergency');
      const ed = createEncounter(ctx, { kind: 'emergency', start, minutes: rng.int(180, 360), staff: edStaff, reasonCode: p.detail === 1 ? ['sct', '21522001', 'Abdominal pain (finding)'] : p.detail === 2 ? ['sct', '29857009', 'Chest pain (finding)'] : ['sct', '267036007', 'Dyspnea (finding)'] });
      const admitted = full || rng.chance(0.4);
      const admit = admitted ? createEncounter(ctx, { kind: 'inpatient', start: ed.end, minutes: (p.detail === 0 ? 3 : p.detail === 1 ? 2 : 4) * 1440, staff: ctx.staff('hospitalist') }) : undefined;
      emergencyVisit(ctx, state, ed, admit, p.detail);
    } else {
      const kind = (['colonoscopy', 'mammogram', 'iud'] as const)[p.detail];
      const staff = kind === 'iud' ? ctx.staff('obgyn') : kind === 'mammogram' ? ctx.staff('radiology') : ctx.staff('internal');
      procedureVisit(ctx, createEncounter(ctx, { kind: 'procedure', start, minutes: 60, staff }), kind);
    }
    state.lastVisit = start;
  }

  if (full) {
    // A resolved problem: iron deficiency found at 16, treated, resolved at 17.
    addProblem(ctx, {
      code: ['sct', '87522002', 'Iron deficiency anemia (disorder)'], onset: demo.birthMs + 16.2 * YEAR,
      recorded: demo.birthMs + 16.25 * YEAR, asserter: ctx.pcp.ref, abatement: demo.birthMs + 17.1 * YEAR,
    });
  }
  addAllergies(ctx, historyStart);
  const problems: ActiveProblem[] = chronic
    .filter((c) => c.condition)
    .map((c) => ({ condition: c.condition!, name: c.def.code[2].replace(/ \((disorder|finding)\)$/, ''), goal: c.def.goal, since: c.onset }));
  if (state.foodInsecurity) problems.push({ condition: state.foodInsecurity, name: 'Food insecurity', goal: 'Enrolled in a community food program with reliable access to food', since: state.lastVisit });
  const goals = addGoals(ctx, problems);
  const team = addCareTeam(ctx, related, [...state.specialists], historyStart);
  addCarePlan(ctx, problems, goals, team, state.lastVisit);
  addCoverage(ctx, related ? ctx.refTo(related) : undefined);
  addSensitiveRecords(ctx, seed);
  addProvenance(ctx, state.lastVisit + DAY);
  return { resourceType: 'Bundle', id: new Rng(`${seed}/patient/${index}/bundle`).uuid(), type: 'transaction', entry: ctx.entries };
}

/** `day` at local clock minutes-after-midnight `minutes`, as epoch ms. */
function localTime(day: number, tz: number, minutes: number): number {
  const localMidnight = Math.floor((day + tz * 60_000) / DAY) * DAY;
  return localMidnight + minutes * 60_000 - tz * 60_000;
}
