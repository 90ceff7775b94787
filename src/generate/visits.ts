/** What happens at each kind of visit: vitals, screening, orders, results, notes. */
import { addProblem, addEncounterDiagnosis } from './conditions.js';
import type { ChartState, ChronicState } from './chart-state.js';
import { ACUTE, ADMISSIONS, type AcuteDef, type LabPanelKey } from './clinical-data.js';
import type { PatientContext, Visit } from './context.js';
import { DAY, YEAR } from './dates.js';
import { immunize } from './immunizations.js';
import { runPanel, type LabBias } from './labs.js';
import { prescribe } from './medications.js';
import { addNote, addReportWithNote } from './notes.js';
import { addImplant, addProcedure, orderService } from './procedures.js';
import { cognitiveStatus, disabilityStatus, functionalStatus, hungerVitalSign, phq9 } from './screening.js';
import { recordClinicalResult, recordOccupation, recordPregnancy, recordSexualOrientation, recordSmoking } from './social.js';
import { recordVitals } from './vitals.js';
import type { Code } from './types.js';

const years = (ctx: PatientContext, at: number): number => (at - ctx.demo.birthMs) / YEAR;
const active = (s: ChartState, key: string, at: number): ChronicState | undefined =>
  s.chronic.find((c) => c.def.key === key && c.onset <= at);

/** Lab results biased by the patient's conditions. */
function labBias(s: ChartState, at: number, key: LabPanelKey): LabBias {
  if (key === 'a1c') return { '4548-4': active(s, 'dm2', at) ? 7.4 : active(s, 'prediabetes', at) ? 6.0 : 5.2 };
  if (key === 'lipid') return active(s, 'hld', at) ? { '18262-6': 128, '2093-3': 215 } : {};
  if (key === 'tsh') return active(s, 'hypothyroid', at) ? { '3016-3': 3.6 } : {};
  if (key === 'inr') return active(s, 'afib', at) ? { '6301-6': 2.5 } : {};
  if (key === 'bmp') return active(s, 'dm2', at) ? { '2345-7': 142 } : {};
  return {};
}

function lab(ctx: PatientContext, s: ChartState, visit: Visit, key: LabPanelKey, bias?: LabBias, note = false): void {
  const result = runPanel(ctx, visit, key, bias ?? labBias(s, visit.start, key));
  if (note) addNote(ctx, visit, 'lab', result.text, ctx.staff('pathology'), visit.end + 4 * 3600_000);
}

/** Records the chronic problems diagnosed by now and starts their treatment. */
function reviewProblems(ctx: PatientContext, s: ChartState, visit: Visit): string[] {
  const lines: string[] = [];
  for (const c of s.chronic) {
    if (c.onset > visit.start) continue;
    if (!c.condition) {
      const diagnosedHere = c.onset >= visit.start - 120 * DAY;
      c.condition = addProblem(ctx, {
        code: c.def.code, onset: c.onset, recorded: visit.start + 30 * 60_000, asserter: visit.staff.ref,
        ...(diagnosedHere ? { visit } : {}),
      });
      lines.push(`${diagnosedHere ? 'New diagnosis' : 'Known history'}: ${c.def.code[2]}.`);
    }
    if (!c.treated && c.def.meds.length) {
      c.treated = true;
      const meds = ctx.full ? c.def.meds : c.def.meds.slice(0, ctx.rng.int(1, c.def.meds.length));
      for (const med of meds) {
        prescribe(ctx, {
          med, visit, status: ctx.demo.deathMs ? 'stopped' : 'active', reason: ctx.refTo(c.condition),
          fills: ctx.rng.int(1, 3), asResource: ctx.full && med === 'albuterol',
        });
        lines.push(`Started ${med}.`);
      }
    }
  }
  return lines;
}

export function wellnessVisit(ctx: PatientContext, s: ChartState, visit: Visit): void {
  const { rng, demo, full } = ctx;
  const age = years(ctx, visit.start);
  const adult = age >= 18;
  const htn = !!active(s, 'htn', visit.start);
  const bmi = recordVitals(ctx, visit, s.growth, {
    hypertensive: htn,
    lowOxygen: !!active(s, 'copd', visit.start) && rng.chance(0.3),
    missingDiastolic: full && age >= 3 && !s.done.has('dar-bp') && (s.done.add('dar-bp'), true),
    unknownFlow: full && !s.done.has('dar-flow') && (s.done.add('dar-flow'), true),
  });
  const text: string[] = [`Well visit at age ${Math.floor(age)}. BMI ${bmi.toFixed(1)} kg/m2.`];
  immunize(ctx, visit, s.imm);
  text.push(...reviewProblems(ctx, s, visit));
  if (age >= 13) {
    recordSmoking(ctx, visit, age < 16 ? ['sct', '266919005', 'Never smoked tobacco (finding)'] : s.smoking, full && !s.done.has('smoke'));
    s.done.add('smoke');
  }
  if (adult && !s.done.has('orientation') && (full || rng.chance(0.6))) {
    s.done.add('orientation');
    recordSexualOrientation(ctx, visit);
  }
  if (adult && age < 70 && !s.done.has('occupation') && (full || rng.chance(0.7))) {
    s.done.add('occupation');
    recordOccupation(ctx, visit);
  }
  if (demo.sex === 'female' && age >= 15 && age <= 50) recordPregnancy(ctx, visit, false);
  if (age >= 12 && (full || rng.chance(0.6))) {
    const score = phq9(ctx, visit, !!active(s, 'depression', visit.start));
    text.push(`PHQ-9 score ${score}.`);
  }
  const lastAdultVisit = visit.start > ctx.asOf - YEAR * 1.2;
  if (adult && (lastAdultVisit || rng.chance(0.3)) && !s.done.has('hvs')) {
    s.done.add('hvs');
    const { risk, panel } = hungerVitalSign(ctx, visit, s.foodInsecure);
    addProcedure(ctx, { visit, code: [['sct', '710824005', 'Assessment of health and social care needs (procedure)']], at: visit.start + 15 * 60_000 });
    if (risk) {
      s.foodInsecurity = addProblem(ctx, {
        code: ['sct', '733423003', 'Food insecurity (finding)'], onset: visit.start, recorded: visit.start + 30 * 60_000,
        asserter: visit.staff.ref, visit, category: 'health-concern', sdoh: true,
      });
      orderService(ctx, {
        visit, category: 'sdoh', code: [['sct', '3457005', 'Patient referral (procedure)']], status: 'active',
        occurrence: [visit.start, visit.start + 30 * DAY], reason: ctx.refTo(panel), performer: ctx.dir.practice.ref,
      });
      text.push('Screened positive for food insecurity; referred to community food program.');
    }
  }
  if (age >= 65 || (full && adult && !s.done.has('functional'))) {
    s.done.add('functional');
    functionalStatus(ctx, visit, age < 85);
    cognitiveStatus(ctx, visit, age > 85 && rng.chance(0.4));
  }
  if ((adult && !s.done.has('disability') && rng.chance(0.3)) || (full && adult && !s.done.has('disability'))) {
    s.done.add('disability');
    disabilityStatus(ctx, visit, age > 75 && rng.chance(0.5));
  }
  if (adult && (bmi >= 30) && !s.done.has('obesity')) {
    s.done.add('obesity');
    addProblem(ctx, { code: ['sct', '162864005', 'Body mass index 30+ - obesity (finding)'], onset: visit.start, recorded: visit.start + 30 * 60_000, asserter: visit.staff.ref, visit, category: 'health-concern' });
  }
  if (age >= 75 && !s.done.has('falls') && rng.chance(0.5)) {
    s.done.add('falls');
    addProblem(ctx, { code: ['sct', '129839007', 'At risk for falls (finding)'], onset: visit.start, recorded: visit.start + 30 * 60_000, asserter: visit.staff.ref, visit, category: 'health-concern' });
  }
  // Screening labs: adults every few years; patient 0 gets each result shape once.
  if ((adult && rng.chance(0.3)) || (full && adult && !s.done.has('labs'))) {
    const labNote = full && !s.done.has('labs');
    s.done.add('labs');
    lab(ctx, s, visit, rng.chance(0.5) ? 'lipid' : 'cbc', undefined, labNote || rng.chance(0.2));
    if (full) {
      lab(ctx, s, visit, 'cbc');
      lab(ctx, s, visit, 'ua');
      lab(ctx, s, visit, 'hcg');
      recordClinicalResult(ctx, visit, 'exam', 'Lungs clear to auscultation bilaterally; no wheeze. Heart regular rate and rhythm.');
      recordClinicalResult(ctx, visit, 'activity', '');
    }
  }
  if (full && adult && lastAdultVisit && !s.done.has('reported')) {
    // An over-the-counter medicine the patient reports taking (reportedReference = the patient).
    s.done.add('reported');
    prescribe(ctx, { med: 'acetaminophen', visit, status: 'active', fills: 0, reported: true });
  }
  if (adult && s.chronic.some((c) => c.treated)) {
    addProcedure(ctx, { visit, code: [['sct', '430193006', 'Medication reconciliation (procedure)']], at: visit.end - 10 * 60_000 });
  }
  addNote(ctx, visit, 'progress', text.join('\n'), visit.staff);
}

export function followupVisit(ctx: PatientContext, s: ChartState, visit: Visit, problem: ChronicState): void {
  recordVitals(ctx, visit, s.growth, { hypertensive: problem.def.key === 'htn' });
  const text = reviewProblems(ctx, s, visit);
  for (const key of problem.def.labs) lab(ctx, s, visit, key);
  text.unshift(`Follow-up of ${problem.def.code[2]}. Goal: ${problem.def.goal}.`);
  addNote(ctx, visit, 'progress', text.join('\n'), visit.staff);
}

export function pickAcute(ctx: PatientContext, at: number): AcuteDef {
  const age = years(ctx, at);
  const options = ACUTE.filter((a) => age >= a.ages[0] && age <= a.ages[1]);
  return ctx.rng.pick(options.length ? options : ACUTE);
}

export function acuteVisit(ctx: PatientContext, s: ChartState, visit: Visit, def: AcuteDef): void {
  const { rng } = ctx;
  const infection = def.meds[0] !== 'ibuprofen' || def.code[1] === '10509002';
  recordVitals(ctx, visit, s.growth, { fever: infection && rng.chance(0.6) });
  const abatement = visit.start + rng.int(def.days[0], def.days[1]) * DAY;
  const dx = addEncounterDiagnosis(ctx, visit, def.code, def.icd, abatement);
  if (def.lab) lab(ctx, s, visit, def.lab, def.lab === 'strep' ? { '78012-2': 'pos' } : { '5802-4': 'pos', '5799-2': 'pos' });
  for (const med of def.meds) prescribe(ctx, { med, visit, status: 'completed', reason: ctx.refTo(dx), fills: 1, category: 'outpatient' });
  addNote(ctx, visit, 'progress', `Presents with ${def.reason[2].replace(/ \(finding\)$/, '').toLowerCase()}. Assessment: ${def.code[2]}. Plan: ${def.meds.join(', ')}; return if not improving.`, visit.staff);
}

export function specialistVisit(ctx: PatientContext, s: ChartState, visit: Visit, problem: ChronicState): void {
  recordVitals(ctx, visit, s.growth, { hypertensive: !!active(s, 'htn', visit.start) });
  s.specialists.add(visit.staff);
  addNote(ctx, visit, 'consult', `Cardiology consultation for ${problem.def.code[2]}. Continue current therapy; follow up in 6 months.`, visit.staff);
  ekg(ctx, visit, problem.def.key === 'afib' ? 'Atrial fibrillation with controlled ventricular rate.' : 'Normal sinus rhythm; no acute ST changes.');
}

function ekg(ctx: PatientContext, visit: Visit, impression: string): void {
  const cardiologist = ctx.staff('cardiology');
  addProcedure(ctx, { visit, code: [['sct', '29303009', 'Electrocardiographic procedure (procedure)'], ['cpt', '93000', 'Electrocardiogram, routine ECG with at least 12 leads']], at: visit.start + 20 * 60_000, performer: cardiologist.ref });
  recordClinicalResult(ctx, visit, 'procedure', impression);
  addReportWithNote(ctx, visit, 'cardiology', ['loinc', '11524-6', 'EKG study'], 'ekg', `12-lead electrocardiogram. Rate ${ctx.rng.int(60, 90)}/min.`, cardiologist, impression);
}

/** An emergency visit; a third (and patient 0's) lead to an admission. */
export function emergencyVisit(ctx: PatientContext, s: ChartState, ed: Visit, admit: Visit | undefined, which: number): void {
  const a = ADMISSIONS[which];
  recordVitals(ctx, ed, s.growth, { fever: which !== 2, lowOxygen: which === 0 });
  const dx = addEncounterDiagnosis(ctx, ed, a.dx, a.icd, admit ? admit.end + 14 * DAY : ed.end + 10 * DAY);
  lab(ctx, s, ed, 'cbc', which === 2 ? {} : { '6690-2': 14.5 });
  const radiologist = ctx.staff('radiology');
  const imaging: Code = which === 0 ? ['loinc', '36643-5', 'XR Chest 2 Views'] : which === 1 ? ['loinc', '79103-8', 'CT Abdomen and Pelvis W contrast IV'] : ['loinc', '36643-5', 'XR Chest 2 Views'];
  const finding = which === 0 ? 'Right lower lobe consolidation consistent with pneumonia.' : which === 1 ? 'Dilated, fluid-filled appendix (11 mm) with periappendiceal fat stranding; findings consistent with acute appendicitis.' : 'No acute cardiopulmonary process.';
  const order = orderService(ctx, { visit: ed, category: 'imaging', code: [imaging], status: 'completed', occurrence: [ed.start, ed.start + 3600_000], reason: ctx.refTo(dx) });
  addReportWithNote(ctx, ed, 'radiology', imaging, 'imaging', `${imaging[2]}. Indication: ${a.dx[2]}.`, radiologist, finding, ctx.refTo(order));
  recordClinicalResult(ctx, ed, 'imaging', finding);
  addNote(ctx, ed, 'consult', `Emergency department consultation. Working diagnosis: ${a.dx[2]}. ${admit ? 'Admitted.' : 'Discharged home with follow-up.'}`, ed.staff);
  if (!admit) {
    prescribe(ctx, { med: which === 0 ? 'amoxicillin' : 'acetaminophen', visit: ed, status: 'completed', reason: ctx.refTo(dx), fills: 1, category: 'outpatient' });
    return;
  }
  addNote(ctx, admit, 'hp', `Admitted for ${a.dx[2]}. History reviewed; examination documented.`, admit.staff, admit.start + 2 * 3600_000);
  const surgical = which !== 0;
  if (surgical) ekg(ctx, admit, 'Normal sinus rhythm. Pre-operative tracing.');
  const request = orderService(ctx, { visit: admit, category: surgical ? 'surgery' : 'imaging', code: [a.procedure, a.cpt], status: 'completed', occurrence: [admit.start, admit.start + DAY], reason: ctx.refTo(dx) });
  const at = admit.start + 6 * 3600_000;
  const proc = addProcedure(ctx, { visit: admit, code: [a.procedure, a.cpt], at, minutes: surgical ? 75 : undefined, basedOn: request, reason: ctx.refTo(dx) });
  if (surgical) {
    addNote(ctx, admit, 'procedure', `${a.procedure[2]} performed without complication. Estimated blood loss minimal.`, admit.staff, at + 2 * 3600_000);
  }
  if (which === 1) {
    addReportWithNote(ctx, admit, 'pathology', ['loinc', '11526-1', 'Pathology study'], 'pathology', 'Specimen: appendix. Gross: 6.5 cm appendix with serosal exudate.', ctx.staff('pathology'), 'Acute suppurative appendicitis. No evidence of malignancy.', ctx.refTo(proc));
  }
  if (which === 2) addImplant(ctx, 'stent', at);
  const dischargeMed = which === 0 ? 'amoxicillin' : 'oxycodoneApap';
  prescribe(ctx, { med: dischargeMed, visit: admit, status: 'completed', reason: ctx.refTo(dx), fills: 1, category: 'discharge' });
  addNote(ctx, admit, 'discharge', `Discharge summary. ${a.dx[2]} treated; ${a.procedure[2]}. Discharged home in stable condition on ${dischargeMed}.`, admit.staff);
}

/** Planned outpatient procedures: screening colonoscopy, mammography, IUD insertion. */
export function procedureVisit(ctx: PatientContext, visit: Visit, kind: 'colonoscopy' | 'mammogram' | 'iud'): void {
  const at = visit.start + 30 * 60_000;
  if (kind === 'colonoscopy') {
    const code: Code[] = [['sct', '73761001', 'Colonoscopy (procedure)'], ['cpt', '45378', 'Colonoscopy, flexible; diagnostic']];
    const order = orderService(ctx, { visit, category: 'surgery', code, status: 'completed', occurrence: [visit.start, visit.end], reasonCode: ['sct', '275978004', 'Screening for malignant neoplasm of colon (procedure)'] });
    const proc = addProcedure(ctx, { visit, code, at, minutes: 40, basedOn: order });
    const polyp = ctx.rng.chance(0.35);
    addNote(ctx, visit, 'procedure', `Screening colonoscopy to the cecum. ${polyp ? 'One 6 mm sessile polyp removed from the sigmoid colon.' : 'No polyps.'}`, visit.staff, at + 3600_000);
    if (polyp) addReportWithNote(ctx, visit, 'pathology', ['loinc', '11526-1', 'Pathology study'], 'pathology', 'Specimen: sigmoid colon polyp.', ctx.staff('pathology'), 'Tubular adenoma; margins negative.', ctx.refTo(proc));
  } else if (kind === 'mammogram') {
    const code: Code[] = [['sct', '24623002', 'Screening mammography (procedure)'], ['cpt', '77067', 'Screening mammography, bilateral']];
    const order = orderService(ctx, { visit, category: 'imaging', code, status: 'completed', occurrence: [visit.start, visit.end] });
    addProcedure(ctx, { visit, code, at, basedOn: order });
    addReportWithNote(ctx, visit, 'radiology', ['loinc', '24606-6', 'MG Breast Screening'], 'imaging', 'Bilateral screening mammogram.', ctx.staff('radiology'), 'BI-RADS 1: negative.', ctx.refTo(order));
  } else {
    const code: Code[] = [['sct', '65200003', 'Insertion of intrauterine contraceptive device (procedure)'], ['cpt', '58300', 'Insertion of intrauterine device (IUD)']];
    const order = orderService(ctx, { visit, category: 'surgery', code, status: 'completed', occurrence: [visit.start, visit.end], reasonCode: ['sct', '13197004', 'Contraception (finding)'] });
    addProcedure(ctx, { visit, code, at, basedOn: order });
    addImplant(ctx, 'iud', at);
    addNote(ctx, visit, 'procedure', 'Copper IUD inserted without difficulty; strings trimmed to 3 cm.', visit.staff, at + 3600_000);
  }
}
