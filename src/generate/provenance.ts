/**
 * Provenance (US Core Provenance): one per resource type of the patient, so that every
 * `_revinclude=Provenance:target` search finds one. Author = the primary care clinician on
 * behalf of the practice; transmitter = the practice (agent slices ProvenanceAuthor and
 * ProvenanceTransmitter, https://hl7.org/fhir/us/core/STU6.1/StructureDefinition-us-core-provenance.html).
 */
import type { PatientContext } from './context.js';
import { cc, coding } from './fhir.js';

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
  for (const type of TARGET_TYPES) {
    const list = ctx.byType.get(type);
    if (!list?.length) continue;
    ctx.add('Provenance', 'us-core-provenance', {
      target: list.map((r) => ctx.refTo(r)),
      recorded: ctx.instant(recorded),
      activity: cc(['v3DataOperation', 'CREATE', 'create']),
      agent: [author, transmitter],
    });
  }
}
