/** Vital signs (US Core vital-signs profiles), growth-curve based for children. */
import type { PatientContext, Visit } from './context.js';
import { YEAR, ageMonths } from './dates.js';
import { cc, darConcept, quantity, round } from './fhir.js';
import { VITALS_CAT, addObservation } from './observation.js';
import type { Code } from './types.js';

/** Personal growth state kept between visits (z-scores fixed per patient). */
export interface Growth {
  readonly heightZ: number;
  readonly headZ: number;
  /** Adult BMI the patient tends to. */
  readonly adultBmi: number;
  readonly bpOffset: number;
}

export function newGrowth(ctx: PatientContext): Growth {
  const { rng } = ctx;
  return {
    heightZ: Math.max(-2.2, Math.min(2.2, rng.normal(0, 1))),
    headZ: Math.max(-2, Math.min(2, rng.normal(0, 1))),
    adultBmi: Math.max(18.5, Math.min(44, rng.normal(27.5, 5))),
    bpOffset: rng.normal(0, 6),
  };
}

/** Standard normal CDF (Abramowitz–Stegun 26.2.17), for percentiles. */
export function percentile(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const d = 0.3989423 * Math.exp((-z * z) / 2);
  const p = d * t * (0.3193815 + t * (-0.3565638 + t * (1.781478 + t * (-1.821256 + t * 1.330274))));
  return round((z > 0 ? 1 - p : p) * 100, 1);
}

/** Median length/height in cm by age in months (CDC/WHO charts, coarse interpolation). */
function medianHeight(months: number, female: boolean): number {
  const pts: Array<[number, number]> = female
    ? [[0, 49.2], [6, 65.7], [12, 74], [24, 85.7], [36, 95.1], [60, 109.4], [96, 128], [144, 151], [180, 161.7], [216, 163]]
    : [[0, 49.9], [6, 67.6], [12, 75.7], [24, 87.1], [36, 96.1], [60, 110], [96, 128], [144, 149.1], [180, 170.1], [216, 176.5]];
  return interp(pts, months);
}

function medianHead(months: number): number {
  return interp([[0, 34.5], [3, 40.5], [6, 43.3], [12, 46.1], [24, 48.3], [36, 49.5], [216, 55.5]], months);
}

function childBmi(months: number): number {
  return interp([[0, 13.4], [6, 17.3], [12, 17.2], [24, 16.4], [60, 15.4], [96, 16], [144, 18.5], [216, 21.5]], months);
}

function interp(pts: Array<[number, number]>, x: number): number {
  if (x <= pts[0][0]) return pts[0][1];
  for (let i = 1; i < pts.length; i++) {
    if (x <= pts[i][0]) {
      const [x0, y0] = pts[i - 1];
      const [x1, y1] = pts[i];
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return pts[pts.length - 1][1];
}

const L = (code: string, display: string): Code => ['loinc', code, display];

export interface VitalsOptions {
  readonly fever?: boolean;
  readonly hypertensive?: boolean;
  readonly lowOxygen?: boolean;
  /** Record one pulse oximetry whose oxygen flow components are unknown (data-absent-reason). */
  readonly unknownFlow?: boolean;
  /** Record diastolic as not obtained (data-absent-reason on the BP component). */
  readonly missingDiastolic?: boolean;
}

/** Records a full set of vitals for the visit; returns BMI (for health concerns). */
export function recordVitals(ctx: PatientContext, visit: Visit, growth: Growth, opts: VitalsOptions = {}): number {
  const { rng, demo } = ctx;
  const female = demo.sex === 'female';
  const at = visit.start + 10 * 60_000;
  const months = ageMonths(demo.birthMs, at);
  const years = (at - demo.birthMs) / YEAR;
  const nurse = ctx.staff('nurse').ref;
  const base = { visit, at, category: [VITALS_CAT], performer: [nurse] };
  const vq = (value: number, unit: string, code = unit) => ({ valueQuantity: quantity(value, unit, code) });

  const heightZ = growth.heightZ + rng.normal(0, 0.05);
  const height = medianHeight(months, female) * (1 + 0.04 * heightZ);
  const bmiMedian = years >= 18 ? growth.adultBmi : childBmi(months) + (growth.adultBmi - 24) * Math.max(0, (years - 2) / 16) * 0.5;
  const bmi = bmiMedian * (1 + rng.normal(0, 0.02));
  const weight = (bmi * height * height) / 10000;
  const bmiZ = (bmi - (years >= 18 ? 24 : childBmi(months))) / (years >= 18 ? 5 : 2.2);

  addObservation(ctx, { ...base, profile: 'us-core-body-height', code: L('8302-2', 'Body height'), rest: vq(round(height, 1), 'cm') });
  addObservation(ctx, { ...base, profile: 'us-core-body-weight', code: L('29463-7', 'Body weight'), rest: vq(round(weight, 1), 'kg') });
  if (months < 36) {
    const head = medianHead(months) * (1 + 0.03 * growth.headZ);
    addObservation(ctx, { ...base, profile: 'us-core-head-circumference', code: L('9843-4', 'Head Occipital-frontal circumference'), rest: vq(round(head, 1), 'cm') });
    addObservation(ctx, { ...base, profile: 'head-occipital-frontal-circumference-percentile', code: L('8289-1', 'Head Occipital-frontal circumference Percentile'), rest: vq(percentile(growth.headZ), '%') });
    addObservation(ctx, { ...base, profile: 'pediatric-weight-for-height', code: L('77606-2', 'Weight-for-length Per age and sex'), rest: vq(percentile(bmiZ), '%') });
  } else {
    addObservation(ctx, { ...base, profile: 'us-core-bmi', code: L('39156-5', 'Body mass index (BMI) [Ratio]'), rest: vq(round(bmi, 1), 'kg/m2') });
    if (years >= 2 && years < 20) {
      addObservation(ctx, { ...base, profile: 'pediatric-bmi-for-age', code: L('59576-9', 'Body mass index (BMI) [Percentile] Per age and sex'), rest: vq(percentile(bmiZ), '%') });
    }
  }
  if (years >= 3) {
    const sys = Math.round(years < 18 ? 95 + years * 1.2 : 112 + 0.45 * (years - 20) + growth.bpOffset + (opts.hypertensive ? 14 : 0) + rng.normal(0, 5));
    const dia = Math.round(years < 18 ? 55 + years : 72 + 0.15 * (years - 20) + growth.bpOffset / 2 + (opts.hypertensive ? 8 : 0) + rng.normal(0, 4));
    const mmHg = (v: number) => quantity(v, 'mmHg', 'mm[Hg]');
    addObservation(ctx, {
      ...base, profile: 'us-core-blood-pressure', code: L('85354-9', 'Blood pressure panel with all children optional'),
      rest: {
        component: [
          { code: cc(L('8480-6', 'Systolic blood pressure')), valueQuantity: mmHg(sys) },
          opts.missingDiastolic
            ? { code: cc(L('8462-4', 'Diastolic blood pressure')), dataAbsentReason: darConcept('unknown') }
            : { code: cc(L('8462-4', 'Diastolic blood pressure')), valueQuantity: mmHg(dia) },
        ],
      },
    });
  }
  const hr = Math.round(months < 12 ? rng.normal(130, 8) : years < 10 ? rng.normal(95, 8) : rng.normal(72, 7)) + (opts.fever ? 12 : 0);
  const rr = Math.round(months < 12 ? rng.normal(34, 3) : years < 10 ? rng.normal(22, 2) : rng.normal(15, 1.5)) + (opts.fever ? 3 : 0);
  addObservation(ctx, { ...base, profile: 'us-core-heart-rate', code: L('8867-4', 'Heart rate'), rest: vq(hr, 'beats/minute', '/min') });
  addObservation(ctx, { ...base, profile: 'us-core-respiratory-rate', code: L('9279-1', 'Respiratory rate'), rest: vq(rr, 'breaths/minute', '/min') });
  const temp = round(opts.fever ? rng.real(38.1, 39.2) : rng.normal(36.8, 0.2), 1);
  addObservation(ctx, { ...base, profile: 'us-core-body-temperature', code: L('8310-5', 'Body temperature'), rest: vq(temp, 'C', 'Cel') });
  const spo2 = Math.round(opts.lowOxygen ? rng.real(89, 93) : rng.real(96, 99.5));
  const flow = opts.lowOxygen ? 2 : 0;
  const components = opts.unknownFlow
    ? [
        { code: cc(L('3151-8', 'Inhaled oxygen flow rate')), dataAbsentReason: darConcept('unknown') },
        { code: cc(L('3150-0', 'Inhaled oxygen concentration')), dataAbsentReason: darConcept('unknown') },
      ]
    : [
        { code: cc(L('3151-8', 'Inhaled oxygen flow rate')), valueQuantity: quantity(flow, 'L/min') },
        { code: cc(L('3150-0', 'Inhaled oxygen concentration')), valueQuantity: quantity(flow ? 28 : 21, '%') },
      ];
  addObservation(ctx, {
    ...base, profile: 'us-core-pulse-oximetry',
    code: cc(L('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'), L('2708-6', 'Oxygen saturation in Arterial blood')),
    rest: { ...vq(spo2, '%'), component: components },
  });
  return bmi;
}
