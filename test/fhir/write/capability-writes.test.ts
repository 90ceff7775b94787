import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { observation, staffClient } from './helpers.js';

/**
 * The CapabilityStatement lists the write interactions, and each one it lists answers as
 * R4 says (https://hl7.org/fhir/R4/capabilitystatement.html, http.html). One database:
 * this is about the statement, the interactions themselves are tested on both.
 */
describe('CapabilityStatement and writes', () => {
  let t: TestApp;
  let send: Awaited<ReturnType<typeof staffClient>>['send'];
  beforeAll(async () => {
    t = await createTestApp('sqlite');
    ({ send } = await staffClient(t));
  });
  afterAll(async () => t?.close());

  it('lists create, update, delete, history-type, conditional create/update, transaction, batch and history-system', async () => {
    const cs = (await t.app.inject({ method: 'GET', url: '/fhir/metadata' })).json();
    const rest = cs.rest[0];
    expect(rest.interaction.map((i: { code: string }) => i.code).sort()).toEqual(['batch', 'history-system', 'transaction']);
    const obs = rest.resource.find((r: { type: string }) => r.type === 'Observation');
    expect(obs.interaction.map((i: { code: string }) => i.code).sort()).toEqual(
      ['create', 'delete', 'history-instance', 'history-type', 'read', 'search-type', 'update', 'vread'].sort(),
    );
    expect(obs).toMatchObject({ versioning: 'versioned-update', updateCreate: true, conditionalCreate: true, conditionalUpdate: true, conditionalDelete: 'not-supported' });
  });

  it('answers every listed interaction (and refuses the conditional delete it says it lacks)', async () => {
    const created = await send('POST', '/fhir/Observation', observation('cap'));
    expect(created.statusCode).toBe(201);
    const id = created.json().id;
    expect((await send('PUT', `/fhir/Observation/${id}`, { ...(created.json() as object), status: 'amended' }, { 'if-match': 'W/"1"' })).statusCode).toBe(200);
    expect((await send('POST', '/fhir/Observation', observation('cap'), { 'if-none-exist': `_id=${id}` })).statusCode).toBe(200);
    expect((await send('PUT', `/fhir/Observation?_id=${id}`, { ...(created.json() as object), status: 'corrected' })).statusCode).toBe(200);
    expect((await send('GET', '/fhir/Observation/_history')).statusCode).toBe(200);
    expect((await send('GET', '/fhir/_history')).statusCode).toBe(200);
    expect((await send('POST', '/fhir', { resourceType: 'Bundle', type: 'batch', entry: [] })).statusCode).toBe(200);
    expect((await send('POST', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [] })).statusCode).toBe(200);
    expect((await send('DELETE', `/fhir/Observation/${id}`)).statusCode).toBe(204);
    const conditionalDelete = await send('DELETE', `/fhir/Observation?_id=${id}`);
    expect(conditionalDelete.statusCode).toBeGreaterThanOrEqual(400);
    expect(conditionalDelete.statusCode).toBeLessThan(500);
  });
});
