/**
 * Provenance (US Core Provenance): one per resource type of the patient, so that every
 * `_revinclude=Provenance:target` search finds one. Author = the primary care clinician on
 * behalf of the practice; transmitter = the practice (agent slices ProvenanceAuthor and
 * ProvenanceTransmitter, https://hl7.org/fhir/us/core/STU6.1/StructureDefinition-us-core-provenance.html).
 */
import type { PatientContext } from './context.js';
import { cc, coding, profile } from './fhir.js';
import { isCounselingNote } from './notes.js';
import type { Resource } from './types.js';

/** Types of the patient compartment that carry Provenance (Medication is shared, not included). */
const TARGET_TYPES = [
  'Patient', 'AllergyIntolerance', 'CarePlan', 'CareTeam', 'Condition', 'Coverage', 'Device', 'DiagnosticReport',
  'DocumentReference', 'Encounter', 'Goal', 'Immunization', 'MedicationDispense', 'MedicationRequest', 'Observation',
  'Procedure', 'QuestionnaireResponse', 'RelatedPerson', 'ServiceRequest', 'Specimen',
];

export function addProvenance(ctx: PatientContext, recorded: number): void {
  const author = {
    type: { coding: [coding('provType', 'author', 'Author')], text: 'Author' },
    who: ctx.pcp.ref,
    onBehalfOf: ctx.dir.practice.ref,
  };
  const transmitter = {
    type: { coding: [coding('usCoreProvType', 'transmitter', 'Transmitter')], text: 'Transmitter' },
    who: ctx.dir.practice.ref,
  };
  const apart: Resource[] = [];
  for (const type of TARGET_TYPES) {
    const all = ctx.byType.get(type) ?? [];
    // A resource labelled sensitive gets a Provenance of its own with the same labels, and
    // so does a counseling note (a psychotherapy note by its type, unlabelled): a Provenance
    // names its targets, so it is hidden exactly when they are (src/generate/sensitive.ts).
    const list = all.filter((r) => !hiddenWhenShared(r));
    apart.push(...all.filter(hiddenWhenShared));
    if (!list.length) continue;
    ctx.add('Provenance', 'us-core-provenance', {
      target: list.map((r) => ctx.refTo(r)),
      recorded: ctx.instant(recorded),
      activity: cc(['v3DataOperation', 'CREATE', 'create']),
      agent: [author, transmitter],
    });
  }
  for (const r of apart) {
    ctx.add('Provenance', 'us-core-provenance', {
      meta: { ...profileMeta(), ...(r.meta?.security ? { security: r.meta.security } : {}) },
      target: [ctx.refTo(r)],
      recorded: ctx.instant(recorded),
      activity: cc(['v3DataOperation', 'CREATE', 'create']),
      agent: [author, transmitter],
    });
  }
}

const profileMeta = () => profile('us-core-provenance');

const hiddenWhenShared = (r: Resource): boolean => r.meta?.security !== undefined || isCounselingNote(r);
