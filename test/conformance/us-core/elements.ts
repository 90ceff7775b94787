/**
 * Where each US Core search parameter looks in a resource, written from the US Core 6.1.0
 * and R4 SearchParameter expressions by hand (deliberately not from the server's
 * registry, so the suite checks the server instead of repeating it).
 */
import type { Json } from './harness.js';

export type ParamKind = 'token' | 'reference' | 'date' | 'string' | 'id' | 'uri';
export interface ParamElements {
  kind: ParamKind;
  /** Dotted paths (arrays are walked); an `ext:<url>` segment selects extensions by url. */
  paths: string[];
}

const P = (kind: ParamKind, ...paths: string[]): ParamElements => ({ kind, paths });

const PATIENT: Record<string, string> = { AllergyIntolerance: 'patient', Immunization: 'patient', Device: 'patient', Coverage: 'beneficiary' };
const DATE: Record<string, string[]> = {
  CarePlan: ['period'],
  DiagnosticReport: ['effectiveDateTime', 'effectivePeriod'],
  DocumentReference: ['date'],
  Encounter: ['period'],
  Immunization: ['occurrenceDateTime'],
  Observation: ['effectiveDateTime', 'effectivePeriod', 'effectiveInstant', 'effectiveTiming.event'],
  Procedure: ['performedDateTime', 'performedPeriod'],
};
const ASSERTED = 'ext:http://hl7.org/fhir/StructureDefinition/condition-assertedDate.valueDateTime';

export function elementsOf(type: string, param: string): ParamElements {
  switch (param) {
    case '_id': return P('id', 'id');
    case 'patient': return P('reference', PATIENT[type] ?? 'subject');
    case 'date': return P('date', ...(DATE[type] ?? []));
    case 'category': case 'code': case 'status': case 'intent': case 'type': case 'identifier': case 'gender': case 'class': case 'description':
      return P('token', param === 'gender' ? 'gender' : param);
    case 'clinical-status': return P('token', 'clinicalStatus');
    case 'lifecycle-status': return P('token', 'lifecycleStatus');
    case 'discharge-disposition': return P('token', 'hospitalization.dischargeDisposition');
    case 'role': return P('token', 'participant.role');
    case 'encounter': return P('reference', type === 'DocumentReference' ? 'context.encounter' : 'encounter');
    case 'location': return P('reference', 'location.location');
    case 'questionnaire': return P('uri', 'questionnaire');
    case 'onset-date': return P('date', 'onsetDateTime', 'onsetPeriod');
    case 'recorded-date': return P('date', 'recordedDate');
    case 'abatement-date': return P('date', 'abatementDateTime', 'abatementPeriod');
    case 'asserted-date': return P('date', ASSERTED);
    case 'authoredon': return P('date', 'authoredOn');
    case 'authored': return P('date', type === 'QuestionnaireResponse' ? 'authored' : 'authoredOn');
    case 'period': return P('date', 'context.period');
    case 'target-date': return P('date', 'target.dueDate');
    case 'birthdate': return P('date', 'birthDate');
    case 'death-date': return P('date', 'deceasedDateTime');
    case 'name': return P('string', 'name');
    case 'family': return P('string', 'name.family');
    case 'address': return P('string', 'address');
    case 'specialty': return P('token', 'specialty');
    case 'practitioner': return P('reference', 'practitioner');
    default: throw new Error(`the conformance suite does not know ${type}.${param}`);
  }
}

/** Every value at a dotted path, arrays flattened at each step. */
export function valuesAt(node: unknown, path: string): unknown[] {
  let current: unknown[] = [node];
  const steps = path.startsWith('ext:') ? extSteps(path) : path.split('.');
  for (const step of steps) {
    const next: unknown[] = [];
    for (const item of current.flatMap((c) => (Array.isArray(c) ? c : [c]))) {
      if (!item || typeof item !== 'object') continue;
      const obj = item as Json;
      if (step.startsWith('ext:')) {
        for (const e of obj.extension ?? []) if (e.url === step.slice(4)) next.push(e);
        continue;
      }
      const v = obj[step];
      if (Array.isArray(v)) next.push(...v);
      else if (v !== undefined && v !== null) next.push(v);
    }
    current = next;
  }
  return current;
}

/** `ext:<url>.rest.of.path` — the url itself contains dots, so split after its last `/` segment. */
function extSteps(path: string): string[] {
  const slash = path.lastIndexOf('/');
  const dot = path.indexOf('.', slash);
  return dot < 0 ? [path] : [path.slice(0, dot), ...path.slice(dot + 1).split('.')];
}

/** The values of a search parameter's elements on a resource. */
export function paramValues(resource: Json, param: string): unknown[] {
  const { paths } = elementsOf(resource.resourceType, param);
  return paths.flatMap((p) => valuesAt(resource, p));
}
