/** Prescriptions (US Core MedicationRequest), dispenses and the occasional Medication resource. */
import { MEDS, type MedDef, type MedKey } from './clinical-data.js';
import type { PatientContext, Visit } from './context.js';
import { DAY } from './dates.js';
import { cc, coding, quantity } from './fhir.js';
import { ID_SYSTEMS, type Reference, type Resource } from './types.js';

const ORAL = cc(['sct', '26643006', 'Oral route (qualifier value)']);
const INHALED = cc(['sct', '447694001', 'Respiratory tract route (qualifier value)']);

export interface PrescribeInput {
  readonly med: MedKey;
  readonly visit: Visit;
  readonly status: 'active' | 'completed' | 'stopped';
  readonly reason?: Reference;
  readonly category?: 'community' | 'outpatient' | 'discharge' | 'inpatient';
  /** Patient-reported (e.g. over-the-counter) rather than prescribed here. */
  readonly reported?: boolean;
  /** Use a non-contained Medication resource (medicationReference) instead of a code. */
  readonly asResource?: boolean;
  readonly intent?: 'order' | 'plan' | 'original-order';
  /** Number of fills to dispense (0 for none). */
  readonly fills: number;
}

function dosage(def: MedDef, start: number, ctx: PatientContext): Record<string, unknown> {
  return {
    sequence: 1,
    text: def.sig,
    timing: { repeat: { boundsPeriod: { start: ctx.date(start) }, frequency: def.perDay, period: 1, periodUnit: 'd' } },
    ...(def.asNeeded ? { asNeededBoolean: true } : {}),
    route: def.doseUnit[1] === '{puff}' ? INHALED : ORAL,
    doseAndRate: [{
      type: cc(['doseRateType', 'ordered', 'Ordered']),
      doseQuantity: quantity(def.dose, def.doseUnit[0], def.doseUnit[1]),
    }],
  };
}

const medicationCache = new WeakMap<PatientContext, Map<MedKey, Reference>>();

/** A US Core Medication for `med`, created once per patient bundle. */
function medicationResource(ctx: PatientContext, med: MedKey): Reference {
  let perPatient = medicationCache.get(ctx);
  if (!perPatient) medicationCache.set(ctx, (perPatient = new Map()));
  const existing = perPatient.get(med);
  if (existing) return existing;
  const def = MEDS[med];
  const r = ctx.add('Medication', 'us-core-medication', {
    code: cc(def.code),
    status: 'active',
    ...(def.doseUnit[1] === '{tbl}' ? { form: cc(['sct', '421026006', 'Oral tablet (dose form)']) } : {}),
  });
  const reference = ctx.refTo(r, def.code[2]);
  perPatient.set(med, reference);
  return reference;
}

export function prescribe(ctx: PatientContext, p: PrescribeInput): Resource {
  const { rng } = ctx;
  const def = MEDS[p.med];
  const start = p.visit.start + 40 * 60_000;
  const medication = p.asResource ? { medicationReference: medicationResource(ctx, p.med) } : { medicationCodeableConcept: cc(def.code) };
  const refills = def.days >= 90 ? 3 : def.days >= 30 ? 5 : 0;
  const request = ctx.add('MedicationRequest', 'us-core-medicationrequest', {
    identifier: [{ system: ID_SYSTEMS.order, value: `RX${rng.digits(9)}` }],
    status: p.status,
    intent: p.intent ?? 'order',
    category: [cc(['medReqCat', p.category ?? 'community', { community: 'Community', outpatient: 'Outpatient', discharge: 'Discharge', inpatient: 'Inpatient' }[p.category ?? 'community']])],
    ...(p.reported ? { reportedReference: ctx.subject } : { reportedBoolean: false }),
    ...medication,
    subject: ctx.subject,
    encounter: p.visit.ref,
    authoredOn: ctx.dateTime(start),
    requester: p.visit.staff.ref,
    ...(p.reason ? { reasonReference: [p.reason] } : {}),
    dosageInstruction: [dosage(def, start, ctx)],
    dispenseRequest: {
      validityPeriod: { start: ctx.date(start), end: ctx.date(start + 365 * DAY) },
      numberOfRepeatsAllowed: refills,
      quantity: quantity(def.qty, def.qtyUnit[0], def.qtyUnit[1]),
      expectedSupplyDuration: quantity(def.days, 'days', 'd'),
    },
  });
  const pharmacist = ctx.staff('pharmacist');
  for (let i = 0; i < p.fills; i++) {
    const handed = start + (i * def.days + rng.int(0, 3)) * DAY + rng.int(2, 8) * 3600_000;
    if (handed > ctx.asOf || (ctx.demo.deathMs !== undefined && handed > ctx.demo.deathMs)) break;
    ctx.add('MedicationDispense', 'us-core-medicationdispense', {
      status: 'completed',
      ...medication,
      subject: ctx.subject,
      context: p.visit.ref,
      performer: [{ function: cc(['dispPerformer', 'finalchecker', 'Final Checker']), actor: pharmacist.ref }],
      location: ctx.dir.locations.pharmacy,
      authorizingPrescription: [ctx.refTo(request)],
      type: { coding: [i === 0 ? coding('actCode', 'FF', 'First Fill') : coding('actCode', 'RF', 'Refill')] },
      quantity: quantity(def.qty, def.qtyUnit[0], def.qtyUnit[1]),
      daysSupply: quantity(def.days, 'days', 'd'),
      whenPrepared: ctx.dateTime(handed - 3600_000),
      whenHandedOver: ctx.dateTime(handed),
      dosageInstruction: [dosage(def, start, ctx)],
    });
  }
  return request;
}
