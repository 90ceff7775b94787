import type { Migration } from './types.js';

/**
 * PostgreSQL: teach the planner that a token's code decides its search parameter and
 * resource type (extended statistics, `dependencies`).
 *
 * Our reads are named prepared statements, and after five executions PostgreSQL may keep a
 * generic plan, made without the values. Estimating `type = $1 AND param = $2 AND code = $3`
 * without them, it multiplied three independent selectivities and expected one row for any
 * code — as few as the patient-first index promises for `patient = $4` as well — so a
 * patient's `Observation?patient=P&category=laboratory` could be planned on the code's
 * index across every patient, filtering on the patient afterwards: 11,550 rows read for 210
 * matches, 20 ms instead of 2 ms, and slower as the table grew. That is what happened once
 * autovacuum re-analysed the growing tables during `npm run soak` (docs/reliability.md).
 * With the dependencies the same estimate is the code's share of the table (91 rows for
 * `laboratory` in a 300-patient database rather than 1), so the patient-first index wins by
 * its cost. The statistics are filled by ANALYZE (autovacuum, or `Db.analyze()` after a bulk load).
 *
 * SQLite plans every statement without statistics; nothing to do there.
 */
export const tokenStatistics: Migration = {
  id: '016-token-statistics',
  sql(dialect) {
    if (dialect !== 'postgres') return '';
    return `
CREATE STATISTICS IF NOT EXISTS idx_token_code_dependencies (dependencies) ON type, param, code FROM idx_token;
ANALYZE idx_token;
`;
  },
};
