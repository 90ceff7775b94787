import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { enablePortal } from '../../src/accounts/enablement.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { createServices, type Services } from '../../src/services.js';
import type { Resource } from '../../src/fhir/store/types.js';
import { createTestDb } from '../helpers/db.js';

/** A ChartKey app over a fresh test database, with its log captured in memory. */
export interface Harness {
  app: FastifyInstance;
  services: Services;
  config: Config;
  dataDir: string;
  logLines: string[];
  close(): Promise<void>;
}

export async function startHarness(kind: 'sqlite' | 'postgres', configOverrides: Partial<Config> = {}): Promise<Harness> {
  const testDb = await createTestDb(kind);
  const dataDir = mkdtempSync(join(tmpdir(), 'chartkey-portal-'));
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const config = loadConfig({}, { databaseUrl: testDb.url, dataDir, publicUrl: 'http://127.0.0.1:8080', logLevel: 'debug', demo: false, ...configOverrides });
  const services = await createServices(config, { db: testDb.db, logger: createLogger('debug', sink), portal: { accessLog: { flushIntervalMs: 0 } } });
  const app = await buildApp(config, services);
  await app.ready();
  return {
    app,
    services,
    config,
    dataDir,
    logLines,
    async close() {
      await app.close();
      await services.accessLog.close();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Stores a patient with a few clinical resources through the FHIR store. */
export async function addPatient(services: Services, id: string, family = 'Doe'): Promise<void> {
  const subject = { reference: `Patient/${id}` };
  const resources: Resource[] = [
    { resourceType: 'Patient', id, name: [{ family, given: ['Jane'] }], birthDate: '1980-04-02', gender: 'female', identifier: [{ system: 'urn:test:mrn', value: `MRN-${id}` }] },
    { resourceType: 'AllergyIntolerance', id: `${id}-a1`, patient: subject, code: { text: 'Peanut allergy' }, clinicalStatus: { coding: [{ code: 'active' }] } },
    { resourceType: 'Condition', id: `${id}-c1`, subject, code: { text: 'Essential hypertension' }, onsetDateTime: '2015-06-01' },
    {
      resourceType: 'MedicationRequest', id: `${id}-m1`, subject, status: 'active', intent: 'order',
      medicationCodeableConcept: { text: 'Lisinopril 10 mg' }, authoredOn: '2020-01-01',
    },
    { resourceType: 'Immunization', id: `${id}-i1`, patient: subject, status: 'completed', vaccineCode: { text: 'Influenza vaccine' }, occurrenceDateTime: '2023-10-01' },
    { resourceType: 'Encounter', id: `${id}-e1`, subject, status: 'finished', class: { code: 'AMB' }, type: [{ text: 'Annual checkup' }], period: { start: '2023-10-01T09:00:00Z' } },
    ...[120, 128, 135].map((v, i): Resource => ({
      resourceType: 'Observation', id: `${id}-bw${i}`, subject, status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
      effectiveDateTime: `202${i}-03-01`, valueQuantity: { value: v / 2, unit: 'kg' },
    })),
    ...[5.4, 5.9].map((v, i): Resource => ({
      resourceType: 'Observation', id: `${id}-hba${i}`, subject, status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4', display: 'Hemoglobin A1c' }] },
      effectiveDateTime: `202${i + 1}-05-01`, valueQuantity: { value: v, unit: '%' },
    })),
  ];
  await services.store.transaction(async (tx) => {
    for (const r of resources) await tx.put(r);
  });
}

/** Enables a patient (Basic) with a known password and completes the first-sign-in change via services. */
export async function enabledPatient(services: Services, id: string, username: string, password: string): Promise<void> {
  const { account } = await enablePortal(services, { patientId: id, username, password: 'temporary-pass-1', by: { kind: 'system', id: 'test' } });
  await services.portal.accounts.changePassword(account.id, password);
}
