/**
 * Sensitive information (SPEC "Patient controls"; docs/security.md). A resource is
 * sensitive when its `meta.security` carries one of the labels below: restricted or very
 * restricted confidentiality (https://terminology.hl7.org/CodeSystem-v3-Confidentiality.html)
 * or an information-sensitivity code of v3-ActCode
 * (https://terminology.hl7.org/ValueSet-v3-InformationSensitivityPolicy.html). A
 * psychotherapy note (`PSYTHPN`) is never shared with any patient scope, whatever the
 * patient chose (HIPAA, 45 CFR 164.501 and 164.524(a)(1)(i)).
 *
 * The labels are read where data is read, from the `_security` token index that every
 * write fills (the R4 `_security` search parameter), so a label set by an import, by staff
 * or by a later version takes effect with that write.
 */
export const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
export const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/** Sensitive labels, by system (codes as written in FHIR; the token index keeps them lower case). */
export const SENSITIVE_LABELS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  [CONFIDENTIALITY]: ['R', 'V'],
  // PSY psychiatry, PSYTHPN psychotherapy note, ETH and SUD substance use, HIV, SDV sexual
  // and domestic violence, STD sexually transmitted disease, BH behavioural health.
  [ACT_CODE]: ['PSY', 'PSYTHPN', 'ETH', 'SUD', 'HIV', 'SDV', 'STD', 'BH'],
});

/** The label that makes a resource a psychotherapy note, never shared through the API. */
export const PSYCHOTHERAPY_NOTE = { system: ACT_CODE, code: 'PSYTHPN' } as const;

export const LOINC = 'http://loinc.org';

/**
 * A DocumentReference whose `type` carries one of these LOINC document codes is a
 * psychotherapy note even without the PSYTHPN label. LOINC has no document type named
 * "Psychotherapy note"; HIPAA defines psychotherapy notes as a mental-health
 * professional's notes "documenting or analyzing the contents of conversation during a
 * private counseling session or a group, joint, or family counseling session"
 * (45 CFR 164.501), so these are the LOINC Document Ontology's counseling notes of the
 * mental-health domains — individual and group — as listed (code and display) in
 * http://terminology.hl7.org/ValueSet/v3-LoincDocumentOntologyInternational and R4's
 * http://hl7.org/fhir/ValueSet/c80-doc-typecodes (DocumentReference.type's binding).
 * Read from the `type` token index every write fills, like the labels. docs/security.md.
 */
export const PSYCHOTHERAPY_NOTE_TYPES: Readonly<Record<string, string>> = Object.freeze({
  '34864-9': 'Mental health Counseling note',
  '34865-6': 'Psychiatry Counseling note',
  '34866-4': 'Psychology Counseling note',
  '34787-2': 'Mental health Group counseling note',
  '34790-6': 'Psychiatry Group counseling note',
  '34793-0': 'Psychology Group counseling note',
});

/** Plain words for each sensitive code (admin page, docs). */
export const LABEL_NAMES: Readonly<Record<string, string>> = Object.freeze({
  R: 'Restricted',
  V: 'Very restricted',
  PSY: 'Mental health',
  PSYTHPN: 'Psychotherapy note',
  ETH: 'Substance use',
  SUD: 'Substance use disorder',
  HIV: 'HIV/AIDS',
  SDV: 'Sexual and domestic violence',
  STD: 'Sexually transmitted disease',
  BH: 'Behavioral health',
});

interface Coding {
  system?: unknown;
  code?: unknown;
}

function securityOf(resource: Record<string, unknown>): Coding[] {
  const meta = resource.meta as { security?: unknown } | undefined;
  return Array.isArray(meta?.security) ? (meta.security as Coding[]) : [];
}

/** The sensitive labels a resource carries (codes as written), in order, without repeats. */
export function sensitiveLabels(resource: Record<string, unknown>): string[] {
  const found: string[] = [];
  for (const c of securityOf(resource)) {
    if (typeof c?.system !== 'string' || typeof c.code !== 'string') continue;
    const codes = SENSITIVE_LABELS[c.system];
    const hit = codes?.find((code) => code.toLowerCase() === (c.code as string).toLowerCase());
    if (hit && !found.includes(hit)) found.push(hit);
  }
  return found;
}

export function isSensitive(resource: Record<string, unknown>): boolean {
  return sensitiveLabels(resource).length > 0;
}

/** Whether a DocumentReference is typed as a psychotherapy note (PSYCHOTHERAPY_NOTE_TYPES). */
export function typedAsPsychotherapyNote(resource: Record<string, unknown>): boolean {
  if (resource.resourceType !== 'DocumentReference') return false;
  const codings = (resource.type as { coding?: unknown } | undefined)?.coding;
  return Array.isArray(codings) && codings.some((c: Coding) => c?.system === LOINC && typeof c.code === 'string' && Object.hasOwn(PSYCHOTHERAPY_NOTE_TYPES, c.code));
}

/** A psychotherapy note: labelled PSYTHPN, or a DocumentReference typed as one. Never shared through the API. */
export function isPsychotherapyNote(resource: Record<string, unknown>): boolean {
  return sensitiveLabels(resource).includes(PSYCHOTHERAPY_NOTE.code) || typedAsPsychotherapyNote(resource);
}

/**
 * What the writer stores in `resources.sensitivity` (migration 015), read by the scope
 * predicate instead of the labels: a psychotherapy note is never in a patient scope, a
 * sensitive resource only in a scope that includes sensitive information.
 */
export const SENSITIVITY = Object.freeze({ NONE: 0, SENSITIVE: 1, PSYCHOTHERAPY_NOTE: 2 });

export function sensitivityOf(resource: Record<string, unknown>): number {
  if (isPsychotherapyNote(resource)) return SENSITIVITY.PSYCHOTHERAPY_NOTE;
  return isSensitive(resource) ? SENSITIVITY.SENSITIVE : SENSITIVITY.NONE;
}
