/**
 * The transaction-write case of `npm run bench`: a 20-entry patient bundle as a practice
 * system would post it — a new Patient, an Encounter and 18 vital-sign Observations, all
 * linked by `urn:uuid:` references — sent to POST /fhir as a `transaction` by staff.
 * Every request stores 20 new resources (POST: the server assigns the ids).
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from '../src/fhir/store/types.js';

export const WRITE_BUNDLE_ENTRIES = 20;

/** Two new vital-sign Observations (heart rate, body weight) for an existing patient, as the practice's systems post them; `n` varies the values. */
export function vitalSigns(patientId: string, n: number): Resource[] {
  const now = new Date().toISOString();
  const vital = (code: string, display: string, value: number, unit: string) => ({
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs', display: 'Vital Signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: now,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  });
  return [vital('8867-4', 'Heart rate', 60 + (n % 40), '/min'), vital('29463-7', 'Body weight', 50 + (n % 50), 'kg')];
}

/** A transaction Bundle creating `resources` (POST each; the server assigns the ids). */
export function transactionOf(resources: Resource[]): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((resource) => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource, request: { method: 'POST', url: resource.resourceType } })),
  };
}

export function patientTransaction(): string {
  const urn = (n: number) => `urn:uuid:00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const vitals: Array<[string, string, number, string]> = [
    ['8867-4', 'Heart rate', 72, '/min'],
    ['9279-1', 'Respiratory rate', 16, '/min'],
    ['8310-5', 'Body temperature', 36.8, 'Cel'],
    ['29463-7', 'Body weight', 71.5, 'kg'],
    ['8302-2', 'Body height', 172, 'cm'],
    ['59408-5', 'Oxygen saturation', 98, '%'],
  ];
  const entries: unknown[] = [
    {
      fullUrl: urn(1),
      resource: {
        resourceType: 'Patient',
        identifier: [{ system: 'urn:bench:mrn', value: 'bench' }],
        name: [{ family: 'Bench', given: ['Writer'] }],
        gender: 'female',
        birthDate: '1975-06-15',
        address: [{ line: ['1 Main St'], city: 'Springfield', state: 'MA', postalCode: '01103' }],
      },
      request: { method: 'POST', url: 'Patient' },
    },
    {
      fullUrl: urn(2),
      resource: {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        type: [{ coding: [{ system: 'http://snomed.info/sct', code: '185349003', display: 'Encounter for check up' }] }],
        subject: { reference: urn(1) },
        period: { start: '2025-01-10T09:00:00Z', end: '2025-01-10T09:30:00Z' },
      },
      request: { method: 'POST', url: 'Encounter' },
    },
  ];
  for (let i = 0; i < WRITE_BUNDLE_ENTRIES - 2; i++) {
    const [code, display, value, unit] = vitals[i % vitals.length];
    entries.push({
      fullUrl: urn(3 + i),
      resource: {
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: 'http://loinc.org', code, display }], text: display },
        subject: { reference: urn(1) },
        encounter: { reference: urn(2) },
        effectiveDateTime: `2025-01-10T09:${String(i).padStart(2, '0')}:00Z`,
        valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
      },
      request: { method: 'POST', url: 'Observation' },
    });
  }
  return JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries });
}
