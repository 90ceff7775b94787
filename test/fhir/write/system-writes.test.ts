import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/auth/principal.js';
import { FhirError } from '../../../src/fhir/outcome.js';
import { ALL } from '../../../src/fhir/scope.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { backends } from '../../helpers/db.js';
import { observation } from './helpers.js';

/**
 * System clients (SMART Backend Services) write within their `system/` scopes
 * (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html). Until system
 * tokens exist on the HTTP surface, the write service is driven with the principal a
 * verified token will carry.
 */
const system = (grantedScopes: string): Principal => ({ kind: 'system', clientId: 'lab-interface', clientName: 'Lab interface', scope: ALL, grantedScopes });

describe.each(await backends())('writes by system clients on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
  });
  afterAll(async () => t?.close());

  const status = async (p: Promise<unknown>) => {
    try {
      await p;
      return 'ok';
    } catch (err) {
      return err instanceof FhirError ? err.status : err;
    }
  };

  it('creates, updates and deletes what its scopes grant (v1 and v2 syntax), and nothing else (403)', async () => {
    const w = t.services.writes;
    const ctx = (s: string) => ({ principal: system(s), ip: '10.0.0.9' });
    expect(await status(w.create(ctx('system/Observation.c'), 'Observation', observation('s1')))).toBe('ok');
    expect(await status(w.create(ctx('system/Observation.c'), 'Patient', { resourceType: 'Patient' }))).toBe(403);
    expect(await status(w.create(ctx('system/*.rs'), 'Observation', observation('s1')))).toBe(403);
    expect(await status(w.create(ctx('system/*.read'), 'Observation', observation('s1')))).toBe(403);
    expect(await status(w.create(ctx('system/*.write'), 'Observation', observation('s1')))).toBe('ok');
    // Create-on-update needs the create right as well as update.
    expect(await status(w.update(ctx('system/Patient.u'), 'Patient', 'sp1', { resourceType: 'Patient', id: 'sp1' }))).toBe(403);
    expect(await status(w.update(ctx('system/Patient.cu'), 'Patient', 'sp1', { resourceType: 'Patient', id: 'sp1' }))).toBe('ok');
    expect(await status(w.update(ctx('system/Patient.u'), 'Patient', 'sp1', { resourceType: 'Patient', id: 'sp1', active: true }))).toBe('ok');
    expect(await status(w.delete(ctx('system/Patient.cu'), 'Patient', 'sp1'))).toBe(403);
    expect(await status(w.delete(ctx('system/Patient.d'), 'Patient', 'sp1'))).toBe('ok');
    const transaction = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation('s1'), request: { method: 'POST', url: 'Observation' } }, { request: { method: 'DELETE', url: 'Patient/sp1' } }] };
    expect(await status(w.bundle(ctx('system/Observation.c'), transaction))).toBe(403);
    expect(await status(w.bundle(ctx('system/Observation.c system/Patient.d'), transaction))).toBe('ok');
  });

  it('is audited under its client id', async () => {
    const created = await t.services.writes.create({ principal: system('system/*.cruds'), ip: '10.0.0.9' }, 'Observation', observation('s2'));
    const events = (await t.services.audit.list({ action: 'fhir.create', limit: 200 })).events.filter((e) => e.detail.id === created.stored.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actorKind: 'system', actorId: 'lab-interface', ip: '10.0.0.9', detail: { type: 'Observation', id: created.stored.id, version: 1, client: 'Lab interface' } });
  });
});
