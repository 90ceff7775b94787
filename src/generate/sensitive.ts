/**
 * Sensitive records (SPEC "Patient controls"; src/fhir/sensitivity.ts): labels a realistic
 * share of the chart in `meta.security` — mental-health problems, their medicines and
 * abnormal depression screenings (PSY), alcohol-use screenings (SUD), behavioural-health
 * therapy notes (PSY) and psychotherapy notes (PSYTHPN, restricted) — and adds unlabelled
 * mental-health counseling notes, psychotherapy notes by their LOINC type alone — so every
 * part of the patient controls can be exercised on generated data. Draws from its own random stream,
 * so the rest of the chart is the same as without it, and runs before the Provenance is
 * written: a labelled resource gets its own Provenance carrying the same labels (a
 * Provenance names its targets, so it must not outlive the visibility of what it names).
 */
import type { PatientContext, Visit } from './context.js';
import { cc } from './fhir.js';
import { addNote } from './notes.js';
import { SURVEY_CAT } from './observation.js';
import { Rng } from './prng.js';
import type { Resource } from './types.js';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';

export const LABELS = {
  PSY: { system: ACT_CODE, code: 'PSY', display: 'psychiatry disorder information sensitivity' },
  SUD: { system: ACT_CODE, code: 'SUD', display: 'substance use disorder information sensitivity' },
  PSYTHPN: { system: ACT_CODE, code: 'PSYTHPN', display: 'psychotherapy note information sensitivity' },
  R: { system: CONFIDENTIALITY, code: 'R', display: 'restricted' },
} as const;

type Label = (typeof LABELS)[keyof typeof LABELS];

/** SNOMED CT mental-health disorders the generator can produce. */
const MENTAL_HEALTH_CONDITIONS = new Set(['35489007']);
/** RxNorm: medicines that reveal a mental-health condition. */
const MENTAL_HEALTH_MEDS = new Set(['312938']);
const PHQ9 = '44261-6';

export function label(resource: Resource, ...labels: Label[]): void {
  const meta = ((resource as Record<string, unknown>).meta ??= {}) as { security?: Array<{ system: string; code: string; display: string }> };
  meta.security = [...(meta.security ?? []), ...labels.map((l) => ({ ...l }))];
}

export function addSensitiveRecords(ctx: PatientContext, seed: number): void {
  const rng = new Rng(`${seed}/patient/${ctx.index}/sensitive`);
  let mentalHealth = false;
  for (const c of ctx.byType.get('Condition') ?? []) {
    if (codes(c.code).some((code) => MENTAL_HEALTH_CONDITIONS.has(code))) (label(c, LABELS.PSY), (mentalHealth = true));
  }
  for (const m of ctx.byType.get('MedicationRequest') ?? []) {
    if (codes(m.medicationCodeableConcept).some((code) => MENTAL_HEALTH_MEDS.has(code))) label(m, LABELS.PSY);
  }
  for (const o of ctx.byType.get('Observation') ?? []) {
    const value = (o.valueQuantity as { value?: number } | undefined)?.value;
    if (codes(o.code).includes(PHQ9) && typeof value === 'number' && value >= 10) label(o, LABELS.PSY);
  }
  const visit = lastOutpatientVisit(ctx);
  const adult = ctx.demo.deathMs === undefined ? ctx.asOf - ctx.demo.birthMs > 18 * 365.25 * 86_400_000 : true;
  if (!visit || !adult) return;
  // Behavioural-health therapy for patients with a mental-health problem, some others, and patient 0 always.
  if (ctx.full || mentalHealth || rng.chance(0.1)) {
    const therapist = ctx.pcp;
    const progress = addNote(
      ctx, visit, 'progress',
      'Behavioral health follow-up. Mood improved since last visit; sleep regular. Continue current plan and weekly therapy sessions.',
      therapist, visit.end + 3600_000, rng.uuid(),
    );
    progress.doc.description = 'Behavioral health progress note';
    label(progress.doc, LABELS.PSY);
    const psychotherapy = addNote(
      ctx, visit, 'progress',
      'Psychotherapy session notes (process notes kept separate from the medical record).',
      therapist, visit.end + 2 * 3600_000, rng.uuid(),
    );
    psychotherapy.doc.description = 'Psychotherapy note';
    label(psychotherapy.doc, LABELS.PSYTHPN, LABELS.R);
  }
  // A counseling note for about half the patients with a mental-health problem, typed as
  // one and left unlabelled, as a record from elsewhere may come: a psychotherapy note by
  // its type alone. Its own stream, so the rest of the chart is the same as without it.
  const counseling = new Rng(`${seed}/patient/${ctx.index}/counseling`);
  if (mentalHealth && counseling.chance(0.5)) {
    const group = counseling.chance(0.25);
    addNote(
      ctx, visit, group ? 'groupCounseling' : 'counseling',
      group
        ? 'Group counseling session (depression skills group). Participation and themes discussed recorded by the facilitator.'
        : 'Individual counseling session. Themes discussed, the patient\'s account and the counselor\'s impressions of the session.',
      ctx.pcp, visit.end + 3 * 3600_000, counseling.uuid(),
    );
  }
  // An alcohol-use screening (AUDIT-C) for some adults, and patient 0.
  if (ctx.full || rng.chance(0.12)) {
    const score = rng.int(0, 8);
    const at = visit.start + 10 * 60_000;
    const obs = ctx.addWithId('Observation', rng.uuid(), 'us-core-observation-screening-assessment', {
      status: 'final',
      category: [SURVEY_CAT],
      code: cc(['loinc', '75626-2', 'Total score [AUDIT-C]']),
      subject: ctx.subject,
      encounter: visit.ref,
      effectiveDateTime: ctx.dateTime(at),
      issued: ctx.instant(at + 15 * 60_000),
      performer: [ctx.subject],
      valueQuantity: { value: score, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' },
      interpretation: [cc(score >= 4 ? ['interp', 'A', 'Abnormal'] : ['interp', 'N', 'Normal'])],
    });
    label(obs, LABELS.SUD);
  }
}

function codes(concept: unknown): string[] {
  const codings = (concept as { coding?: Array<{ code?: string }> } | undefined)?.coding ?? [];
  return codings.map((c) => c.code ?? '');
}

/** The last follow-up or wellness visit, rebuilt from its Encounter. */
function lastOutpatientVisit(ctx: PatientContext): Visit | undefined {
  const encounters = ctx.byType.get('Encounter') ?? [];
  for (let i = encounters.length - 1; i >= 0; i--) {
    const e = encounters[i] as Resource & { period?: { start?: string; end?: string }; class?: { code?: string } };
    if (e.class?.code !== 'AMB' || !e.period?.start || !e.period.end) continue;
    return {
      id: e.id, ref: ctx.refTo(e), kind: 'followup', start: Date.parse(e.period.start), end: Date.parse(e.period.end), staff: ctx.pcp,
      location: ctx.dir.practice.ref, reasons: [],
    };
  }
  return undefined;
}
