import type { Migration } from './types.js';

/**
 * `_history` at system and type level with `_since` (src/fhir/history/history-query.ts)
 * reads versions by last_updated, newest first, from both `resources` and
 * `resource_history`. Without these indexes every sync poll would scan both tables;
 * with them each side is an index range, merged and cut at `_count`.
 */
export const historySince: Migration = {
  id: '009-history-since',
  sql: () => `
CREATE INDEX resources_updated ON resources (last_updated, seq);
CREATE INDEX resource_history_updated ON resource_history (last_updated, res);
`,
};
