/** Small builders for FHIR datatypes; every resource the generator emits goes through these. */
import { PROFILE_BASE, SYSTEMS, type Code, type CodeableConcept, type Coding, type Reference, type SystemKey } from './types.js';

export function coding(sys: SystemKey, code: string, display?: string): Coding {
  return display === undefined ? { system: SYSTEMS[sys], code } : { system: SYSTEMS[sys], code, display };
}

/** CodeableConcept from one or more table codes; text = first display. */
export function cc(...codes: Code[]): CodeableConcept {
  return { coding: codes.map(([s, c, d]) => coding(s, c, d)), text: codes[0][2] };
}

export function ccText(code: Code, text: string): CodeableConcept {
  return { coding: [coding(code[0], code[1], code[2])], text };
}

export function ref(type: string, id: string, display?: string): Reference {
  return display === undefined ? { reference: `${type}/${id}` } : { reference: `${type}/${id}`, display };
}

export function profile(name: string): { profile: string[] } {
  return { profile: [PROFILE_BASE + name] };
}

export function quantity(value: number, unit: string, code = unit): Record<string, unknown> {
  return { value, unit, system: SYSTEMS.ucum, code };
}

export const DAR_URL = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';

/** dataAbsentReason CodeableConcept (http://terminology.hl7.org/CodeSystem/data-absent-reason). */
export function darConcept(code: 'unknown' | 'asked-declined' | 'not-performed' | 'masked' = 'unknown'): CodeableConcept {
  const display = { unknown: 'Unknown', 'asked-declined': 'Asked But Declined', 'not-performed': 'Not Performed', masked: 'Masked' }[code];
  return { coding: [coding('dar', code, display)], text: display };
}

/** The data-absent-reason extension (https://hl7.org/fhir/us/core/STU6.1/general-requirements.html#missing-data). */
export function darExtension(code = 'unknown'): { url: string; valueCode: string } {
  return { url: DAR_URL, valueCode: code };
}

export function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

/** Escapes text for an XHTML narrative div. */
export function xhtml(text: string): string {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<div xmlns="http://www.w3.org/1999/xhtml">${esc}</div>`;
}
