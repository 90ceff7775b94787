/** Clinical tables: chronic and acute conditions, the medications that treat them. */
import type { Code } from './types.js';

export interface MedDef {
  readonly code: Code;
  /** Sig text, dose value and UCUM unit, times per day. */
  readonly sig: string;
  readonly dose: number;
  readonly doseUnit: readonly [unit: string, ucum: string];
  readonly perDay: number;
  /** Dispensed quantity per fill and its unit. */
  readonly qty: number;
  readonly qtyUnit: readonly [unit: string, ucum: string];
  readonly days: number;
  readonly asNeeded?: boolean;
}

const TAB = ['tablet', '{tbl}'] as const;
const CAP = ['capsule', '{capsule}'] as const;
const PUFF = ['puff', '{puff}'] as const;
const INH = ['inhaler', '{inhaler}'] as const;

export const MEDS = {
  lisinopril: { code: ['rxnorm', '314076', 'lisinopril 10 MG Oral Tablet'], sig: 'Take 1 tablet by mouth once daily', dose: 1, doseUnit: TAB, perDay: 1, qty: 90, qtyUnit: TAB, days: 90 },
  amlodipine: { code: ['rxnorm', '197361', 'amlodipine 5 MG Oral Tablet'], sig: 'Take 1 tablet by mouth once daily', dose: 1, doseUnit: TAB, perDay: 1, qty: 90, qtyUnit: TAB, days: 90 },
  hctz: { code: ['rxnorm', '310798', 'hydrochlorothiazide 25 MG Oral Tablet'], sig: 'Take 1 tablet by mouth every morning', dose: 1, doseUnit: TAB, perDay: 1, qty: 90, qtyUnit: TAB, days: 90 },
  metformin: { code: ['rxnorm', '860975', '24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet'], sig: 'Take 1 tablet by mouth twice daily with meals', dose: 1, doseUnit: TAB, perDay: 2, qty: 180, qtyUnit: TAB, days: 90 },
  atorvastatin: { code: ['rxnorm', '617310', 'atorvastatin 20 MG Oral Tablet'], sig: 'Take 1 tablet by mouth at bedtime', dose: 1, doseUnit: TAB, perDay: 1, qty: 90, qtyUnit: TAB, days: 90 },
  simvastatin: { code: ['rxnorm', '312961', 'simvastatin 20 MG Oral Tablet'], sig: 'Take 1 tablet by mouth at bedtime', dose: 1, doseUnit: TAB, perDay: 1, qty: 90, qtyUnit: TAB, days: 90 },
  levothyroxine: { code: ['rxnorm', '966222', 'levothyroxine sodium 0.075 MG Oral Tablet'], sig: 'Take 1 tablet by mouth every morning on an empty stomach', dose: 1, doseUnit: TAB, perDay: 1, qty: 90, qtyUnit: TAB, days: 90 },
  albuterol: { code: ['rxnorm', '745679', '200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler'], sig: 'Inhale 2 puffs every 4 to 6 hours as needed for wheezing', dose: 2, doseUnit: PUFF, perDay: 4, qty: 1, qtyUnit: INH, days: 30, asNeeded: true },
  fluticasone: { code: ['rxnorm', '895994', '120 ACTUAT fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler'], sig: 'Inhale 2 puffs twice daily', dose: 2, doseUnit: PUFF, perDay: 2, qty: 1, qtyUnit: INH, days: 30 },
  advair: { code: ['rxnorm', '896209', '60 ACTUAT fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler'], sig: 'Inhale 1 puff twice daily', dose: 1, doseUnit: PUFF, perDay: 2, qty: 1, qtyUnit: INH, days: 30 },
  sertraline: { code: ['rxnorm', '312938', 'sertraline 100 MG Oral Tablet'], sig: 'Take 1 tablet by mouth once daily', dose: 1, doseUnit: TAB, perDay: 1, qty: 30, qtyUnit: TAB, days: 30 },
  warfarin: { code: ['rxnorm', '855332', 'warfarin sodium 5 MG Oral Tablet'], sig: 'Take 1 tablet by mouth once daily or as directed by the anticoagulation clinic', dose: 1, doseUnit: TAB, perDay: 1, qty: 30, qtyUnit: TAB, days: 30 },
  clopidogrel: { code: ['rxnorm', '309362', 'clopidogrel 75 MG Oral Tablet'], sig: 'Take 1 tablet by mouth once daily', dose: 1, doseUnit: TAB, perDay: 1, qty: 90, qtyUnit: TAB, days: 90 },
  nitroglycerin: { code: ['rxnorm', '705129', 'nitroglycerin 0.4 MG/ACTUAT Mucosal Spray'], sig: 'Spray 1 dose under the tongue every 5 minutes as needed for chest pain, up to 3 doses', dose: 1, doseUnit: ['spray', '{spray}'], perDay: 3, qty: 1, qtyUnit: ['bottle', '{bottle}'], days: 30, asNeeded: true },
  naproxen: { code: ['rxnorm', '849574', 'naproxen sodium 220 MG Oral Tablet'], sig: 'Take 1 tablet by mouth every 12 hours as needed for pain', dose: 1, doseUnit: TAB, perDay: 2, qty: 60, qtyUnit: TAB, days: 30, asNeeded: true },
  nizatidine: { code: ['rxnorm', '476872', 'nizatidine 15 MG/ML Oral Solution'], sig: '10 mL by mouth twice daily', dose: 10, doseUnit: ['mL', 'mL'], perDay: 2, qty: 480, qtyUnit: ['mL', 'mL'], days: 24 },
  amoxicillin: { code: ['rxnorm', '308192', 'amoxicillin 500 MG Oral Tablet'], sig: 'Take 1 tablet by mouth three times daily for 10 days', dose: 1, doseUnit: TAB, perDay: 3, qty: 30, qtyUnit: TAB, days: 10 },
  amoxicillinCap: { code: ['rxnorm', '308182', 'amoxicillin 250 MG Oral Capsule'], sig: 'Take 1 capsule by mouth three times daily for 10 days', dose: 1, doseUnit: CAP, perDay: 3, qty: 30, qtyUnit: CAP, days: 10 },
  penicillinV: { code: ['rxnorm', '834061', 'penicillin V potassium 250 MG Oral Tablet'], sig: 'Take 1 tablet by mouth twice daily for 10 days', dose: 1, doseUnit: TAB, perDay: 2, qty: 20, qtyUnit: TAB, days: 10 },
  ibuprofen: { code: ['rxnorm', '310965', 'ibuprofen 200 MG Oral Tablet'], sig: 'Take 2 tablets by mouth every 6 hours as needed for pain', dose: 2, doseUnit: TAB, perDay: 4, qty: 40, qtyUnit: TAB, days: 5, asNeeded: true },
  acetaminophen: { code: ['rxnorm', '313782', 'acetaminophen 325 MG Oral Tablet'], sig: 'Take 2 tablets by mouth every 6 hours as needed for fever or pain', dose: 2, doseUnit: TAB, perDay: 4, qty: 40, qtyUnit: TAB, days: 5, asNeeded: true },
  oxycodoneApap: { code: ['rxnorm', '1049221', 'acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet'], sig: 'Take 1 tablet by mouth every 6 hours as needed for severe pain', dose: 1, doseUnit: TAB, perDay: 4, qty: 12, qtyUnit: TAB, days: 3, asNeeded: true },
} as const satisfies Record<string, MedDef>;

export type MedKey = keyof typeof MEDS;
export type LabPanelKey = 'cbc' | 'bmp' | 'lipid' | 'a1c' | 'tsh' | 'ua' | 'strep' | 'hcg' | 'inr';

export interface ChronicDef {
  readonly key: string;
  readonly code: Code;
  readonly minAge: number;
  /** Probability of having it, by age and sex. */
  readonly prevalence: (age: number, female: boolean) => number;
  readonly meds: readonly MedKey[];
  readonly labs: readonly LabPanelKey[];
  /** Goal text for the care plan. */
  readonly goal: string;
  readonly specialist?: 'cardiology';
}

const ramp = (age: number, from: number, to: number, max: number): number =>
  age < from ? 0 : age >= to ? max : (max * (age - from)) / (to - from);

export const CHRONIC: readonly ChronicDef[] = [
  { key: 'htn', code: ['sct', '38341003', 'Hypertensive disorder, systemic arterial (disorder)'], minAge: 25, prevalence: (a) => ramp(a, 25, 75, 0.6), meds: ['lisinopril', 'amlodipine', 'hctz'], labs: ['bmp'], goal: 'Blood pressure below 130/80 mmHg' },
  { key: 'dm2', code: ['sct', '44054006', 'Diabetes mellitus type 2 (disorder)'], minAge: 30, prevalence: (a) => ramp(a, 30, 70, 0.22), meds: ['metformin'], labs: ['a1c', 'bmp'], goal: 'Hemoglobin A1c below 7.0%' },
  { key: 'hld', code: ['sct', '55822004', 'Hyperlipidemia (disorder)'], minAge: 30, prevalence: (a) => ramp(a, 30, 70, 0.4), meds: ['atorvastatin', 'simvastatin'], labs: ['lipid'], goal: 'LDL cholesterol below 100 mg/dL' },
  { key: 'asthma', code: ['sct', '195967001', 'Asthma (disorder)'], minAge: 3, prevalence: () => 0.08, meds: ['albuterol', 'fluticasone'], labs: [], goal: 'No asthma-related emergency visits; rescue inhaler use under twice a week' },
  { key: 'hypothyroid', code: ['sct', '40930008', 'Hypothyroidism (disorder)'], minAge: 20, prevalence: (a, f) => ramp(a, 20, 70, f ? 0.12 : 0.03), meds: ['levothyroxine'], labs: ['tsh'], goal: 'TSH within the reference range' },
  { key: 'depression', code: ['sct', '35489007', 'Depressive disorder (disorder)'], minAge: 13, prevalence: (_a, f) => (f ? 0.1 : 0.06), meds: ['sertraline'], labs: [], goal: 'PHQ-9 score below 5' },
  { key: 'oa', code: ['sct', '239873007', 'Osteoarthritis of knee (disorder)'], minAge: 45, prevalence: (a) => ramp(a, 45, 85, 0.3), meds: ['naproxen'], labs: [], goal: 'Walk 30 minutes a day with pain under 3/10' },
  { key: 'gerd', code: ['sct', '235595009', 'Gastroesophageal reflux disease (disorder)'], minAge: 18, prevalence: () => 0.07, meds: ['nizatidine'], labs: [], goal: 'Reflux symptoms controlled without night-time waking' },
  { key: 'copd', code: ['sct', '13645005', 'Chronic obstructive lung disease (disorder)'], minAge: 45, prevalence: (a) => ramp(a, 45, 80, 0.1), meds: ['advair', 'albuterol'], labs: ['cbc'], goal: 'No COPD exacerbation requiring hospital care this year' },
  { key: 'afib', code: ['sct', '49436004', 'Atrial fibrillation (disorder)'], minAge: 55, prevalence: (a) => ramp(a, 55, 90, 0.12), meds: ['warfarin'], labs: ['inr'], goal: 'INR between 2.0 and 3.0', specialist: 'cardiology' },
  { key: 'cad', code: ['sct', '53741008', 'Coronary arteriosclerosis (disorder)'], minAge: 50, prevalence: (a, f) => ramp(a, 50, 85, f ? 0.12 : 0.2), meds: ['clopidogrel', 'nitroglycerin'], labs: ['lipid'], goal: 'No angina at rest; cardiac rehabilitation completed', specialist: 'cardiology' },
  { key: 'prediabetes', code: ['sct', '714628002', 'Prediabetes (finding)'], minAge: 18, prevalence: (a) => ramp(a, 18, 60, 0.25), meds: [], labs: ['a1c'], goal: 'Lose 5% of body weight; A1c below 5.7%' },
];

export interface AcuteDef {
  readonly code: Code;
  readonly ages: readonly [number, number];
  readonly reason: Code;
  readonly meds: readonly MedKey[];
  readonly lab?: LabPanelKey;
  readonly days: readonly [number, number];
  readonly icd: Code;
}

export const ACUTE: readonly AcuteDef[] = [
  { code: ['sct', '444814009', 'Viral sinusitis (disorder)'], ages: [2, 99], reason: ['sct', '68235000', 'Nasal congestion (finding)'], meds: ['acetaminophen'], days: [7, 14], icd: ['icd10', 'J01.90', 'Acute sinusitis, unspecified'] },
  { code: ['sct', '43878008', 'Streptococcal sore throat (disorder)'], ages: [3, 40], reason: ['sct', '162397003', 'Pain in throat (finding)'], meds: ['penicillinV'], lab: 'strep', days: [7, 12], icd: ['icd10', 'J02.0', 'Streptococcal pharyngitis'] },
  { code: ['sct', '10509002', 'Acute bronchitis (disorder)'], ages: [5, 99], reason: ['sct', '49727002', 'Cough (finding)'], meds: ['ibuprofen'], days: [10, 21], icd: ['icd10', 'J20.9', 'Acute bronchitis, unspecified'] },
  { code: ['sct', '65363002', 'Otitis media (disorder)'], ages: [0, 10], reason: ['sct', '301354004', 'Pain of ear (finding)'], meds: ['amoxicillinCap'], days: [7, 14], icd: ['icd10', 'H66.90', 'Otitis media, unspecified, unspecified ear'] },
  { code: ['sct', '68566005', 'Urinary tract infectious disease (disorder)'], ages: [16, 99], reason: ['sct', '49650001', 'Dysuria (finding)'], meds: ['amoxicillin'], lab: 'ua', days: [5, 10], icd: ['icd10', 'N39.0', 'Urinary tract infection, site not specified'] },
  { code: ['sct', '44465007', 'Sprain of ankle (disorder)'], ages: [8, 70], reason: ['sct', '247373008', 'Ankle pain (finding)'], meds: ['ibuprofen'], days: [14, 42], icd: ['icd10', 'S93.409A', 'Sprain of unspecified ligament of unspecified ankle, initial encounter'] },
];

/** Reasons for an emergency visit leading to admission: [diagnosis, icd, procedure]. */
export const ADMISSIONS: ReadonlyArray<{ dx: Code; icd: Code; procedure: Code; cpt: Code; days: number }> = [
  { dx: ['sct', '233604007', 'Pneumonia (disorder)'], icd: ['icd10', 'J18.9', 'Pneumonia, unspecified organism'], procedure: ['sct', '399208008', 'Plain chest X-ray (procedure)'], cpt: ['cpt', '71046', 'Radiologic examination, chest; 2 views'], days: 3 },
  { dx: ['sct', '74400008', 'Appendicitis (disorder)'], icd: ['icd10', 'K37', 'Unspecified appendicitis'], procedure: ['sct', '80146002', 'Excision of appendix (procedure)'], cpt: ['cpt', '44970', 'Laparoscopy, surgical, appendectomy'], days: 2 },
  { dx: ['sct', '22298006', 'Myocardial infarction (disorder)'], icd: ['icd10', 'I21.9', 'Acute myocardial infarction, unspecified'], procedure: ['sct', '36969009', 'Placement of stent in coronary artery (procedure)'], cpt: ['cpt', '92928', 'Percutaneous transcatheter placement of intracoronary stent(s)'], days: 4 },
];
