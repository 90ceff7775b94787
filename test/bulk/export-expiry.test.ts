import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { kickOff, pathOf, waitForManifest } from './bulk-client.js';

const STAFF = basic('alice', 'correct horse battery');
const HOUR = 3_600_000;

describe('CHARTKEY_EXPORT_TTL_HOURS', () => {
  it('defaults to 24 hours and accepts another positive number of hours', () => {
    expect(loadConfig({}).exportTtlHours).toBe(24);
    expect(loadConfig({ CHARTKEY_EXPORT_TTL_HOURS: '2' }).exportTtlHours).toBe(2);
    expect(loadConfig({ CHARTKEY_EXPORT_TTL_HOURS: '0.5' }).exportTtlHours).toBe(0.5);
  });
  it('refuses zero, negative and non-numbers', () => {
    for (const v of ['0', '-1', 'soon', '1e9']) expect(() => loadConfig({ CHARTKEY_EXPORT_TTL_HOURS: v }), v).toThrow(ConfigError);
  });
});

describe.each(await backends())('Bulk export output expiry on %s', (kind) => {
  let t: TestApp;
  let clock = Date.parse('2026-03-01T10:00:00Z');
  beforeAll(async () => {
    t = await createTestApp(kind, { now: () => clock, bulk: { pollMs: 20 } });
    await t.services.staff.create('alice', 'correct horse battery');
    await t.services.store.transaction(async (tx) => {
      await tx.put({ resourceType: 'Patient', id: 'p1' });
    });
  });
  afterAll(async () => t?.close());

  it('keeps the output 24 hours after the job finished (Expires), then deletes it', async () => {
    const status = await kickOff(t.app, '/fhir/$export', STAFF);
    const manifest = await waitForManifest(t.app, status, STAFF);
    const res = await t.app.inject({ method: 'GET', url: pathOf(status), headers: { authorization: STAFF } });
    expect(Date.parse(String(res.headers.expires))).toBe(Math.floor((clock + 24 * HOUR) / 1000) * 1000);
    const job = status.split('/').pop()!;
    clock += 23 * HOUR;
    expect(await t.services.bulk.jobs.sweep()).toBe(0);
    expect((await t.app.inject({ method: 'GET', url: pathOf(manifest.output[0].url), headers: { authorization: STAFF } })).statusCode).toBe(200);
    clock += 2 * HOUR;
    expect(await t.services.bulk.jobs.sweep()).toBe(1);
    expect((await t.app.inject({ method: 'GET', url: pathOf(status), headers: { authorization: STAFF } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: pathOf(manifest.output[0].url), headers: { authorization: STAFF } })).statusCode).toBe(404);
    for (const table of ['bulk_chunks', 'bulk_files', 'bulk_job_patients']) {
      const row = await t.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table} WHERE job = ?`, [job]);
      expect(Number(row?.n), table).toBe(0);
    }
  });
});
