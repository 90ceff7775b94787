/** Orders (US Core ServiceRequest), Procedures and implantable Devices. */
import type { PatientContext, Visit } from './context.js';
import { DAY, YEAR } from './dates.js';
import { cc, coding } from './fhir.js';
import { ID_SYSTEMS, type Code, type CodeableConcept, type Reference, type Resource } from './types.js';

export const SR_CATEGORY = {
  lab: ['sct', '108252007', 'Laboratory procedure'],
  imaging: ['sct', '363679005', 'Imaging'],
  counseling: ['sct', '409063005', 'Counseling'],
  education: ['sct', '409073007', 'Education'],
  surgery: ['sct', '387713003', 'Surgical procedure'],
} as const satisfies Record<string, Code>;

export interface OrderInput {
  readonly visit: Visit;
  readonly category: keyof typeof SR_CATEGORY | 'sdoh';
  readonly code: readonly Code[];
  readonly occurrence: readonly [number, number];
  readonly status: 'active' | 'completed' | 'revoked';
  readonly reason?: Reference;
  readonly reasonCode?: Code;
  readonly performer?: Reference;
}

export function orderService(ctx: PatientContext, o: OrderInput): Resource {
  const category: CodeableConcept = o.category === 'sdoh'
    ? { coding: [coding('usCoreCat', 'sdoh', 'SDOH')], text: 'Social Determinants Of Health' }
    : cc(SR_CATEGORY[o.category]);
  return ctx.add('ServiceRequest', 'us-core-servicerequest', {
    identifier: [{ system: ID_SYSTEMS.order, value: `SR${ctx.rng.digits(9)}` }],
    status: o.status,
    intent: 'order',
    category: [category],
    code: cc(...o.code),
    subject: ctx.subject,
    encounter: o.visit.ref,
    occurrencePeriod: { start: ctx.dateTime(o.occurrence[0]), end: ctx.dateTime(o.occurrence[1]) },
    authoredOn: ctx.dateTime(o.visit.start + 35 * 60_000),
    requester: o.visit.staff.ref,
    ...(o.performer ? { performer: [o.performer] } : {}),
    ...(o.reasonCode ? { reasonCode: [cc(o.reasonCode)] } : {}),
    ...(o.reason ? { reasonReference: [o.reason] } : {}),
  });
}

export interface ProcedureInput {
  readonly visit: Visit;
  readonly code: readonly Code[];
  readonly at: number;
  readonly minutes?: number;
  readonly basedOn?: Resource;
  readonly reason?: Reference;
  readonly performer?: Reference;
  readonly bodySite?: Code;
}

export function addProcedure(ctx: PatientContext, p: ProcedureInput): Resource {
  const performed = p.minutes
    ? { performedPeriod: { start: ctx.dateTime(p.at), end: ctx.dateTime(p.at + p.minutes * 60_000) } }
    : { performedDateTime: ctx.dateTime(p.at) };
  return ctx.add('Procedure', 'us-core-procedure', {
    ...(p.basedOn ? { basedOn: [ctx.refTo(p.basedOn)] } : {}),
    status: 'completed',
    code: cc(...p.code),
    subject: ctx.subject,
    encounter: p.visit.ref,
    ...performed,
    recorder: p.visit.staff.ref,
    performer: [{ actor: p.performer ?? p.visit.staff.ref, onBehalfOf: ctx.dir.practice.ref }],
    location: p.visit.location,
    ...(p.reason ? { reasonReference: [p.reason] } : {}),
    ...(p.bodySite ? { bodySite: [cc(p.bodySite)] } : {}),
  });
}

/** Implantable device types: [type, GS1 GTIN prefix, manufacturer, model]. */
export const IMPLANTS = {
  iud: [['sct', '268460000', 'Intrauterine contraceptive device (physical object)'], '0884450', 'Pelvica Medical', 'Copper T380A'],
  stent: [['sct', '705643001', 'Coronary artery stent (physical object)'], '0864370', 'Meridian Cardio', 'DES 3.0x18mm'],
  pacemaker: [['sct', '14106009', 'Cardiac pacemaker, device (physical object)'], '0761410', 'Meridian Cardio', 'Dual-chamber DR'],
} as const satisfies Record<string, readonly [Code, string, string, string]>;

/** An implanted device with its UDI (GS1 format: (01) GTIN (11) manufactured (17) expiry (10) lot (21) serial). */
export function addImplant(ctx: PatientContext, kind: keyof typeof IMPLANTS, implanted: number): Resource {
  const { rng } = ctx;
  const [type, gtinBase, manufacturer, model] = IMPLANTS[kind];
  const gtin = `${gtinBase}${rng.digits(7)}`;
  const made = implanted - rng.int(60, 300) * DAY;
  const expires = made + 3 * YEAR;
  const lot = `${rng.digits(6)}${String.fromCharCode(65 + rng.int(0, 25))}`;
  const serial = `${rng.digits(8)}`;
  const yymmdd = (ms: number) => ctx.date(ms).slice(2).replace(/-/g, '');
  return ctx.add('Device', 'us-core-implantable-device', {
    udiCarrier: [{
      deviceIdentifier: gtin,
      issuer: 'http://hl7.org/fhir/NamingSystem/gs1-di',
      jurisdiction: 'http://hl7.org/fhir/NamingSystem/fda-udi',
      carrierHRF: `(01)${gtin}(11)${yymmdd(made)}(17)${yymmdd(expires)}(10)${lot}(21)${serial}`,
      entryType: 'barcode',
    }],
    distinctIdentifier: `${lot}-${serial}`,
    status: 'active',
    manufacturer,
    manufactureDate: ctx.date(made),
    expirationDate: ctx.date(expires),
    lotNumber: lot,
    serialNumber: serial,
    modelNumber: model,
    type: cc(type),
    patient: ctx.subject,
  });
}
