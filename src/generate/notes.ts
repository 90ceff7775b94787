/**
 * Clinical notes (US Core DocumentReference, category clinical-note) and the note-type
 * DiagnosticReports whose presentedForm.url equals a DocumentReference attachment url
 * (US Core "Clinical Notes" guidance: https://hl7.org/fhir/us/core/STU6.1/clinical-notes.html).
 */
import type { PatientContext, Visit } from './context.js';
import { cc, coding } from './fhir.js';
import type { Staff } from './providers.js';
import { ID_SYSTEMS, type Code, type Reference, type Resource } from './types.js';

export const NOTE_TYPES = {
  consult: ['loinc', '11488-4', 'Consult note'],
  discharge: ['loinc', '18842-5', 'Discharge summary'],
  hp: ['loinc', '34117-2', 'History and physical note'],
  procedure: ['loinc', '28570-0', 'Procedure note'],
  progress: ['loinc', '11506-3', 'Progress note'],
  imaging: ['loinc', '18748-4', 'Diagnostic imaging study'],
  lab: ['loinc', '11502-2', 'Laboratory report'],
  pathology: ['loinc', '11526-1', 'Pathology study'],
  ekg: ['loinc', '11524-6', 'EKG study'],
  // Mental-health counseling notes (LOINC Document Ontology, in R4's c80-doc-typecodes):
  // psychotherapy notes by their type alone (45 CFR 164.501), see COUNSELING_NOTES.
  counseling: ['loinc', '34864-9', 'Mental health Counseling note'],
  groupCounseling: ['loinc', '34787-2', 'Mental health Group counseling note'],
} as const satisfies Record<string, Code>;

export type NoteType = keyof typeof NOTE_TYPES;

/**
 * The note types that make a DocumentReference a psychotherapy note without any label
 * (src/fhir/sensitivity.ts, PSYCHOTHERAPY_NOTE_TYPES): hidden from every patient scope.
 */
export const COUNSELING_NOTES = ['counseling', 'groupCounseling'] as const satisfies readonly NoteType[];

const COUNSELING_CODES: ReadonlySet<string> = new Set(COUNSELING_NOTES.map((t) => NOTE_TYPES[t][1]));

/** Whether a generated resource is a DocumentReference typed as a counseling note. */
export function isCounselingNote(resource: Resource): boolean {
  if (resource.resourceType !== 'DocumentReference') return false;
  const codings = (resource.type as { coding?: Array<{ code?: string }> } | undefined)?.coding ?? [];
  return codings.some((c) => c.code !== undefined && COUNSELING_CODES.has(c.code));
}

/** DiagnosticReport note categories (LOINC parts). */
export const REPORT_CATEGORIES = {
  radiology: ['loinc', 'LP29684-5', 'Radiology'],
  cardiology: ['loinc', 'LP29708-2', 'Cardiology'],
  pathology: ['loinc', 'LP7839-6', 'Pathology'],
} as const satisfies Record<string, Code>;

const FORMAT = { system: 'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode', code: 'urn:ihe:iti:xds:2017:mimeTypeSufficient', display: 'mimeType Sufficient' };

export interface Note {
  readonly doc: Resource;
  readonly url: string;
}

/** Adds a DocumentReference carrying `text` (inline base64 and a stable url). */
export function addNote(ctx: PatientContext, visit: Visit, type: NoteType, text: string, author: Staff, at = visit.end, id = ctx.rng.uuid()): Note {
  const url = `${ID_SYSTEMS.notes}/${id}.txt`;
  const code = NOTE_TYPES[type];
  const header = `${code[2]}\nPatient: ${ctx.demo.display}\nDate: ${ctx.dateTime(at)}\nAuthor: ${author.display}\n\n`;
  const doc = ctx.addWithId('DocumentReference', id, 'us-core-documentreference', {
    identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${id}` }],
    status: 'current',
    docStatus: 'final',
    type: cc(code),
    category: [{ coding: [coding('docCat', 'clinical-note', 'Clinical Note')], text: 'Clinical Note' }],
    subject: ctx.subject,
    date: ctx.instant(at),
    author: [author.ref],
    authenticator: author.ref,
    custodian: ctx.dir.practice.ref,
    description: code[2],
    content: [{
      attachment: {
        contentType: 'text/plain',
        language: 'en-US',
        data: Buffer.from(header + text, 'utf8').toString('base64'),
        url,
        title: code[2],
        creation: ctx.dateTime(at),
      },
      format: FORMAT,
    }],
    context: {
      encounter: [visit.ref],
      period: { start: ctx.dateTime(visit.start), end: ctx.dateTime(visit.end) },
      ...(visit.kind === 'inpatient' ? { facilityType: cc(['sct', '22232009', 'Hospital (environment)']) } : {}),
    },
  });
  return { doc, url };
}

/** A note-category DiagnosticReport (radiology, cardiology, pathology) with its note. */
export function addReportWithNote(
  ctx: PatientContext, visit: Visit, category: keyof typeof REPORT_CATEGORIES, code: Code,
  noteType: NoteType, text: string, author: Staff, conclusion: string, basedOn?: Reference,
): Resource {
  const issued = visit.end + 2 * 3600_000;
  const note = addNote(ctx, visit, noteType, `${text}\n\nImpression: ${conclusion}`, author, issued);
  return ctx.add('DiagnosticReport', 'us-core-diagnosticreport-note', {
    ...(basedOn ? { basedOn: [basedOn] } : {}),
    status: 'final',
    category: [cc(REPORT_CATEGORIES[category])],
    code: cc(code),
    subject: ctx.subject,
    encounter: visit.ref,
    effectiveDateTime: ctx.dateTime(visit.start + 30 * 60_000),
    issued: ctx.instant(issued),
    performer: [author.ref],
    resultsInterpreter: [author.ref],
    conclusion,
    presentedForm: [{ contentType: 'text/plain', url: note.url, title: code[2] }],
  });
}
