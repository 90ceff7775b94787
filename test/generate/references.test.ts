import { describe, expect, it } from 'vitest';
import { patients, providers, references, resources, valuesAt } from './fhir-walk.js';

const SEED = 11;
const bundles = patients(SEED, 40);
const providerIds = new Set(providers(SEED).entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`));

describe('generate: bundle shape and references', () => {
  it('makes every bundle a transaction of PUT Type/<uuid> with fullUrl urn:uuid:<uuid>', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const b of [providers(SEED), ...bundles]) {
      expect(b.resourceType).toBe('Bundle');
      expect(b.type).toBe('transaction');
      for (const e of b.entry) {
        expect(e.resource.id).toMatch(uuid);
        expect(e.fullUrl).toBe(`urn:uuid:${e.resource.id}`);
        expect(e.request).toEqual({ method: 'PUT', url: `${e.resource.resourceType}/${e.resource.id}` });
      }
    }
  });

  it('puts exactly one Patient first in each patient bundle', () => {
    for (const b of bundles) {
      expect(b.entry[0].resource.resourceType).toBe('Patient');
      expect(resources(b, 'Patient')).toHaveLength(1);
    }
  });

  it('resolves every reference to an entry of the same bundle or of the providers bundle', () => {
    for (const b of bundles) {
      const own = new Set(b.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`));
      for (const r of b.entry.map((e) => e.resource)) {
        for (const { path, reference } of references(r)) {
          expect(own.has(reference) || providerIds.has(reference), `${r.resourceType}/${r.id} ${path} → ${reference}`).toBe(true);
        }
      }
    }
  });

  it('resolves every provider reference inside the providers bundle', () => {
    for (const r of providers(SEED).entry.map((e) => e.resource)) {
      for (const { path, reference } of references(r)) expect(providerIds.has(reference), `${r.resourceType} ${path} → ${reference}`).toBe(true);
    }
  });

  it('points every subject/patient/beneficiary at the bundle\'s own Patient', () => {
    for (const b of bundles) {
      const patient = `Patient/${b.entry[0].resource.id}`;
      for (const r of b.entry.map((e) => e.resource)) {
        for (const key of ['subject', 'patient', 'beneficiary']) {
          for (const v of valuesAt(r, `${key}.reference`)) expect(v, `${r.resourceType}.${key}`).toBe(patient);
        }
      }
    }
  });

  it('gives every DiagnosticReport presentedForm.url a DocumentReference attachment with the same url', () => {
    for (const b of bundles) {
      const urls = new Set(resources(b, 'DocumentReference').flatMap((d) => valuesAt(d, 'content.attachment.url')));
      for (const dr of resources(b, 'DiagnosticReport')) {
        for (const url of valuesAt(dr, 'presentedForm.url')) expect(urls.has(url), `DiagnosticReport/${dr.id} → ${url}`).toBe(true);
      }
    }
  });

  it('targets every patient-compartment resource type of the bundle with some Provenance', () => {
    const skip = new Set(['Provenance', 'Medication']);
    for (const b of bundles) {
      const targeted = new Set(resources(b, 'Provenance').flatMap((p) => valuesAt(p, 'target.reference') as string[]).map((s) => s.split('/')[0]));
      for (const type of new Set(b.entry.map((e) => e.resource.resourceType))) {
        if (!skip.has(type)) expect(targeted.has(type), `no Provenance targets ${type}`).toBe(true);
      }
    }
  });

  it('never dates a resource after the patient died or after the reference date', () => {
    const dateKeys = /(DateTime|^date|^issued|^recorded|^authoredOn|^authored|^whenHandedOver|^start|^end)$/;
    for (const b of bundles) {
      const patient = b.entry[0].resource as { deceasedDateTime?: string };
      const limit = patient.deceasedDateTime ? Date.parse(patient.deceasedDateTime) : Date.parse('2025-06-30T23:59:59Z');
      const walk = (node: unknown, where: string): void => {
        if (Array.isArray(node)) return node.forEach((n) => walk(n, where));
        if (!node || typeof node !== 'object') return;
        for (const [k, v] of Object.entries(node)) {
          if (typeof v === 'string' && dateKeys.test(k) && /^\d{4}-\d{2}-\d{2}T/.test(v) && !/^(dueDate|expirationDate)$/.test(k)) {
            expect(Date.parse(v), `${where}.${k} = ${v}`).toBeLessThanOrEqual(limit);
          } else walk(v, `${where}.${k}`);
        }
      };
      for (const r of b.entry.map((e) => e.resource)) if (r.resourceType !== 'Patient') walk(r, `${r.resourceType}/${r.id}`);
    }
  });
});
