/** Common Observation shape (status, category, code, subject, encounter, effective, issued). */
import type { PatientContext, Visit } from './context.js';
import { cc, coding } from './fhir.js';
import type { Code, CodeableConcept, Reference, Resource } from './types.js';

export const VITALS_CAT: CodeableConcept = { coding: [coding('obsCat', 'vital-signs', 'Vital Signs')], text: 'Vital Signs' };
export const LAB_CAT: CodeableConcept = { coding: [coding('obsCat', 'laboratory', 'Laboratory')], text: 'Laboratory' };
export const SOCIAL_CAT: CodeableConcept = { coding: [coding('obsCat', 'social-history', 'Social History')], text: 'Social History' };
export const SURVEY_CAT: CodeableConcept = { coding: [coding('obsCat', 'survey', 'Survey')], text: 'Survey' };

export function obsCategory(code: string, display: string): CodeableConcept {
  return { coding: [coding('obsCat', code, display)], text: display };
}

export function usCoreCategory(code: 'sdoh' | 'functional-status' | 'disability-status' | 'cognitive-status', display: string): CodeableConcept {
  return { coding: [coding('usCoreCat', code, display)], text: display };
}

export interface ObsInput {
  readonly profile: string;
  readonly category: CodeableConcept[];
  readonly code: Code | CodeableConcept;
  readonly at: number;
  readonly visit?: Visit;
  readonly performer?: Reference[];
  /** value[x], component, referenceRange, interpretation, specimen, hasMember, … */
  readonly rest: Record<string, unknown>;
  readonly status?: string;
}

export function addObservation(ctx: PatientContext, o: ObsInput): Resource {
  const code = Array.isArray(o.code) ? cc(o.code as Code) : (o.code as CodeableConcept);
  return ctx.add('Observation', o.profile, {
    status: o.status ?? 'final',
    category: o.category,
    code,
    subject: ctx.subject,
    ...(o.visit ? { encounter: o.visit.ref } : {}),
    ...('effectivePeriod' in o.rest ? {} : { effectiveDateTime: ctx.dateTime(o.at) }),
    issued: ctx.instant(o.at + 15 * 60_000),
    ...(o.performer ? { performer: o.performer } : o.visit ? { performer: [o.visit.staff.ref] } : {}),
    ...o.rest,
  });
}
