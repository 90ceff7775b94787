/** Laboratory results: Specimen, result Observations (US Core Lab), and the lab DiagnosticReport. */
import type { PatientContext, Visit } from './context.js';
import { cc, coding, quantity, round } from './fhir.js';
import type { LabPanelKey } from './clinical-data.js';
import { LAB_CAT, addObservation } from './observation.js';
import { ID_SYSTEMS, type Code, type Resource } from './types.js';

type Qual = 'pos' | 'neg';
interface Analyte {
  readonly code: Code;
  /** Quantity analyte: [unit, ucum, low, high, decimals]; qualitative: 'qual'; text: 'string'. */
  readonly kind: readonly [string, string, number, number, number] | 'qual' | 'string';
}
interface Panel {
  readonly code: Code;
  readonly specimen: readonly [Code, Code];
  readonly analytes: readonly Analyte[];
}

const L = (code: string, display: string): Code => ['loinc', code, display];
const BLOOD: readonly [Code, Code] = [['sct', '119297000', 'Blood specimen (specimen)'], ['v20487', 'BLD', 'Whole blood']];
const SERUM: readonly [Code, Code] = [['sct', '119364003', 'Serum specimen (specimen)'], ['v20487', 'SER', 'Serum']];
const URINE: readonly [Code, Code] = [['sct', '122575003', 'Urine specimen (specimen)'], ['v20487', 'UR', 'Urine']];
const THROAT: readonly [Code, Code] = [['sct', '258529004', 'Throat swab (specimen)'], ['v20487', 'THRT', 'Throat']];
const PLASMA: readonly [Code, Code] = [['sct', '119361006', 'Plasma specimen (specimen)'], ['v20487', 'PLAS', 'Plasma']];

export const PANELS: Record<LabPanelKey, Panel> = {
  cbc: { code: L('58410-2', 'CBC panel - Blood by Automated count'), specimen: BLOOD, analytes: [
    { code: L('6690-2', 'Leukocytes [#/volume] in Blood by Automated count'), kind: ['10*3/uL', '10*3/uL', 4.5, 11, 1] },
    { code: L('789-8', 'Erythrocytes [#/volume] in Blood by Automated count'), kind: ['10*6/uL', '10*6/uL', 4.2, 5.9, 2] },
    { code: L('718-7', 'Hemoglobin [Mass/volume] in Blood'), kind: ['g/dL', 'g/dL', 12, 17.5, 1] },
    { code: L('4544-3', 'Hematocrit [Volume Fraction] of Blood by Automated count'), kind: ['%', '%', 36, 50, 1] },
    { code: L('777-3', 'Platelets [#/volume] in Blood by Automated count'), kind: ['10*3/uL', '10*3/uL', 150, 400, 0] },
  ] },
  bmp: { code: L('51990-0', 'Basic metabolic panel - Blood'), specimen: SERUM, analytes: [
    { code: L('2345-7', 'Glucose [Mass/volume] in Serum or Plasma'), kind: ['mg/dL', 'mg/dL', 70, 99, 0] },
    { code: L('3094-0', 'Urea nitrogen [Mass/volume] in Serum or Plasma'), kind: ['mg/dL', 'mg/dL', 7, 20, 0] },
    { code: L('2160-0', 'Creatinine [Mass/volume] in Serum or Plasma'), kind: ['mg/dL', 'mg/dL', 0.6, 1.2, 2] },
    { code: L('2951-2', 'Sodium [Moles/volume] in Serum or Plasma'), kind: ['mmol/L', 'mmol/L', 136, 145, 0] },
    { code: L('2823-3', 'Potassium [Moles/volume] in Serum or Plasma'), kind: ['mmol/L', 'mmol/L', 3.5, 5.1, 1] },
    { code: L('2075-0', 'Chloride [Moles/volume] in Serum or Plasma'), kind: ['mmol/L', 'mmol/L', 98, 107, 0] },
    { code: L('2028-9', 'Carbon dioxide, total [Moles/volume] in Serum or Plasma'), kind: ['mmol/L', 'mmol/L', 22, 29, 0] },
    { code: L('17861-6', 'Calcium [Mass/volume] in Serum or Plasma'), kind: ['mg/dL', 'mg/dL', 8.5, 10.2, 1] },
  ] },
  lipid: { code: L('57698-3', 'Lipid panel with direct LDL - Serum or Plasma'), specimen: SERUM, analytes: [
    { code: L('2093-3', 'Cholesterol [Mass/volume] in Serum or Plasma'), kind: ['mg/dL', 'mg/dL', 125, 200, 0] },
    { code: L('2571-8', 'Triglyceride [Mass/volume] in Serum or Plasma'), kind: ['mg/dL', 'mg/dL', 40, 150, 0] },
    { code: L('2085-9', 'Cholesterol in HDL [Mass/volume] in Serum or Plasma'), kind: ['mg/dL', 'mg/dL', 40, 90, 0] },
    { code: L('18262-6', 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay'), kind: ['mg/dL', 'mg/dL', 50, 100, 0] },
  ] },
  a1c: { code: L('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'), specimen: BLOOD, analytes: [
    { code: L('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'), kind: ['%', '%', 4, 5.6, 1] },
  ] },
  tsh: { code: L('3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma'), specimen: SERUM, analytes: [
    { code: L('3016-3', 'Thyrotropin [Units/volume] in Serum or Plasma'), kind: ['mIU/L', 'm[IU]/L', 0.4, 4, 2] },
  ] },
  inr: { code: L('6301-6', 'INR in Platelet poor plasma by Coagulation assay'), specimen: PLASMA, analytes: [
    { code: L('6301-6', 'INR in Platelet poor plasma by Coagulation assay'), kind: ['INR', '{INR}', 0.8, 1.1, 1] },
  ] },
  ua: { code: L('24356-8', 'Urinalysis complete panel - Urine'), specimen: URINE, analytes: [
    { code: L('5778-6', 'Color of Urine'), kind: 'string' },
    { code: L('5802-4', 'Nitrite [Presence] in Urine by Test strip'), kind: 'qual' },
    { code: L('5799-2', 'Leukocyte esterase [Presence] in Urine by Test strip'), kind: 'qual' },
    { code: L('2514-8', 'Ketones [Presence] in Urine by Test strip'), kind: 'qual' },
  ] },
  strep: { code: L('78012-2', 'Streptococcus pyogenes Ag [Presence] in Throat by Rapid immunoassay'), specimen: THROAT, analytes: [
    { code: L('78012-2', 'Streptococcus pyogenes Ag [Presence] in Throat by Rapid immunoassay'), kind: 'qual' },
  ] },
  hcg: { code: L('2106-3', 'Choriogonadotropin (pregnancy test) [Presence] in Urine'), specimen: URINE, analytes: [
    { code: L('2106-3', 'Choriogonadotropin (pregnancy test) [Presence] in Urine'), kind: 'qual' },
  ] },
};

/** Condition-driven shifts of a result, e.g. { '4548-4': 7.6 } sets the A1c mean. */
export type LabBias = Readonly<Record<string, number | Qual>>;

const INTERP = {
  N: ['interp', 'N', 'Normal'], H: ['interp', 'H', 'High'], L: ['interp', 'L', 'Low'],
  POS: ['interp', 'POS', 'Positive'], NEG: ['interp', 'NEG', 'Negative'],
} as const satisfies Record<string, Code>;

export interface LabResult {
  readonly report: Resource;
  readonly observations: Resource[];
  readonly text: string;
}

/** Draws a specimen, the panel's results and the lab report for `visit`. */
export function runPanel(ctx: PatientContext, visit: Visit, key: LabPanelKey, bias: LabBias = {}): LabResult {
  const { rng, dir } = ctx;
  const panel = PANELS[key];
  const collected = visit.start + 25 * 60_000;
  const resulted = collected + rng.int(2, 20) * 3600_000;
  const specimen = ctx.add('Specimen', 'us-core-specimen', {
    identifier: [{ system: ID_SYSTEMS.accession, value: `${ctx.date(collected).replace(/-/g, '')}-${rng.digits(5)}` }],
    accessionIdentifier: { system: ID_SYSTEMS.accession, value: `A${rng.digits(9)}` },
    status: 'available',
    type: cc(panel.specimen[0], panel.specimen[1]),
    subject: ctx.subject,
    receivedTime: ctx.instant(collected + 3600_000),
    collection: { collector: ctx.staff('nurse').ref, collectedDateTime: ctx.dateTime(collected) },
  });
  const observations: Resource[] = [];
  const lines: string[] = [];
  for (const a of panel.analytes) {
    const b = bias[a.code[1]];
    let rest: Record<string, unknown>;
    if (a.kind === 'string') {
      const color = rng.pick(['Yellow', 'Yellow', 'Straw', 'Amber']);
      rest = { valueString: color };
      lines.push(`${a.code[2]}: ${color}`);
    } else if (a.kind === 'qual') {
      const pos = b === 'pos' || (b === undefined && rng.chance(0.05));
      rest = {
        valueCodeableConcept: cc(pos ? ['loinc', 'LA6576-8', 'Positive'] : ['loinc', 'LA6577-6', 'Negative']),
        interpretation: [cc(pos ? INTERP.POS : INTERP.NEG)],
      };
      lines.push(`${a.code[2]}: ${pos ? 'Positive' : 'Negative'}`);
    } else {
      const [unit, ucum, low, high, dec] = a.kind;
      const mean = typeof b === 'number' ? b : (low + high) / 2;
      const value = round(Math.max(0, rng.normal(mean, (high - low) / 8)), dec);
      const flag = value > high ? INTERP.H : value < low ? INTERP.L : INTERP.N;
      rest = {
        valueQuantity: quantity(value, unit, ucum),
        interpretation: [cc(flag)],
        referenceRange: [{
          low: quantity(low, unit, ucum), high: quantity(high, unit, ucum),
          type: cc(['refRange', 'normal', 'Normal Range']), text: `${low}-${high} ${unit}`,
        }],
      };
      lines.push(`${a.code[2]}: ${value} ${unit} (ref ${low}-${high})${flag === INTERP.N ? '' : ' ' + flag[2].toUpperCase()}`);
    }
    observations.push(addObservation(ctx, {
      profile: 'us-core-observation-lab', category: [LAB_CAT], code: a.code, at: collected, visit,
      performer: [dir.lab.ref], rest: { ...rest, specimen: ctx.refTo(specimen) },
    }));
  }
  for (const o of observations) o.issued = ctx.instant(resulted);
  const pathologist = ctx.staff('pathology');
  const report = ctx.add('DiagnosticReport', 'us-core-diagnosticreport-lab', {
    identifier: [{ system: ID_SYSTEMS.accession, value: (specimen.accessionIdentifier as { value: string }).value }],
    status: 'final',
    category: [{ coding: [coding('v20074', 'LAB', 'Laboratory')], text: 'Laboratory' }],
    code: cc(panel.code),
    subject: ctx.subject,
    encounter: visit.ref,
    effectiveDateTime: ctx.dateTime(collected),
    issued: ctx.instant(resulted),
    performer: [dir.lab.ref],
    resultsInterpreter: [pathologist.ref],
    specimen: [ctx.refTo(specimen)],
    result: observations.map((o) => ctx.refTo(o, (o.code as { text: string }).text)),
  });
  return { report, observations, text: `${panel.code[2]}\nCollected ${ctx.dateTime(collected)}\n${lines.join('\n')}` };
}
