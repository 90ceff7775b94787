/** Encounters (US Core Encounter): class, type, participants, location, discharge. */
import type { PatientContext, Visit, VisitKind } from './context.js';
import { cc, coding, ref } from './fhir.js';
import type { Staff } from './providers.js';
import { ID_SYSTEMS, type Code, type Reference } from './types.js';

const CLASS: Record<VisitKind, readonly [string, string]> = {
  wellness: ['AMB', 'ambulatory'], followup: ['AMB', 'ambulatory'], acute: ['AMB', 'ambulatory'],
  specialist: ['AMB', 'ambulatory'], procedure: ['AMB', 'ambulatory'], emergency: ['EMER', 'emergency'], inpatient: ['IMP', 'inpatient encounter'],
};

function encounterType(kind: VisitKind, child: boolean): Code {
  switch (kind) {
    case 'wellness': return child ? ['sct', '410620009', 'Well child visit (procedure)'] : ['sct', '162673000', 'General examination of patient (procedure)'];
    case 'followup': return ['sct', '390906007', 'Follow-up encounter (procedure)'];
    case 'acute': return ['sct', '185345009', 'Encounter for symptom (procedure)'];
    case 'specialist': return ['sct', '11429006', 'Consultation (procedure)'];
    case 'procedure': return ['sct', '387713003', 'Surgical procedure (procedure)'];
    case 'emergency': return ['sct', '50849002', 'Emergency room admission (procedure)'];
    case 'inpatient': return ['sct', '32485007', 'Hospital admission (procedure)'];
  }
}

export interface EncounterInput {
  readonly kind: VisitKind;
  readonly start: number;
  readonly minutes: number;
  readonly staff: Staff;
  readonly reasonCode?: Code;
  readonly reasonRef?: Reference;
  readonly virtual?: boolean;
}

export function createEncounter(ctx: PatientContext, input: EncounterInput): Visit {
  const { rng, dir, demo } = ctx;
  const { kind, start, staff } = input;
  const end = start + input.minutes * 60_000;
  const child = start - demo.birthMs < 18 * 365.25 * 86_400_000;
  const location = kind === 'inpatient' ? dir.locations.hospital : kind === 'emergency' ? dir.locations.ed : dir.locations.clinic;
  const provider = kind === 'inpatient' || kind === 'emergency' ? dir.hospital.ref : dir.practice.ref;
  const [classCode, classDisplay] = input.virtual ? ['VR', 'virtual'] : CLASS[kind];
  const type = encounterType(kind, child);
  const period = { start: ctx.dateTime(start), end: ctx.dateTime(end) };
  const participant: unknown[] = [{
    type: [cc(['partType', kind === 'inpatient' ? 'ATND' : 'PPRF', kind === 'inpatient' ? 'attender' : 'primary performer'])],
    period,
    individual: staff.ref,
  }];
  if (kind === 'wellness' || kind === 'inpatient' || kind === 'emergency') {
    participant.push({ type: [cc(['partType', 'PART', 'Participation'])], period, individual: ctx.staff('nurse').ref });
  }
  const body: Record<string, unknown> = {
    identifier: [{ use: 'usual', system: ID_SYSTEMS.encounter, value: `E${rng.digits(10)}` }],
    status: 'finished',
    class: coding('actCode', classCode, classDisplay),
    type: [cc(type)],
    subject: ctx.subject,
    participant,
    period,
    ...(kind === 'inpatient' || kind === 'emergency' ? { length: { value: input.minutes, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' } } : {}),
    ...(input.reasonCode ? { reasonCode: [cc(input.reasonCode)] } : {}),
    ...(input.reasonRef ? { reasonReference: [input.reasonRef] } : {}),
  };
  if (kind === 'inpatient' || kind === 'emergency') {
    body.hospitalization = {
      admitSource: cc(kind === 'inpatient' ? ['admitSource', 'emd', 'From accident/emergency department'] : ['admitSource', 'outp', 'From outpatient department']),
      dischargeDisposition: cc(['dischargeDisp', 'home', 'Home']),
    };
  }
  body.location = [{ location, status: 'completed', period }];
  body.serviceProvider = provider;
  const resource = ctx.add('Encounter', 'us-core-encounter', body);
  return { id: resource.id, ref: ref('Encounter', resource.id, type[2].replace(/ \(procedure\)$/, '')), kind, start, end, staff, location, reasons: [] };
}
