import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { createTestDb, postgresAvailable } from '../helpers/db.js';

/**
 * Migration 016: on PostgreSQL the planner knows that a token's code decides its search
 * parameter and type, so a plan made without the values (a prepared statement's generic
 * plan) no longer expects a single row for every code, and a patient's token search keeps
 * its patient-first index instead of reading the code's entries for every patient.
 *
 * The data: 100,000 token rows of 300 patients over 20 resource types, 200 search
 * parameters and 2,000 codes, each code belonging to one parameter of one type (as a LOINC
 * code is an Observation's `code`, `laboratory` its `category`): 50 rows per code.
 */
const available = await postgresAvailable();

/** The plan PostgreSQL makes for `sql` without parameter values (what a statement kept generic runs). */
async function genericPlan(db: Db, sql: string, types: string[]): Promise<{ text: string; rows: number }> {
  return db.transaction(async (tx) => {
    await tx.run("SET LOCAL plan_cache_mode = 'force_generic_plan'");
    await tx.run(`PREPARE probe (${types.join(', ')}) AS ${sql}`);
    try {
      const args = types.map((_, i) => `'v${i}'`).join(', ');
      const [row] = await tx.all<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(`EXPLAIN (FORMAT JSON) EXECUTE probe(${args})`);
      const text = (await tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE probe(${args})`)).map((r) => r['QUERY PLAN']).join('\n');
      return { text, rows: row['QUERY PLAN'][0].Plan['Plan Rows'] };
    } finally {
      await tx.run('DEALLOCATE probe');
    }
  });
}

describe.runIf(available)('PostgreSQL token statistics (migration 016)', () => {
  it("estimates a code's rows from its share of the table, and keeps a patient's token search on the patient-first index", { timeout: 120_000 }, async () => {
    const t = await createTestDb('postgres');
    try {
      await t.db.run(`
        INSERT INTO idx_token (res, type, param, system, code, text, patient)
        SELECT g, 'T' || (g % 2000 % 20), 'P' || (g % 2000 % 200), 'http://example.org', 'C' || (g % 2000), '', 'patient-' || (g % 300)
        FROM generate_series(1, 100000) g`);
      await t.db.analyze();

      // Independent of the code under test: the rows a code really has.
      const actual = (await t.db.get<{ n: number }>("SELECT count(*) AS n FROM idx_token WHERE type = 'T7' AND param = 'P7' AND code = 'C7'"))!.n;
      expect(actual).toBe(50);

      const byCode = await genericPlan(t.db, 'SELECT res FROM idx_token WHERE type = $1 AND param = $2 AND code = $3', ['text', 'text', 'text']);
      // Without the statistics the three selectivities multiply (1/20 × 1/200 × 1/2,000 of
      // 100,000 rows) to a single row; with them the estimate is the code's share.
      expect(byCode.rows).toBeGreaterThanOrEqual(10);
      expect(byCode.rows).toBeLessThanOrEqual(250);

      const byPatient = await genericPlan(t.db, 'SELECT res FROM idx_token WHERE patient = $4 AND type = $1 AND param = $2 AND code = $3', ['text', 'text', 'text', 'text']);
      expect(byPatient.text).toContain('idx_token_patient');
    } finally {
      await t.drop();
    }
  });
});
